//! The OpenRouter simulator over HTTP: each test binds a fresh simulator on 127.0.0.1:0
//! and talks to it with reqwest. Every request body sent through [`Harness::call`] and
//! every response body it gets back is validated against the vendored OpenRouter spec
//! (openrouter-sim/spec/openrouter-openapi.yaml).

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use openrouter_sim::{
    FaultAction, FaultRule, InvalidFault, OutageKind, RunningSimulator, Simulator, ROUTES,
};
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::openapi::{self, SpecValidator};

const MANAGEMENT_KEY: &str = "sk-or-v1-management-test-key";

static SPEC: LazyLock<SpecValidator> = LazyLock::new(SpecValidator::load);

struct Harness {
    running: RunningSimulator,
    http: reqwest::Client,
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Harness {
    async fn start() -> Self {
        let running = Simulator::new(MANAGEMENT_KEY)
            .spawn("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Harness {
            running,
            http: reqwest::Client::new(),
        }
    }

    fn sim(&self) -> &Simulator {
        self.running.simulator()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// A management call whose request and response must both match the spec.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(Some(MANAGEMENT_KEY), method, path, body).await
    }

    async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        if let Some(body) = &body {
            SPEC.check_request(method.as_str(), path, body)
                .unwrap_or_else(|error| panic!("the test sent an off-spec body: {error}"));
        }
        let reply = self.raw(token, method.clone(), path, body).await;
        SPEC.check_response(method.as_str(), path, reply.status.as_u16(), &reply.body)
            .unwrap_or_else(|error| panic!("the simulator broke the spec: {error}"));
        reply
    }

