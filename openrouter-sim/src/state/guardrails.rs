//! Guardrail operations. Names are not unique — two creates with one name make two
//! guardrails — and model lists are stored as canonical slugs, as on OpenRouter.

use chrono::{DateTime, Utc};

use super::{check_amount, new_id, page, timestamp, State, StoredGuardrail};
use crate::error::ApiError;
use crate::models::canonical_slug;
use crate::wire::{Field, Guardrail, GuardrailRequest};

impl State {
    /// Every workspace starts with a guardrail named `Workspace <uuid> Default`.
    pub(super) fn insert_default_guardrail(&mut self, now: DateTime<Utc>) -> String {
        let name = format!("Workspace {} Default", self.workspace_id);
        let data = empty_guardrail(name, Some(self.workspace_id.clone()), now);
        let id = data.id.clone();
        self.insert_guardrail(data);
        id
    }

    pub fn default_guardrail_id(&self) -> Option<String> {
        self.guardrails
            .contains_key(&self.default_guardrail_id)
            .then(|| self.default_guardrail_id.clone())
    }

    pub fn create_guardrail(
        &mut self,
        request: GuardrailRequest,
        now: DateTime<Utc>,
    ) -> Result<Guardrail, ApiError> {
        if request.name.is_none() {
            return Err(ApiError::bad_request("name is required"));
        }
        self.check_workspace(request.workspace_id.as_deref())?;
        let mut data = empty_guardrail(String::new(), Some(self.workspace_id.clone()), now);
        apply(&mut data, request)?;
        self.insert_guardrail(data.clone());
        Ok(data)
    }

    /// A page of guardrails in creation order, and how many there are in all.
    pub fn list_guardrails(&self, offset: u64, limit: u64) -> (Vec<Guardrail>, u64) {
        let all = self.all_guardrails();
        let total = all.len() as u64;
        (page(all.into_iter(), offset, limit), total)
    }

    pub fn get_guardrail(&self, id: &str) -> Result<Guardrail, ApiError> {
        self.guardrails
            .get(id)
            .map(|stored| stored.data.clone())
            .ok_or_else(guardrail_not_found)
    }

    /// Fields present in the request replace the stored ones, arrays wholesale.
    pub fn update_guardrail(
        &mut self,
        id: &str,
        request: GuardrailRequest,
        now: DateTime<Utc>,
    ) -> Result<Guardrail, ApiError> {
        let stored = self
            .guardrails
            .get_mut(id)
            .ok_or_else(guardrail_not_found)?;
        // Applied to a copy: a request rejected halfway must change nothing.
        let mut data = stored.data.clone();
        apply(&mut data, request)?;
        data.updated_at = Some(timestamp(now));
        stored.data = data.clone();
        Ok(data)
    }

    /// Deleting a guardrail unassigns its keys.
    pub fn delete_guardrail(&mut self, id: &str) -> Result<(), ApiError> {
        self.guardrails.remove(id).ok_or_else(guardrail_not_found)?;
        for key in self.keys.values_mut() {
            if key
                .assignment
                .as_ref()
                .is_some_and(|assignment| assignment.guardrail_id == id)
            {
                key.assignment = None;
            }
        }
        Ok(())
    }

    pub fn all_guardrails(&self) -> Vec<Guardrail> {
        let mut all: Vec<&StoredGuardrail> = self.guardrails.values().collect();
        all.sort_unstable_by_key(|stored| stored.seq);
        all.into_iter().map(|stored| stored.data.clone()).collect()
    }

    fn insert_guardrail(&mut self, data: Guardrail) {
        let seq = self.next_seq();
        self.guardrails
            .insert(data.id.clone(), StoredGuardrail { seq, data });
    }
}

pub(super) fn guardrail_not_found() -> ApiError {
    ApiError::not_found("Guardrail not found")
}

fn empty_guardrail(name: String, workspace_id: Option<String>, now: DateTime<Utc>) -> Guardrail {
    Guardrail {
        id: new_id(),
        name,
        description: None,
        limit_usd: None,
        reset_interval: None,
        allowed_models: None,
        allowed_providers: None,
        ignored_models: None,
        ignored_providers: None,
        content_filter_builtins: None,
        content_filters: None,
        enable_free_model_publication: None,
        enable_free_model_training: None,
        enable_paid_model_training: None,
        enforce_zdr: None,
        enforce_zdr_anthropic: None,
        enforce_zdr_google: None,
        enforce_zdr_openai: None,
        enforce_zdr_other: None,
        enforce_zdr_xai: None,
        include_byok_in_budgets: false,
        created_at: timestamp(now),
        updated_at: None,
        workspace_id,
    }
}

