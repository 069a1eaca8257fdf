//! Key-to-guardrail assignments. A key holds at most one guardrail, so assigning a key
//! that already has one moves it.

use chrono::{DateTime, Utc};

use super::guardrails::guardrail_not_found;
use super::{new_id, page, timestamp, Assignment, State, StoredKey};
use crate::error::ApiError;
use crate::wire::KeyAssignment;

impl State {
    /// Assigns the listed keys to the guardrail. Counts keys that were not on it before
    /// (moved ones included); unknown hashes and keys already on it count for nothing.
    pub fn assign_keys(
        &mut self,
        guardrail_id: &str,
        key_hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<u64, ApiError> {
        self.check_assignment_request(guardrail_id, key_hashes)?;
        let mut assigned = 0;
        for hash in key_hashes {
            let on_it = match self.keys.get(hash) {
                None => continue,
                Some(key) => key
                    .assignment
                    .as_ref()
                    .is_some_and(|assignment| assignment.guardrail_id == guardrail_id),
            };
            if on_it {
                continue;
            }
            let assignment = Assignment {
                seq: self.next_seq(),
                id: new_id(),
                guardrail_id: guardrail_id.to_owned(),
                created_at: now,
            };
            if let Some(key) = self.keys.get_mut(hash) {
                key.assignment = Some(assignment);
                assigned += 1;
            }
        }
        Ok(assigned)
    }

    /// Removes the listed keys from the guardrail; counts those that were on it.
    pub fn unassign_keys(
        &mut self,
        guardrail_id: &str,
        key_hashes: &[String],
    ) -> Result<u64, ApiError> {
        self.check_assignment_request(guardrail_id, key_hashes)?;
        let mut unassigned = 0;
        for hash in key_hashes {
            let Some(key) = self.keys.get_mut(hash) else {
                continue;
            };
            if key
                .assignment
                .as_ref()
                .is_some_and(|assignment| assignment.guardrail_id == guardrail_id)
            {
                key.assignment = None;
                unassigned += 1;
            }
        }
        Ok(unassigned)
    }

    /// A page of one guardrail's assignments (or everyone's, with `None`), oldest first,
    /// and how many there are in all.
    pub fn list_assignments(
        &self,
        guardrail_id: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<KeyAssignment>, u64), ApiError> {
        if let Some(id) = guardrail_id {
            if !self.guardrails.contains_key(id) {
                return Err(guardrail_not_found());
            }
        }
        let all: Vec<KeyAssignment> = self
            .assigned_keys()
            .into_iter()
            .filter(|(_, assignment)| guardrail_id.is_none_or(|id| assignment.guardrail_id == id))
            .map(|(key, assignment)| self.assignment_object(key, assignment))
            .collect();
        let total = all.len() as u64;
        Ok((page(all.into_iter(), offset, limit), total))
    }

    pub fn all_assignments(&self) -> Vec<KeyAssignment> {
        self.assigned_keys()
            .into_iter()
            .map(|(key, assignment)| self.assignment_object(key, assignment))
            .collect()
    }

    fn check_assignment_request(
        &self,
        guardrail_id: &str,
        key_hashes: &[String],
    ) -> Result<(), ApiError> {
        if key_hashes.is_empty() {
            return Err(ApiError::bad_request(
                "key_hashes must hold at least one hash",
            ));
        }
        if key_hashes.iter().any(String::is_empty) {
            return Err(ApiError::bad_request(
                "key_hashes must not hold empty strings",
            ));
        }
        if !self.guardrails.contains_key(guardrail_id) {
            return Err(guardrail_not_found());
        }
        Ok(())
    }

    /// Assigned keys in the order they were assigned.
    fn assigned_keys(&self) -> Vec<(&StoredKey, &Assignment)> {
        let mut assigned: Vec<(&StoredKey, &Assignment)> = self
            .keys
            .values()
            .filter_map(|key| key.assignment.as_ref().map(|assignment| (key, assignment)))
            .collect();
        assigned.sort_unstable_by_key(|(_, assignment)| assignment.seq);
        assigned
    }

    fn assignment_object(&self, key: &StoredKey, assignment: &Assignment) -> KeyAssignment {
        KeyAssignment {
            id: assignment.id.clone(),
            key_hash: key.hash.clone(),
            guardrail_id: assignment.guardrail_id.clone(),
            key_name: key.name.clone(),
            key_label: key.label.clone(),
            assigned_by: Some(self.user_id.clone()),
            created_at: timestamp(assignment.created_at),
        }
    }
}
