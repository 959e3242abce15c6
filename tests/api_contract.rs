//! The published contract says what the service does (issue 15): a method a
//! path does not serve is `405` with `Allow`, a query-string error names its
//! parameter, and what the document promises a client may send is taken —
//! and what it refuses is refused. Schemathesis holds the whole document to
//! the service in CI (`tests/contract/run.sh`); these pin each promise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{TestApp, filing, org};
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    app.get_public("/api/openapi.json").await.expect(200).body
}

async fn every_path_answers_other_methods_with_405_and_allow(app: TestApp) {
    let document = document(&app).await;
    let client = common::client();
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let served: BTreeSet<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        let concrete = path
            .replace("{id}", "0192f0c4-0000-7000-8000-000000000000")
            .replace("{event_id}", "0192f0c4-0000-7000-8000-000000000000")
            .replace("{code}", "ABCD-2345");
        for method in methods.iter().filter(|m| !served.contains(**m)) {
            let answer = common::read(
                client
                    .request(method.parse().unwrap(), app.url(&concrete))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
            .expect_problem(405, "method_not_allowed");
            let allow: BTreeSet<String> = answer
                .header("allow")
                .unwrap_or_default()
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(allow, served, "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} method/path pairs");
    // Unknown paths stay 404.
    app.get_public("/api/v1/nowhere")
        .await
        .expect_problem(404, "not_found");
}

async fn a_query_string_error_names_its_parameter(app: TestApp) {
    let o = org(&app).await;
    let unknown = app
        .get(
            "/api/v1/metrics/engagement?from=2026-01-01",
            &o.leader.token,
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        unknown.body["errors"][0]["field"], "from",
        "{:#}",
        unknown.body
    );
    let message = unknown.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("period") && !message.contains("deserialize"),
        "{message}"
    );
    let limit = app
        .get("/api/v1/requests?limit=AAA", &o.manager_a.token)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(limit.body["errors"][0]["field"], "limit");
    let category = app
        .get("/api/v1/requests?category=null", &o.manager_a.token)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(category.body["errors"][0]["field"], "category");
    for empty in ["kind=", "status=new,", "category="] {
        app.get(&format!("/api/v1/requests?{empty}"), &o.manager_a.token)
            .await
            .expect_problem(422, "validation_failed");
    }
    // A list of closed values, comma-separated as the document declares.
    app.get(
        "/api/v1/requests?status=new,acknowledged&category=product,price",
        &o.manager_a.token,
    )
    .await
    .expect(200);
    // A bad limit is refused even where the page is not used.
    app.get(
        &format!("/api/v1/metrics/by-unit?unit_id={}&limit=AAA", o.team_a),
        &o.manager_a.token,
    )
    .await
    .expect_problem(422, "validation_failed");
}

async fn the_document_declares_errors_links_and_the_organisations_categories(app: TestApp) {
    let document = document(&app).await;
    let file = &document["paths"]["/api/v1/requests"]["post"];
    for status in ["400", "401", "403", "413", "415", "422"] {
        assert_eq!(
            file["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "POST /requests {status}"
        );
    }
    assert_eq!(
        file["responses"]["201"]["links"]["GetRequest"]["operationId"],
        "get_request"
    );
    let login = &document["paths"]["/api/v1/auth/login"]["post"];
    assert!(login["responses"]["429"]["headers"]["Retry-After"].is_object());
    let categories = &document["components"]["schemas"]["CategoryName"]["enum"];
    assert_eq!(
        categories.as_array().unwrap().len(),
        upturn_domain::model::DEFAULT_CATEGORIES.len(),
        "{categories}"
    );
    let title = &document["components"]["schemas"]["FileRequestBody"]["properties"]["title"];
    assert_eq!(title["maxLength"], 200);
    let kinds = &document["components"]["schemas"]["KindName"]["enum"];
    assert!(kinds.as_array().unwrap().contains(&json!("unmet_need")));
}

async fn what_the_document_allows_is_taken(app: TestApp) {
    let o = org(&app).await;
    let filed = app.file(&o.front_a).await;
    let path = format!("/api/v1/requests/{}", filed["id"].as_str().unwrap());
    // `null` for the optional body of acknowledge, and each `If-Match` form.
    let acknowledged = app
        .post_with(
            &format!("{path}/acknowledge"),
            &o.manager_a.token,
            &[("If-Match", "W/\"1\"")],
            Value::Null,
        )
        .await
        .expect(200);
    assert_eq!(acknowledged.body["status"], "acknowledged");
    app.post_with(
        &format!("{path}/status"),
        &o.manager_a.token,
        &[("If-Match", "2")],
        json!({"status": "in_progress"}),
    )
    .await
    .expect(200);
    for garbage in ["{}", "null", "\"3", "W/3x"] {
        app.post_with(
            &format!("{path}/status"),
            &o.manager_a.token,
            &[("If-Match", garbage)],
            json!({"status": "resolved", "note": "Done"}),
        )
        .await
        .expect_problem(412, "precondition_failed");
    }
    // JSON Schema counts 4.0 as an integer.
    let answered = app
        .post(
            "/api/v1/pulse/responses",
            &o.front_a.token,
            json!({"happiness": 4.0, "pleasure": 3, "engagement": 5.0}),
        )
        .await
        .expect(201);
    assert!(answered.body.is_object());
    app.post(
        "/api/v1/pulse/responses",
        &o.front_b.token,
        json!({"happiness": 4.5, "pleasure": 3, "engagement": 5}),
    )
    .await
    .expect_problem(422, "validation_failed");
}

async fn what_the_document_refuses_is_refused(app: TestApp) {
    let o = org(&app).await;
    // The title's 200 characters count what is sent, spaces included.
    let mut padded = filing("Trousers");
    padded["title"] = json!(format!("{} ", "t".repeat(200)));
    app.post("/api/v1/requests", &o.front_a.token, padded)
        .await
        .expect_problem(422, "validation_failed");
    // An Idempotency-Key is visible ASCII without spaces.
    app.post_with(
        "/api/v1/requests",
        &o.front_a.token,
        &[("Idempotency-Key", "two words")],
        filing("Trousers"),
    )
    .await
    .expect_problem(422, "validation_failed");
    // A NUL, which PostgreSQL refuses in text, never reaches a query.
    app.login("front.a\u{0}@test.upturn", "whatever-password")
        .await
        .expect_problem(401, "invalid_credentials");
    app.post(
        "/api/v1/members",
        &o.admin,
        json!({"name": "Nul", "email": "nul\u{0}@test.upturn", "role": "frontline",
               "unit_id": o.team_a, "password": "long-enough-password"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/routing-rules",
        &o.leader.token,
        json!({"name": "Nul", "position": 1, "target_unit_id": o.service_1,
               "match": {"keywords": ["size\u{0}44"]}}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/webhooks",
        &o.leader.token,
        json!({"url": "https://upturn-test.invalid/hook", "events": ["filed"],
               "description": "nul\u{0}"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // A search padded past 200 characters.
    let q = format!("{}%20", "a".repeat(200));
    app.get(&format!("/api/v1/requests?q={q}"), &o.manager_a.token)
        .await
        .expect_problem(422, "validation_failed");
}

async fn a_key_whose_resource_was_deleted_creates_anew(app: TestApp) {
    let o = org(&app).await;
    let body = json!({"url": "https://upturn-test.invalid/hook", "events": ["filed"]});
    let key = [("Idempotency-Key", "hook-once")];
    let first = app
        .post_with("/api/v1/webhooks", &o.leader.token, &key, body.clone())
        .await
        .expect(201);
    let replay = app
        .post_with("/api/v1/webhooks", &o.leader.token, &key, body.clone())
        .await
        .expect(201);
    assert_eq!(replay.id(), first.id(), "a retry answers the same");
    let path = format!("/api/v1/webhooks/{}", first.id());
    let deleted = common::read(
        common::client()
            .delete(app.url(&path))
            .bearer_auth(&o.leader.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(deleted.status, 204);
    let anew = app
        .post_with("/api/v1/webhooks", &o.leader.token, &key, body)
        .await
        .expect(201);
    assert_ne!(anew.id(), first.id(), "no answer naming a deleted webhook");
    app.get(&format!("/api/v1/webhooks/{}", anew.id()), &o.leader.token)
        .await
        .expect(200);
}

on_both_backends!(
    a_key_whose_resource_was_deleted_creates_anew,
    every_path_answers_other_methods_with_405_and_allow,
    a_query_string_error_names_its_parameter,
    the_document_declares_errors_links_and_the_organisations_categories,
    what_the_document_allows_is_taken,
    what_the_document_refuses_is_refused,
);