/// Writes the request's present fields into `guardrail`, validating as it goes.
fn apply(guardrail: &mut Guardrail, request: GuardrailRequest) -> Result<(), ApiError> {
    // A budget without a period (or the reverse) is rejected, not half-applied.
    if request.limit_usd.is_some() != request.reset_interval.is_some() {
        return Err(ApiError::bad_request(
            "limit_usd and reset_interval must be provided together",
        ));
    }
    if let Some(name) = request.name {
        if !(1..=200).contains(&name.chars().count()) {
            return Err(ApiError::bad_request("name must be 1 to 200 characters"));
        }
        guardrail.name = name;
    }
    if let Some(description) = request.description {
        if description
            .as_ref()
            .is_some_and(|text| text.chars().count() > 1000)
        {
            return Err(ApiError::bad_request(
                "description must be at most 1000 characters",
            ));
        }
        guardrail.description = description;
    }
    if let Some(limit) = request.limit_usd {
        guardrail.limit_usd = check_amount("limit_usd", limit)?;
    }
    if let Some(interval) = request.reset_interval {
        guardrail.reset_interval = interval;
    }
    set_list(
        &mut guardrail.allowed_models,
        "allowed_models",
        request.allowed_models,
        true,
    )?;
    set_list(
        &mut guardrail.ignored_models,
        "ignored_models",
        request.ignored_models,
        true,
    )?;
    set_list(
        &mut guardrail.allowed_providers,
        "allowed_providers",
        request.allowed_providers,
        false,
    )?;
    set_list(
        &mut guardrail.ignored_providers,
        "ignored_providers",
        request.ignored_providers,
        false,
    )?;
    if let Some(filters) = request.content_filter_builtins {
        let labels = filters
            .iter()
            .flatten()
            .filter_map(|filter| filter.label.as_deref());
        check_labels(labels)?;
        guardrail.content_filter_builtins = filters;
    }
    if let Some(filters) = request.content_filters {
        if filters
            .iter()
            .flatten()
            .any(|filter| filter.pattern.is_empty())
        {
            return Err(ApiError::bad_request(
                "content filter patterns must not be empty",
            ));
        }
        check_labels(
            filters
                .iter()
                .flatten()
                .filter_map(|filter| filter.label.as_deref()),
        )?;
        guardrail.content_filters = filters;
    }
    set(
        &mut guardrail.enable_free_model_publication,
        request.enable_free_model_publication,
    );
    set(
        &mut guardrail.enable_free_model_training,
        request.enable_free_model_training,
    );
    set(
        &mut guardrail.enable_paid_model_training,
        request.enable_paid_model_training,
    );
    // The deprecated `enforce_zdr` fills each per-provider field the request left out.
    let zdr = |field: Field<bool>| field.or(request.enforce_zdr.map(Some));
    set(
        &mut guardrail.enforce_zdr_anthropic,
        zdr(request.enforce_zdr_anthropic),
    );
    set(
        &mut guardrail.enforce_zdr_google,
        zdr(request.enforce_zdr_google),
    );
    set(
        &mut guardrail.enforce_zdr_openai,
        zdr(request.enforce_zdr_openai),
    );
    set(
        &mut guardrail.enforce_zdr_other,
        zdr(request.enforce_zdr_other),
    );
    set(&mut guardrail.enforce_zdr_xai, zdr(request.enforce_zdr_xai));
    guardrail.enforce_zdr = None;
    if let Some(include) = request.include_byok_in_budgets {
        guardrail.include_byok_in_budgets = include;
    }
    Ok(())
}

fn set<T>(target: &mut Option<T>, field: Field<T>) {
    if let Some(value) = field {
        *target = value;
    }
}

/// Model and provider lists: `null` for "all", otherwise at least one entry. Model
/// lists are rewritten to canonical slugs.
fn set_list(
    target: &mut Option<Vec<String>>,
    name: &str,
    field: Field<Vec<String>>,
    models: bool,
) -> Result<(), ApiError> {
    let Some(list) = field else {
        return Ok(());
    };
    if let Some(items) = &list {
        if items.is_empty() {
            return Err(ApiError::bad_request(format!(
                "{name} must hold at least one item, or be null"
            )));
        }
        if items.iter().any(String::is_empty) {
            return Err(ApiError::bad_request(format!(
                "{name} must not hold empty strings"
            )));
        }
    }
    *target = match (list, models) {
        (Some(items), true) => Some(items.iter().map(|slug| canonical_slug(slug)).collect()),
        (list, _) => list,
    };
    Ok(())
}

fn check_labels<'a>(mut labels: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    if labels.any(|label| label.chars().count() > 100) {
        return Err(ApiError::bad_request(
            "content filter labels must be at most 100 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn request(json: &str) -> GuardrailRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_rejected_patch_changes_nothing() {
        let mut state = State::new(now());
        let created = state
            .create_guardrail(
                request(r#"{"name": "g", "allowed_models": ["openai/gpt-5-nano"]}"#),
                now(),
            )
            .unwrap();
        let rejected = state.update_guardrail(
            &created.id,
            request(r#"{"name": "renamed", "allowed_models": []}"#),
            now(),
        );
        assert!(rejected.is_err());
        assert_eq!(state.get_guardrail(&created.id).unwrap(), created);
    }

    #[test]
    fn deprecated_enforce_zdr_fills_only_the_fields_left_out() {
        let mut state = State::new(now());
        let created = state
            .create_guardrail(
                request(r#"{"name": "g", "enforce_zdr": true, "enforce_zdr_google": false}"#),
                now(),
            )
            .unwrap();
        assert_eq!(created.enforce_zdr_openai, Some(true));
        assert_eq!(created.enforce_zdr_google, Some(false));
        assert_eq!(created.enforce_zdr, None);
    }
}