    /// A call whose bodies are not checked: for deliberately off-spec requests and for
    /// statuses the spec does not document (502, 503, 404 on unknown paths).
    async fn raw(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let response = self
            .request(token, method, &self.url(path), body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    fn request(
        &self,
        token: Option<&str>,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
    }

    async fn create_key(&self, body: Value) -> (String, String) {
        let reply = self.call(Method::POST, "/keys", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        (
            reply.body["data"]["hash"].as_str().unwrap().to_owned(),
            reply.body["key"].as_str().unwrap().to_owned(),
        )
    }

    async fn create_guardrail(&self, body: Value) -> Value {
        let reply = self.call(Method::POST, "/guardrails", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["data"].clone()
    }
}

fn is_hex64(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn spec_copy_is_the_recorded_one() {
    use sha2::{Digest, Sha256};
    let ours = std::fs::read(openapi::SPEC_PATH).expect("the vendored spec");
    let digest: String = Sha256::digest(&ours)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let record = std::fs::read_to_string(openapi::SPEC_RECORD_PATH).expect("spec/README.md");
    assert!(
        record.contains(&format!("`{digest}`")),
        "openrouter-sim/spec/openrouter-openapi.yaml (SHA-256 {digest}) is not the copy \
         recorded in openrouter-sim/spec/README.md: update the record with the file"
    );
}

#[test]
fn every_spec_operation_is_routed_and_nothing_else() {
    let spec: HashSet<String> = SPEC.operations().into_iter().collect();
    let routes: HashSet<String> = ROUTES.iter().map(|route| route.to_string()).collect();
    assert_eq!(spec, routes);
}

#[test]
fn the_validator_bites_on_wrong_bodies() {
    let key = json!({
        "hash": "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
        "name": "k", "label": "sk-or-v1-0e6...1c96", "disabled": false,
        "limit": 1.0, "limit_remaining": 1.0, "limit_reset": null, "include_byok_in_limit": false,
        "usage": 0.0, "usage_daily": 0.0, "usage_weekly": 0.0, "usage_monthly": 0.0,
        "byok_usage": 0.0, "byok_usage_daily": 0.0, "byok_usage_weekly": 0.0,
        "byok_usage_monthly": 0.0, "created_at": "2025-08-24T10:30:00Z", "updated_at": null,
        "creator_user_id": null, "workspace_id": "0df9e665-d932-5740-b2c7-b52af166bc11",
        "expires_at": null
    });
    let path = "/keys/f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
    SPEC.check_response("GET", path, 200, &json!({ "data": key }))
        .expect("the well-formed key passes");

    let mut missing_hash = key.clone();
    missing_hash.as_object_mut().unwrap().remove("hash");
    assert!(SPEC
        .check_response("GET", path, 200, &json!({ "data": missing_hash }))
        .is_err());
    let mut string_limit = key.clone();
    string_limit["limit"] = json!("1.0");
    assert!(SPEC
        .check_response("GET", path, 200, &json!({ "data": string_limit }))
        .is_err());
    // Through `$ref`s: ListGuardrailsResponse requires total_count, Guardrail ids are uuids.
    assert!(SPEC
        .check_response("GET", "/guardrails", 200, &json!({ "data": [] }))
        .is_err());
    let bad_id = json!({"data": {"id": "not-a-uuid", "name": "g", "include_byok_in_budgets": false,
        "created_at": "2025-08-24T10:30:00Z", "workspace_id": null}});
    assert!(SPEC
        .check_response(
            "GET",
            "/guardrails/550e8400-e29b-41d4-a716-446655440000",
            200,
            &bad_id
        )
        .is_err());
    assert!(SPEC
        .check_response("GET", "/keys", 401, &json!({ "error": { "code": "401" } }))
        .is_err());
    // Requests too, and statuses the spec does not document.
    assert!(SPEC
        .check_request("POST", "/keys", &json!({ "limit": 1 }))
        .is_err());
    assert!(SPEC
        .check_response("GET", "/keys", 418, &json!({}))
        .is_err());
}

#[tokio::test]
async fn keys_round_trip_and_plaintext_is_shown_once() {
    let h = Harness::start().await;
    let reply = h
        .call(
            Method::POST,
            "/keys",
            Some(
                json!({"name": "workshop-demo-a1", "limit": 2.5, "limit_reset": "monthly",
                "expires_at": "2099-12-31T23:59:59Z", "include_byok_in_limit": true}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let plaintext = reply.body["key"].as_str().unwrap().to_owned();
    let hash = reply.body["data"]["hash"].as_str().unwrap().to_owned();
    assert!(plaintext.starts_with("sk-or-v1-") && is_hex64(&plaintext[9..]));
    assert!(is_hex64(&hash));
    assert_eq!(reply.body["data"]["name"], "workshop-demo-a1");
    assert_eq!(reply.body["data"]["limit"], 2.5);
    assert_eq!(reply.body["data"]["limit_remaining"], 2.5);
    assert_eq!(reply.body["data"]["expires_at"], "2099-12-31T23:59:59Z");
    assert_eq!(reply.body["data"]["workspace_id"], h.sim().workspace_id());

    let fetched = h.call(Method::GET, &format!("/keys/{hash}"), None).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body["data"], reply.body["data"]);
    assert!(fetched.body.get("key").is_none());
    let listed = h.call(Method::GET, "/keys", None).await;
    for body in [&fetched.body, &listed.body] {
        assert!(
            !body.to_string().contains(&plaintext[9..]),
            "plaintext leaked"
        );
    }

    let updated = h
        .call(
            Method::PATCH,
            &format!("/keys/{hash}"),
            Some(json!({"name": "renamed", "limit": null, "expires_at": "2100-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["data"]["name"], "renamed");
    assert_eq!(updated.body["data"]["limit"], Value::Null);
    assert_eq!(updated.body["data"]["limit_remaining"], Value::Null);
    // PATCH cannot move the expiry.
    assert_eq!(updated.body["data"]["expires_at"], "2099-12-31T23:59:59Z");
    assert!(updated.body["data"]["updated_at"].is_string());

    let current = h.call_as(Some(&plaintext), Method::GET, "/key", None).await;
    assert_eq!(current.status, StatusCode::OK);
    assert_eq!(current.body["data"]["label"], reply.body["data"]["label"]);
    assert_eq!(current.body["data"]["is_management_key"], false);
    let management = h.call(Method::GET, "/key", None).await;
    assert_eq!(management.body["data"]["is_management_key"], true);

    let deleted = h.call(Method::DELETE, &format!("/keys/{hash}"), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body, json!({ "deleted": true }));
    for method in [Method::GET, Method::DELETE] {
        let gone = h.call(method, &format!("/keys/{hash}"), None).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.body["error"]["code"], 404);
    }
    let gone = h.call_as(Some(&plaintext), Method::GET, "/key", None).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn guardrail_ids_on_create_are_ignored() {
    let h = Harness::start().await;
    let guardrail = h.create_guardrail(json!({"name": "workshop-x"})).await;
    let (hash, _) = h
        .create_key(json!({"name": "k", "guardrail_ids": [guardrail["id"]]}))
        .await;
    assert_eq!(h.sim().key(&hash).unwrap().guardrail_id, None);
    let assigned = h
        .call(Method::GET, "/guardrails/assignments/keys", None)
        .await;
    assert_eq!(assigned.body["total_count"], 0);
}

#[tokio::test]
async fn keys_are_listed_newest_first_in_pages_of_100() {
    let h = Harness::start().await;
    let mut created = Vec::new();
    for index in 0..250 {
        created.push(
            h.create_key(json!({"name": format!("key-{index}")}))
                .await
                .0,
        );
    }
    created.reverse();
    let mut listed = Vec::new();
    for (offset, expected) in [(0, 100), (100, 100), (200, 50), (250, 0)] {
        let page = h
            .call(Method::GET, &format!("/keys?offset={offset}"), None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let data = page.body["data"].as_array().unwrap();
        assert_eq!(data.len(), expected, "page at offset {offset}");
        assert!(page.body.get("total_count").is_none());
        listed.extend(
            data.iter()
                .map(|key| key["hash"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(listed, created);
}

#[tokio::test]
async fn disabled_keys_are_hidden_unless_asked_for() {
    let h = Harness::start().await;
    let (first, _) = h.create_key(json!({"name": "a"})).await;
    let (disabled, _) = h.create_key(json!({"name": "b"})).await;
    let patched = h
        .call(
            Method::PATCH,
            &format!("/keys/{disabled}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(patched.body["data"]["disabled"], true);

    let hashes = |reply: &Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["hash"].as_str().unwrap().to_owned())
            .collect()
    };
    let default = h.call(Method::GET, "/keys", None).await;
    assert_eq!(hashes(&default), vec![first.clone()]);
    let explicit = h
        .call(Method::GET, "/keys?include_disabled=false", None)
        .await;
    assert_eq!(hashes(&explicit), vec![first.clone()]);
    let all = h
        .call(Method::GET, "/keys?include_disabled=true", None)
        .await;
    assert_eq!(hashes(&all), vec![disabled.clone(), first]);
    // Still readable one by one.
    let one = h
        .call(Method::GET, &format!("/keys/{disabled}"), None)
        .await;
    assert_eq!(one.status, StatusCode::OK);
}

#[tokio::test]
async fn expiry_must_be_utc_with_z() {
    let h = Harness::start().await;
    for expires_at in ["2099-12-31T23:59:59+02:00", "2099-12-31T23:59:59+00:00"] {
        let reply = h
            .call(
                Method::POST,
                "/keys",
                Some(json!({"name": "k", "expires_at": expires_at})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{expires_at}");
        assert_eq!(reply.body["error"]["code"], 400);
    }
    assert!(h.sim().keys().is_empty());
    let (hash, _) = h
        .create_key(json!({"name": "k", "expires_at": "2099-12-31T23:59:59Z"}))
        .await;
    assert_eq!(
        h.sim().key(&hash).unwrap().data.expires_at.as_deref(),
        Some("2099-12-31T23:59:59Z")
    );
}

#[tokio::test]
async fn invalid_key_requests_are_rejected_with_the_error_shape() {
    let h = Harness::start().await;
    // Within the spec's types but against its rules.
    for body in [
        json!({"name": "k", "limit": -1}),
        json!({"name": "k", "workspace_id": "0df9e665-d932-5740-b2c7-b52af166bc11"}),
    ] {
        let reply = h.call(Method::POST, "/keys", Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
    }
    // Off-spec bodies: the validator refuses them, and so does the simulator.
    for body in [
        json!({"limit": 1}),
        json!({"name": ""}),
        json!({"name": "k", "limit_reset": "yearly"}),
        json!({"name": "k", "limit": "ten"}),
    ] {
        assert!(
            SPEC.check_request("POST", "/keys", &body).is_err(),
            "{body}"
        );
        let reply = h
            .raw(
                Some(MANAGEMENT_KEY),
                Method::POST,
                "/keys",
                Some(body.clone()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        SPEC.check_response("POST", "/keys", 400, &reply.body)
            .unwrap();
    }
    let not_json = h
        .http
        .post(h.url("/keys"))
        .bearer_auth(MANAGEMENT_KEY)
        .body("name=k")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    let bad_query = h
        .raw(
            Some(MANAGEMENT_KEY),
            Method::GET,
            "/keys?include_disabled=yes",
            None,
        )
        .await;
    assert_eq!(bad_query.status, StatusCode::BAD_REQUEST);
    assert!(h.sim().keys().is_empty());

    let unknown = h
        .raw(Some(MANAGEMENT_KEY), Method::GET, "/nope", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["code"], 404);
    let wrong_method = h
        .raw(Some(MANAGEMENT_KEY), Method::PUT, "/keys", None)
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["error"]["code"], 405);
}

#[tokio::test]
async fn management_calls_need_the_management_key() {
    let h = Harness::start().await;
    let (hash, plaintext) = h.create_key(json!({"name": "k"})).await;
    let guardrail = h.sim().default_guardrail_id().unwrap();
    let hashes = json!({ "key_hashes": [hash.clone()] });
    let calls = [
        (Method::GET, "/keys".to_owned(), None),
        (Method::POST, "/keys".to_owned(), Some(json!({"name": "x"}))),
        (Method::GET, format!("/keys/{hash}"), None),
        (
            Method::PATCH,
            format!("/keys/{hash}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/keys/{hash}"), None),
        (Method::GET, "/guardrails".to_owned(), None),
        (
            Method::POST,
            "/guardrails".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, format!("/guardrails/{guardrail}"), None),
        (
            Method::PATCH,
            format!("/guardrails/{guardrail}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/guardrails/{guardrail}"), None),
        (
            Method::GET,
            format!("/guardrails/{guardrail}/assignments/keys"),
            None,
        ),
        (
            Method::POST,
            format!("/guardrails/{guardrail}/assignments/keys"),
            Some(hashes.clone()),
        ),
        (
            Method::POST,
            format!("/guardrails/{guardrail}/assignments/keys/remove"),
            Some(hashes),
        ),
        (Method::GET, "/guardrails/assignments/keys".to_owned(), None),
    ];
    for (method, path, body) in calls {
        for token in [None, Some("wrong"), Some(plaintext.as_str())] {
            let reply = h.call_as(token, method.clone(), &path, body.clone()).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {token:?}"
            );
            assert_eq!(reply.body["error"]["code"], 401);
            assert!(reply.body["error"]["message"].is_string());
        }
    }
    let no_bearer = h.call_as(None, Method::GET, "/key", None).await;
    assert_eq!(no_bearer.status, StatusCode::UNAUTHORIZED);
    let unknown = h
        .call_as(Some("sk-or-v1-unknown"), Method::GET, "/key", None)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    // Nothing was changed by any of it.
    assert_eq!(h.sim().keys().len(), 1);
    assert_eq!(h.sim().guardrails().len(), 1);
    assert!(h.sim().assignments().is_empty());
}

#[tokio::test]
async fn guardrails_behave_like_openrouter() {
    let h = Harness::start().await;
    let workspace = h.sim().workspace_id();
    let listed = h.call(Method::GET, "/guardrails", None).await;
    assert_eq!(listed.body["total_count"], 1);
    assert_eq!(
        listed.body["data"][0]["name"],
        format!("Workspace {workspace} Default")
    );
    assert_eq!(
        listed.body["data"][0]["id"].as_str(),
        h.sim().default_guardrail_id().as_deref()
    );

    let body = json!({"name": "workshop-rust", "description": "Rust workshop",
        "limit_usd": 5, "reset_interval": "daily",
        "allowed_models": ["openai/gpt-5-nano", "anthropic/claude-haiku-4.5", "acme/new-model",
            "openai/gpt-5-mini-2025-08-07"],
        "allowed_providers": ["openai"],
        "content_filter_builtins": [{"slug": "email", "action": "redact"}],
        "workspace_id": workspace});
    let first = h.create_guardrail(body.clone()).await;
    let second = h.create_guardrail(body).await;
    assert_ne!(first["id"], second["id"], "names are not unique");
    assert_eq!(
        first["allowed_models"],
        json!([
            "openai/gpt-5-nano-2025-08-07",
            "anthropic/claude-4.5-haiku-20251001",
            "acme/new-model-20250101",
            "openai/gpt-5-mini-2025-08-07"
        ])
    );
    assert_eq!(first["limit_usd"], 5.0);
    assert_eq!(first["reset_interval"], "daily");
    assert_eq!(first["workspace_id"], workspace);
    let id = first["id"].as_str().unwrap();

    let patched = h
        .call(
            Method::PATCH,
            &format!("/guardrails/{id}"),
            Some(json!({"allowed_models": ["openai/gpt-5-mini"], "description": null})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(
        patched.body["data"]["allowed_models"],
        json!(["openai/gpt-5-mini-2025-08-07"])
    );
    assert_eq!(patched.body["data"]["description"], Value::Null);
    assert_eq!(patched.body["data"]["allowed_providers"], json!(["openai"]));
    assert_eq!(patched.body["data"]["limit_usd"], 5.0);

    // A budget and its period travel together.
    let lone_limit = h
        .call(
            Method::POST,
            "/guardrails",
            Some(json!({"name": "g", "limit_usd": 1})),
        )
        .await;
    assert_eq!(lone_limit.status, StatusCode::BAD_REQUEST);
    let lone_interval = h
        .call(
            Method::PATCH,
            &format!("/guardrails/{id}"),
            Some(json!({"reset_interval": "weekly"})),
        )
        .await;
    assert_eq!(lone_interval.status, StatusCode::BAD_REQUEST);
    let both = h
        .call(
            Method::PATCH,
            &format!("/guardrails/{id}"),
            Some(json!({"limit_usd": 2, "reset_interval": "weekly"})),
        )
        .await;
    assert_eq!(both.body["data"]["reset_interval"], "weekly");

    let page = h
        .call(Method::GET, "/guardrails?offset=1&limit=1", None)
        .await;
    assert_eq!(page.body["total_count"], 3);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["data"][0]["id"], first["id"]);
    for limit in [0, 101] {
        let reply = h
            .raw(
                Some(MANAGEMENT_KEY),
                Method::GET,
                &format!("/guardrails?limit={limit}"),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "limit={limit}");
    }

    let fetched = h
        .call(Method::GET, &format!("/guardrails/{id}"), None)
        .await;
    assert_eq!(fetched.body["data"], both.body["data"]);
    let deleted = h
        .call(Method::DELETE, &format!("/guardrails/{id}"), None)
        .await;
    assert_eq!(deleted.body, json!({ "deleted": true }));
    let gone = h
        .call(Method::GET, &format!("/guardrails/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let empty_models = json!({"name": "g", "allowed_models": []});
    assert!(SPEC
        .check_request("POST", "/guardrails", &empty_models)
        .is_err());
    let reply = h
        .raw(
            Some(MANAGEMENT_KEY),
            Method::POST,
            "/guardrails",
            Some(empty_models),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn assigning_a_key_moves_it_between_guardrails() {
    let h = Harness::start().await;
    let (k1, _) = h.create_key(json!({"name": "k1"})).await;
    let (k2, _) = h.create_key(json!({"name": "k2"})).await;
    let g1 = h.create_guardrail(json!({"name": "g1"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g2 = h.create_guardrail(json!({"name": "g2"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assign = |guardrail: &str| format!("/guardrails/{guardrail}/assignments/keys");

    let reply = h
        .call(
            Method::POST,
            &assign(&g1),
            Some(json!({"key_hashes": [k1.clone(), k2.clone()]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({"assigned_count": 2}));
    let listed = h.call(Method::GET, &assign(&g1), None).await;
    assert_eq!(listed.body["total_count"], 2);
    assert_eq!(listed.body["data"][0]["key_hash"], k1.as_str());
    assert_eq!(listed.body["data"][0]["key_name"], "k1");
    assert_eq!(listed.body["data"][0]["guardrail_id"], g1.as_str());

    let moved = h
        .call(
            Method::POST,
            &assign(&g2),
            Some(json!({"key_hashes": [k1.clone()]})),
        )
        .await;
    assert_eq!(moved.body, json!({"assigned_count": 1}));
    let on_g1 = h.call(Method::GET, &assign(&g1), None).await;
    assert_eq!(on_g1.body["total_count"], 1);
    assert_eq!(on_g1.body["data"][0]["key_hash"], k2.as_str());
    let on_g2 = h
        .call(
            Method::GET,
            &format!("{}?limit=10&offset=0", assign(&g2)),
            None,
        )
        .await;
    assert_eq!(on_g2.body["total_count"], 1);
    assert_eq!(on_g2.body["data"][0]["key_hash"], k1.as_str());
    assert_eq!(
        h.sim().key(&k1).unwrap().guardrail_id.as_deref(),
        Some(g2.as_str())
    );
    let everyone = h
        .call(Method::GET, "/guardrails/assignments/keys", None)
        .await;
    assert_eq!(everyone.body["total_count"], 2);

    let removed = h
        .call(
            Method::POST,
            &format!("{}/remove", assign(&g2)),
            Some(json!({"key_hashes": [k1.clone(), k2.clone()]})),
        )
        .await;
    assert_eq!(removed.body, json!({"unassigned_count": 1}));
    assert_eq!(h.sim().key(&k1).unwrap().guardrail_id, None);

    let empty = json!({"key_hashes": []});
    assert!(SPEC.check_request("POST", &assign(&g1), &empty).is_err());
    let reply = h
        .raw(
            Some(MANAGEMENT_KEY),
            Method::POST,
            &assign(&g1),
            Some(empty),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let missing = "550e8400-e29b-41d4-a716-446655440000";
    let reply = h
        .call(
            Method::POST,
            &assign(missing),
            Some(json!({"key_hashes": [k1.clone()]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = h.call(Method::GET, &assign(missing), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Deleting a key or a guardrail ends its assignments.
    h.call(Method::DELETE, &format!("/keys/{k2}"), None).await;
    assert!(h.sim().assignments().is_empty());
}

#[tokio::test]
async fn usage_can_be_advanced_and_overshoot_the_limit() {
    let h = Harness::start().await;
    let (hash, plaintext) = h.create_key(json!({"name": "k", "limit": 1})).await;
    assert!(h.sim().add_usage(&hash, 0.75));
    assert!(h.sim().add_usage(&hash, 0.5));
    assert!(!h.sim().add_usage("no-such-key", 1.0));
    let key = h
        .call(Method::GET, &format!("/keys/{hash}"), None)
        .await
        .body["data"]
        .clone();
    for field in ["usage", "usage_daily", "usage_weekly", "usage_monthly"] {
        assert_eq!(key[field], 1.25, "{field}");
    }
    assert_eq!(key["limit_remaining"], -0.25);
    let current = h.call_as(Some(&plaintext), Method::GET, "/key", None).await;
    assert_eq!(current.body["data"]["usage"], 1.25);
    assert_eq!(current.body["data"]["limit_remaining"], -0.25);
}

#[tokio::test]
async fn a_patched_limit_moves_what_is_left_and_null_removes_it() {
    let h = Harness::start().await;
    let (hash, plaintext) = h.create_key(json!({"name": "k", "limit": 2})).await;
    assert!(h.sim().add_usage(&hash, 1.5));
    let path = format!("/keys/{hash}");
    let raised = h
        .call(Method::PATCH, &path, Some(json!({"limit": 3})))
        .await;
    assert_eq!(raised.status, StatusCode::OK, "{:?}", raised.body);
    assert_eq!(raised.body["data"]["limit"], 3.0);
    assert_eq!(raised.body["data"]["limit_remaining"], 1.5);
    // The key itself sees the new limit (what a top-up is for).
    let current = h.call_as(Some(&plaintext), Method::GET, "/key", None).await;
    assert_eq!(current.body["data"]["limit"], 3.0);
    assert_eq!(current.body["data"]["limit_remaining"], 1.5);
    // Untouched fields stay; `null` removes the limit, as the spec says.
    let renamed = h
        .call(Method::PATCH, &path, Some(json!({"name": "k2"})))
        .await;
    assert_eq!(renamed.body["data"]["limit"], 3.0);
    let unlimited = h
        .call(Method::PATCH, &path, Some(json!({"limit": null})))
        .await;
    assert_eq!(unlimited.body["data"]["limit"], Value::Null);
    assert_eq!(unlimited.body["data"]["limit_remaining"], Value::Null);
    let negative = h
        .call(Method::PATCH, &path, Some(json!({"limit": -1})))
        .await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn hundreds_of_concurrent_creates_all_succeed() {
    let h = Harness::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..200 {
        let request = h.request(
            Some(MANAGEMENT_KEY),
            Method::POST,
            &h.url("/keys"),
            Some(json!({"name": format!("burst-{index}")})),
        );
        tasks.spawn(async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()
        });
    }
    let mut hashes = HashSet::new();
    let mut plaintexts = HashSet::new();
    while let Some(body) = tasks.join_next().await {
        let body = body.unwrap();
        SPEC.check_response("POST", "/keys", 201, &body).unwrap();
        hashes.insert(body["data"]["hash"].as_str().unwrap().to_owned());
        plaintexts.insert(body["key"].as_str().unwrap().to_owned());
    }
    assert_eq!(hashes.len(), 200);
    assert_eq!(plaintexts.len(), 200);
    assert_eq!(h.sim().keys().len(), 200);
    assert_eq!(h.sim().call_count("POST /keys"), 200);
}

#[tokio::test]
async fn rate_limits_carry_retry_after_and_apply_nothing() {
    let h = Harness::start().await;
    let limited = FaultAction::RateLimited {
        retry_after_secs: 7,
    };
    h.sim()
        .inject(FaultRule::next("POST /keys", 2, limited))
        .unwrap();
    for _ in 0..2 {
        let reply = h
            .call(Method::POST, "/keys", Some(json!({"name": "k"})))
            .await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(reply.headers[RETRY_AFTER], "7");
        assert_eq!(reply.body["error"]["code"], 429);
    }
    assert!(h.sim().keys().is_empty());
    h.create_key(json!({"name": "k"})).await;
    assert_eq!(h.sim().keys().len(), 1);
    assert_eq!(h.sim().call_count("POST /keys"), 3);
    assert!(h.sim().fault_rules().is_empty(), "a spent rule is gone");
}

#[tokio::test]
async fn server_errors_until_cleared() {
    let h = Harness::start().await;
    let fail = |status| FaultAction::ServerError { status };
    h.sim()
        .inject(FaultRule::every("GET /guardrails", fail(500)))
        .unwrap();
    h.sim()
        .inject(FaultRule::next("GET /keys", 1, fail(502)))
        .unwrap();
    h.sim()
        .inject(FaultRule::next("GET /keys", 1, fail(503)))
        .unwrap();
    for _ in 0..3 {
        let reply = h.call(Method::GET, "/guardrails", None).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    for status in [502, 503] {
        // Not documented by the spec, so checked by hand.
        let reply = h
            .raw(Some(MANAGEMENT_KEY), Method::GET, "/keys", None)
            .await;
        assert_eq!(reply.status.as_u16(), status);
        assert_eq!(reply.body["error"]["code"], status);
        assert!(reply.body["error"]["message"].is_string());
    }
    assert_eq!(
        h.call(Method::GET, "/keys", None).await.status,
        StatusCode::OK
    );
    h.sim().clear_faults();
    assert_eq!(
        h.call(Method::GET, "/guardrails", None).await.status,
        StatusCode::OK
    );
    assert_eq!(h.sim().call_count("GET /guardrails"), 4);

    let refused = h.sim().inject(FaultRule::every("POST /nope", fail(500)));
    assert!(matches!(refused, Err(InvalidFault::UnknownRoute(_))));
}

#[tokio::test]
async fn latency_is_added_to_every_call() {
    let h = Harness::start().await;
    // Far apart on purpose: a loaded CI machine must not blur "latency" and "none".
    let latency = Duration::from_millis(1500);
    h.sim().set_latency(latency);
    let started = Instant::now();
    let reply = h.call(Method::GET, "/keys", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    h.sim().set_latency(Duration::ZERO);
    let started = Instant::now();
    h.call(Method::GET, "/keys", None).await;
    assert!(started.elapsed() < latency, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_hung_call_times_the_client_out_and_applies_nothing() {
    let h = Harness::start().await;
    h.sim()
        .inject(FaultRule::next("POST /keys", 1, FaultAction::Hang))
        .unwrap();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = impatient
        .post(h.url("/keys"))
        .bearer_auth(MANAGEMENT_KEY)
        .json(&json!({"name": "k"}))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(h.sim().keys().is_empty());
    h.create_key(json!({"name": "k"})).await;
}

#[tokio::test]
async fn a_lost_response_still_applies_the_call() {
    let h = Harness::start().await;
    h.sim()
        .inject(FaultRule::next("POST /keys", 1, FaultAction::ResponseLost))
        .unwrap();
    let error = h
        .request(
            Some(MANAGEMENT_KEY),
            Method::POST,
            &h.url("/keys"),
            Some(json!({"name": "lost"})),
        )
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout(), "the connection drops at once: {error}");
    // The key exists although its creator never saw it: an orphan, as on OpenRouter.
    let keys = h.sim().keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].data.name, "lost");
    assert_eq!(
        h.sim().call_count("POST /keys"),
        1,
        "the client did not retry"
    );
    let listed = h.call(Method::GET, "/keys", None).await;
    assert_eq!(listed.body["data"][0]["name"], "lost");
}

#[tokio::test]
async fn a_garbled_success_still_applies_the_call() {
    let h = Harness::start().await;
    h.sim()
        .inject(FaultRule::next(
            "POST /keys",
            1,
            FaultAction::GarbledSuccess,
        ))
        .unwrap();
    let response = h
        .request(
            Some(MANAGEMENT_KEY),
            Method::POST,
            &h.url("/keys"),
            Some(json!({"name": "garbled"})),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let text = response.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "the body cannot be read: {text}"
    );
    assert!(!text.contains("sk-or-v1-"), "the plaintext is never sent");
    let keys = h.sim().keys();
    assert_eq!(keys.len(), 1, "the key exists all the same");
    assert_eq!(keys[0].data.name, "garbled");
}

#[tokio::test]
async fn an_outage_fails_every_call_until_it_ends() {
    let h = Harness::start().await;
    h.sim()
        .outage(OutageKind::Unavailable, Duration::from_secs(600));
    for path in ["/keys", "/guardrails", "/key"] {
        let reply = h.raw(Some(MANAGEMENT_KEY), Method::GET, path, None).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
    }
    let reply = h
        .raw(
            Some(MANAGEMENT_KEY),
            Method::POST,
            "/keys",
            Some(json!({"name": "down"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        h.sim().keys().is_empty(),
        "nothing is applied during an outage"
    );
    // Ending it (a zero-length outage) brings every route back.
    h.sim().outage(OutageKind::Unavailable, Duration::ZERO);
    let reply = h.call(Method::GET, "/keys", None).await;
    assert_eq!(reply.status, StatusCode::OK);

    // A hanging outage times clients out.
    h.sim().outage(OutageKind::Hang, Duration::from_secs(600));
    let started = Instant::now();
    let error = h
        .request(Some(MANAGEMENT_KEY), Method::GET, &h.url("/keys"), None)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout());
    assert!(started.elapsed() < Duration::from_secs(5));
    h.sim().clear_faults();
    assert_eq!(
        h.call(Method::GET, "/keys", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_admin_routes_steer_the_simulator() {
    let h = Harness::start().await;
    let admin = |path: &str| format!("http://{}/_simulator{path}", h.running.addr());
    let send = |method: Method, path: &str, body: Option<Value>| {
        h.request(Some(MANAGEMENT_KEY), method, &admin(path), body)
            .send()
    };
    let (hash, _) = h.create_key(json!({"name": "k"})).await;

    let rule = json!({"route": "DELETE /keys/{hash}", "action": {"kind": "server_error", "status": 503}, "times": 1});
    let injected = send(Method::POST, "/faults", Some(rule)).await.unwrap();
    assert_eq!(injected.status(), StatusCode::OK);
    let reply = h
        .raw(
            Some(MANAGEMENT_KEY),
            Method::DELETE,
            &format!("/keys/{hash}"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let bad_rule = json!({"route": "DELETE /key", "action": {"kind": "hang"}});
    let refused = send(Method::POST, "/faults", Some(bad_rule)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let latency = send(
        Method::PUT,
        "/faults/latency",
        Some(json!({"latency_ms": 5})),
    )
    .await
    .unwrap();
    assert_eq!(latency.json::<Value>().await.unwrap()["latency_ms"], 5);
    let outage = send(
        Method::POST,
        "/outage",
        Some(json!({"kind": "unavailable", "seconds": 60})),
    )
    .await
    .unwrap();
    let outage = outage.json::<Value>().await.unwrap();
    assert!(
        outage["outage_seconds_left"].as_u64().unwrap() > 50,
        "{outage}"
    );
    assert_eq!(
        h.raw(Some(MANAGEMENT_KEY), Method::GET, "/keys", None)
            .await
            .status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let cleared = send(Method::DELETE, "/faults", None).await.unwrap();
    assert_eq!(
        cleared.json::<Value>().await.unwrap(),
        json!({"latency_ms": 0, "rules": []})
    );

    let usage = send(
        Method::POST,
        &format!("/keys/{hash}/usage"),
        Some(json!({"usd": 0.5})),
    )
    .await
    .unwrap();
    let usage = usage.json::<Value>().await.unwrap();
    SPEC.check_response("GET", &format!("/keys/{hash}"), 200, &usage)
        .unwrap();
    assert_eq!(usage["data"]["usage"], 0.5);
    let missing = send(Method::POST, "/keys/nope/usage", Some(json!({"usd": 0.5})))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let state: Value = send(Method::GET, "/state", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["keys"][0]["hash"], hash.as_str());
    assert_eq!(state["keys"][0]["guardrail_id"], Value::Null);
    assert_eq!(state["guardrails"].as_array().unwrap().len(), 1);
    assert_eq!(state["calls"]["POST /keys"], 1);
    assert_eq!(state["calls"]["GET /keys"], 1);
    assert_eq!(state["calls"]["DELETE /keys/{hash}"], 1);

    let anonymous = h.http.get(admin("/state")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
