//! Every error code of the contract that the current endpoints can give,
//! through the real HTTP server: status, stable `code`, problem+json with
//! the request id, per-field `errors` on validation failures. Then the
//! `Idempotency-Key` guarantees and the operations endpoints (probes,
//! Prometheus, OpenAPI, docs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Resp, TestApp, filing, org};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use upturn_api::config::Secret;
use upturn_api::startup::Application;

on_both_backends!(
    malformed_json_is_400,
    validation_failures_name_the_field,
    unauthenticated_without_a_valid_token,
    invalid_credentials_do_not_tell_which,
    forbidden_for_a_role_that_may_not,
    not_found_for_unknown_invisible_and_unrouted,
    email_taken_is_409,
    stale_versions_are_409_or_412,
    invalid_transitions_and_no_matching_rule,
    body_too_large_or_not_json,
    idempotent_filing_replays_the_first_answer,
    idempotent_filing_under_concurrency,
    idempotent_unit_creation,
    operations_endpoints
);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A request with a raw body and any headers, for what the JSON helpers of
/// the harness cannot send (bad JSON, other content types, odd headers).
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Resp {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    common::read(request.send().await.unwrap()).await
}

/// A JSON body given as text, so it may be broken.
async fn post_text(app: &TestApp, path: &str, token: Option<&str>, text: &str) -> Resp {
    raw(
        app,
        Method::POST,
        path,
        token,
        &[("content-type", "application/json")],
        Some(text.as_bytes().to_vec()),
    )
    .await
}

/// `expect_problem`, plus the rest of RFC 9457: `type`, `title`, `status`
/// and `detail` are there, the status in the body is the HTTP one, the
/// request id is also in `X-Request-Id`, and only validation failures carry
/// `errors`.
#[track_caller]
fn problem(resp: Resp, status: u16, code: &str) -> Resp {
    assert!(
        resp.status < 500,
        "a client mistake must never be a 5xx: {} {:#}",
        resp.status,
        resp.body
    );
    let resp = resp.expect_problem(status, code);
    let body = &resp.body;
    assert_eq!(body["status"], status, "status member: {body:#}");
    assert!(
        body["type"].as_str().is_some_and(|t| !t.is_empty()),
        "type member: {body:#}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title member: {body:#}"
    );
    assert!(body["detail"].is_string(), "detail member: {body:#}");
    if let Some(header) = resp.header("x-request-id") {
        assert_eq!(body["request_id"], header.as_str(), "one request id");
    }
    if code == "validation_failed" {
        let errors = body["errors"].as_array().expect("errors on validation");
        assert!(!errors.is_empty(), "errors is not empty: {body:#}");
        for error in errors {
            assert!(error["field"].is_string(), "errors[].field: {body:#}");
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "errors[].message: {body:#}"
            );
        }
    } else {
        assert!(
            body.get("errors").is_none(),
            "only validation failures carry errors: {body:#}"
        );
    }
    resp
}

/// A `validation_failed` that names `field` in `errors[].field`.
#[track_caller]
fn invalid_field(resp: Resp, field: &str) -> Resp {
    let resp = problem(resp, 422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&field),
        "errors name {field}: {:#}",
        resp.body
    );
    resp
}

/// How many requests `token` can see (one page is plenty here).
async fn visible_requests(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/api/v1/requests?limit=200", token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

// ---------------------------------------------------------------------------
// 400 malformed_json
// ---------------------------------------------------------------------------

async fn malformed_json_is_400(app: TestApp) {
    let org = org(&app).await;

    // Truncated JSON, logged in and not.
    let truncated = r#"{"kind": "idea", "category": "product", "title": "#;
    problem(
        post_text(
            &app,
            "/api/v1/requests",
            Some(&org.front_a.token),
            truncated,
        )
        .await,
        400,
        "malformed_json",
    );
    problem(
        post_text(&app, "/api/v1/auth/login", None, r#"{"email": "a@b.c""#).await,
        400,
        "malformed_json",
    );

    // Trailing garbage after a valid document.
    let mut valid = filing("Trousers").to_string();
    valid.push_str(" garbage");
    problem(
        post_text(&app, "/api/v1/requests", Some(&org.front_a.token), &valid).await,
        400,
        "malformed_json",
    );
    let login = json!({"email": common::ADMIN_EMAIL, "password": common::PASSWORD});
    problem(
        post_text(&app, "/api/v1/auth/login", None, &format!("{login}}}")).await,
        400,
        "malformed_json",
    );

    // Not JSON at all, on an action.
    let id = app.file(&org.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        post_text(
            &app,
            &format!("/api/v1/requests/{id}/status"),
            Some(&org.manager_a.token),
            "status=resolved",
        )
        .await,
        400,
        "malformed_json",
    );

    // Nothing was filed by the broken bodies.
    assert_eq!(visible_requests(&app, &org.front_a.token).await.len(), 1);

    // JSON, but not an object: refused, and nothing changes.
    for body in ["[null, null]", "[]", "\"note\"", "7"] {
        problem(
            post_text(
                &app,
                &format!("/api/v1/requests/{id}/acknowledge"),
                Some(&org.manager_a.token),
                body,
            )
            .await,
            422,
            "validation_failed",
        );
    }
    let request = app
        .get(&format!("/api/v1/requests/{id}"), &org.manager_a.token)
        .await
        .expect(200);
    assert_eq!(
        request.body["status"], "new",
        "not acknowledged by an array"
    );
}

// ---------------------------------------------------------------------------
// 422 validation_failed
// ---------------------------------------------------------------------------

async fn validation_failures_name_the_field(app: TestApp) {
    let org = org(&app).await;
    let front = &org.front_a.token;

    // Closed lists: each bad value names its field.
    for (field, bad) in [
        ("kind", "complaint"),
        ("urgency", "urgent"),
        ("channel", "fax"),
        ("category", "no-such-category"),
    ] {
        let mut body = filing("Trousers");
        body[field] = json!(bad);
        invalid_field(app.post("/api/v1/requests", front, body).await, field);
    }

    // Several mistakes at once: all of them are named.
    let mut body = filing("Trousers");
    body["kind"] = json!("complaint");
    body["urgency"] = json!("urgent");
    body["channel"] = json!("fax");
    let several = invalid_field(app.post("/api/v1/requests", front, body).await, "kind");
    let several = invalid_field(several, "urgency");
    invalid_field(several, "channel");

    // A wrong JSON type for an enum field is named too.
    let mut body = filing("Trousers");
    body["kind"] = json!(3);
    invalid_field(app.post("/api/v1/requests", front, body).await, "kind");

    // Empty title.
    invalid_field(
        app.post("/api/v1/requests", front, filing("")).await,
        "title",
    );
    invalid_field(
        app.post("/api/v1/requests", front, filing("   ")).await,
        "title",
    );

    // The customer's expectation is always asked.
    let mut body = filing("Trousers");
    body.as_object_mut().unwrap().remove("customer_expectation");
    invalid_field(
        app.post("/api/v1/requests", front, body).await,
        "customer_expectation",
    );
    let mut body = filing("Trousers");
    body["customer_expectation"] = json!("");
    invalid_field(
        app.post("/api/v1/requests", front, body).await,
        "customer_expectation",
    );

    // None of that filed anything.
    assert!(visible_requests(&app, front).await.is_empty());

    // Follow-up scores out of range.
    let mut body = filing("Gift wrapping");
    body["resolved_on_the_spot"] = json!({"note": "Wrapped it myself"});
    let id = app
        .post("/api/v1/requests", front, body)
        .await
        .expect(201)
        .id();
    let follow_up = format!("/api/v1/requests/{id}/follow-up");
    invalid_field(
        app.post(
            &follow_up,
            front,
            json!({"customer_reached": true, "satisfaction": 6, "note": "Happy"}),
        )
        .await,
        "satisfaction",
    );
    invalid_field(
        app.post(
            &follow_up,
            front,
            json!({"customer_reached": true, "satisfaction": 0}),
        )
        .await,
        "satisfaction",
    );
    invalid_field(
        app.post(
            &follow_up,
            front,
            json!({"customer_reached": true, "satisfaction": 4, "would_recommend": 11}),
        )
        .await,
        "would_recommend",
    );
    invalid_field(
        app.post(
            &follow_up,
            front,
            json!({"customer_reached": true, "would_recommend": -1}),
        )
        .await,
        "would_recommend",
    );
    // The request was left as it was.
    let still = app
        .get(&format!("/api/v1/requests/{id}"), front)
        .await
        .expect(200);
    assert_eq!(still.body["status"], "resolved");
    assert_eq!(still.body["version"], 1);

    // A password of 7 characters.
    invalid_field(
        app.post(
            "/api/v1/members",
            &org.admin,
            json!({"name": "Short", "email": "short@test.upturn", "role": "frontline",
                   "unit_id": org.team_a, "password": "1234567"}),
        )
        .await,
        "password",
    );
    invalid_field(
        app.patch(
            &format!("/api/v1/members/{}", org.front_b.id),
            &org.admin,
            json!({"password": "1234567"}),
        )
        .await,
        "password",
    );
    invalid_field(
        app.post(
            "/api/v1/units",
            &org.admin,
            json!({"name": "Shop", "kind": "shop"}),
        )
        .await,
        "kind",
    );
    // It was not created: the email is still free.
    app.post(
        "/api/v1/members",
        &org.admin,
        json!({"name": "Short", "email": "short@test.upturn", "role": "frontline",
               "unit_id": org.team_a, "password": "12345678"}),
    )
    .await
    .expect(201);

    // Bad list filters and page sizes.
    invalid_field(
        app.get("/api/v1/requests?status=nope", front).await,
        "status",
    );
    invalid_field(app.get("/api/v1/requests?level=top", front).await, "level");
    invalid_field(
        app.get("/api/v1/requests?urgency=urgent", front).await,
        "urgency",
    );
    invalid_field(
        app.get("/api/v1/requests?filed_after=yesterday", front)
            .await,
        "filed_after",
    );
    invalid_field(app.get("/api/v1/requests?limit=0", front).await, "limit");
    invalid_field(app.get("/api/v1/requests?limit=201", front).await, "limit");
    invalid_field(
        app.get("/api/v1/requests?cursor=not-a-cursor", front).await,
        "cursor",
    );
    invalid_field(
        app.get("/api/v1/requests?unit_id=not-a-unit", front).await,
        "unit_id",
    );
    invalid_field(app.get("/api/v1/units?limit=0", front).await, "limit");
    // Query parameters of the wrong type are refused as invalid too (which
    // field they name: see `query_type_errors_name_the_parameter`).
    for query in ["limit=abc", "limit=-1", "mine=maybe"] {
        problem(
            app.get(&format!("/api/v1/requests?{query}"), front).await,
            422,
            "validation_failed",
        );
    }
}

// ---------------------------------------------------------------------------
// 401 unauthenticated / invalid_credentials
// ---------------------------------------------------------------------------

async fn unauthenticated_without_a_valid_token(app: TestApp) {
    let org = org(&app).await;
    let check = |resp: Resp| {
        let resp = problem(resp, 401, "unauthenticated");
        assert!(
            resp.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "401 says how to authenticate"
        );
    };

    // No token at all.
    check(app.get_public("/api/v1/me").await);
    check(app.get_public("/api/v1/requests").await);
    check(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            None,
            &[("content-type", "application/json")],
            Some(filing("x").to_string().into_bytes()),
        )
        .await,
    );
    // Not a bearer token.
    check(
        raw(
            &app,
            Method::GET,
            "/api/v1/me",
            None,
            &[("authorization", "Basic YWRtaW46YWRtaW4=")],
            None,
        )
        .await,
    );
    // Garbage.
    check(app.get("/api/v1/me", "garbage").await);
    check(app.get("/api/v1/me", "a.b.c").await);

    // A real token with its signature tampered with.
    let token = &org.front_a.token;
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let first = signature.chars().next().unwrap();
    let flipped = if first == 'A' { 'B' } else { 'A' };
    let tampered = format!("{signed}.{flipped}{}", &signature[1..]);
    check(app.get("/api/v1/me", &tampered).await);
    // No signature at all.
    check(app.get("/api/v1/me", &format!("{signed}.")).await);
    // The leader's claims with a front-line member's signature: not a way up.
    let (leader_signed, _) = org.leader.token.rsplit_once('.').unwrap();
    let forged = format!("{leader_signed}.{signature}");
    check(app.get("/api/v1/me", &forged).await);
    check(app.get("/api/v1/requests", &forged).await);
    // `alg: none` with real claims.
    let (_, claims) = signed.split_once('.').unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
    check(app.get("/api/v1/me", &unsigned).await);

    // A well-formed token for the same member, signed by a server that
    // shares the database but not the secret.
    let mut settings = common::test_settings(&app.database_url);
    settings.jwt_secret = Some(Secret::new("another-secret-another-secret-9876543210"));
    let other = Application::build(settings).await.unwrap();
    let other_base = format!("http://127.0.0.1:{}", other.port());
    let other_server = tokio::spawn(async move {
        let _ = other.run_until_stopped().await;
    });
    let foreign = common::read(
        app.client
            .post(format!("{other_base}/api/v1/auth/login"))
            .json(&json!({"email": "front.a@test.upturn", "password": common::PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    other_server.abort();
    let foreign = foreign.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(&foreign, token);
    check(app.get("/api/v1/me", &foreign).await);
    check(app.get("/api/v1/requests", &foreign).await);

    // The real token still works: the refusals were about the tampering.
    let me = app.get("/api/v1/me", token).await.expect(200);
    assert_eq!(me.body["id"], org.front_a.id.as_str());
}

async fn invalid_credentials_do_not_tell_which(app: TestApp) {
    let _org = org(&app).await;
    let unknown = problem(
        app.login("nobody@test.upturn", common::PASSWORD).await,
        401,
        "invalid_credentials",
    );
    let wrong = problem(
        app.login("front.a@test.upturn", "not-the-password").await,
        401,
        "invalid_credentials",
    );
    for member in ["type", "title", "status", "detail", "code"] {
        assert_eq!(
            unknown.body[member], wrong.body[member],
            "{member} is the same for an unknown email and a wrong password"
        );
    }
    // Nothing but the request id tells them apart.
    let strip = |body: &Value| {
        let mut body = body.clone();
        body.as_object_mut().unwrap().remove("request_id");
        body
    };
    assert_eq!(strip(&unknown.body), strip(&wrong.body));
    // An admin email with a wrong password is no different.
    let admin = problem(
        app.login(common::ADMIN_EMAIL, "not-the-password").await,
        401,
        "invalid_credentials",
    );
    assert_eq!(strip(&admin.body), strip(&wrong.body));
}

// ---------------------------------------------------------------------------
// 403 forbidden
// ---------------------------------------------------------------------------

async fn forbidden_for_a_role_that_may_not(app: TestApp) {
    let org = org(&app).await;
    let id = app.file(&org.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The front line sees it but may not acknowledge or decline it.
    problem(
        app.post(
            &format!("/api/v1/requests/{id}/acknowledge"),
            &org.front_a.token,
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        app.post(
            &format!("/api/v1/requests/{id}/route"),
            &org.front_a.token,
            json!({"to_unit_id": org.service_1, "note": "Down"}),
        )
        .await,
        403,
        "forbidden",
    );
    // Services and leaders do not file.
    problem(
        app.post("/api/v1/requests", &org.service1.token, filing("x"))
            .await,
        403,
        "forbidden",
    );
    problem(
        app.post("/api/v1/requests", &org.leader.token, filing("x"))
            .await,
        403,
        "forbidden",
    );
    // Members and units are the admin's business.
    problem(
        app.get("/api/v1/members", &org.manager_a.token).await,
        403,
        "forbidden",
    );
    problem(
        app.post(
            "/api/v1/units",
            &org.leader.token,
            json!({"name": "Shadow", "kind": "team"}),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        app.patch(
            &format!("/api/v1/units/{}", org.team_a),
            &org.manager_a.token,
            json!({"name": "Mine now"}),
        )
        .await,
        403,
        "forbidden",
    );
    // Nothing changed.
    let after = app
        .get(&format!("/api/v1/requests/{id}"), &org.manager_a.token)
        .await
        .expect(200);
    assert_eq!(after.body["status"], "new");
    assert_eq!(after.body["version"], 1);
}

// ---------------------------------------------------------------------------
// 404 not_found
// ---------------------------------------------------------------------------

async fn not_found_for_unknown_invisible_and_unrouted(app: TestApp) {
    let org = org(&app).await;
    let token = &org.leader.token;
    let unknown = uuid::Uuid::now_v7();

    // An unknown request id, on reads and actions.
    problem(
        app.get(&format!("/api/v1/requests/{unknown}"), token).await,
        404,
        "not_found",
    );
    problem(
        app.get(&format!("/api/v1/requests/{unknown}/events"), token)
            .await,
        404,
        "not_found",
    );
    problem(
        app.post(
            &format!("/api/v1/requests/{unknown}/acknowledge"),
            token,
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        app.get(&format!("/api/v1/units/{unknown}"), token).await,
        404,
        "not_found",
    );

    // Not a uuid in the path.
    problem(
        app.get("/api/v1/requests/not-a-uuid", token).await,
        404,
        "not_found",
    );
    problem(
        app.post(
            "/api/v1/requests/42/acknowledge",
            &org.manager_a.token,
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        app.get("/api/v1/units/not-a-uuid", token).await,
        404,
        "not_found",
    );

    // An unknown route, with and without a token.
    problem(app.get("/api/v1/nope", token).await, 404, "not_found");
    problem(app.get_public("/api/v2/requests").await, 404, "not_found");
    problem(app.get_public("/nope").await, 404, "not_found");

    // A tracking code that does not exist.
    problem(
        app.get_public("/api/v1/track/ZZZZ-ZZZZ").await,
        404,
        "not_found",
    );
    problem(
        app.get_public(&format!("/api/v1/track/{}", "X".repeat(40)))
            .await,
        404,
        "not_found",
    );

    // Another team's request: 404, never 403, so it does not leak.
    let theirs = app.file(&org.front_b).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hidden = problem(
        app.get(&format!("/api/v1/requests/{theirs}"), &org.front_a.token)
            .await,
        404,
        "not_found",
    );
    let missing = problem(
        app.get(&format!("/api/v1/requests/{unknown}"), &org.front_a.token)
            .await,
        404,
        "not_found",
    );
    assert_eq!(hidden.body["detail"], missing.body["detail"]);
    problem(
        app.post(
            &format!("/api/v1/requests/{theirs}/acknowledge"),
            &org.manager_a.token,
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        app.post(
            &format!("/api/v1/requests/{theirs}/route"),
            &org.manager_a.token,
            json!({"note": "Not mine"}),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        app.post(
            &format!("/api/v1/requests/{theirs}/comments"),
            &org.manager_a.token,
            json!({"body": "Peeking", "internal": false}),
        )
        .await,
        404,
        "not_found",
    );
    // A stale version or If-Match does not tell it exists either.
    problem(
        app.post(
            &format!("/api/v1/requests/{theirs}/status"),
            &org.manager_a.token,
            json!({"status": "in_progress", "version": 0}),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        app.post_with(
            &format!("/api/v1/requests/{theirs}/status"),
            &org.manager_a.token,
            &[("If-Match", "\"0\"")],
            json!({"status": "in_progress"}),
        )
        .await,
        404,
        "not_found",
    );
    // Nor its events.
    problem(
        app.get(
            &format!("/api/v1/requests/{theirs}/events/{unknown}"),
            &org.front_a.token,
        )
        .await,
        404,
        "not_found",
    );
    let untouched = app
        .get(&format!("/api/v1/requests/{theirs}"), &org.manager_b.token)
        .await
        .expect(200);
    assert_eq!(untouched.body["version"], 1);
}

// ---------------------------------------------------------------------------
// 409 email_taken
// ---------------------------------------------------------------------------

async fn email_taken_is_409(app: TestApp) {
    let org = org(&app).await;
    let body = |email: &str| {
        json!({"name": "Twin", "email": email, "role": "frontline",
               "unit_id": org.team_b, "password": "long enough"})
    };
    problem(
        app.post("/api/v1/members", &org.admin, body("front.a@test.upturn"))
            .await,
        409,
        "email_taken",
    );
    // Case and surrounding space do not make another address.
    problem(
        app.post("/api/v1/members", &org.admin, body("Front.A@Test.Upturn"))
            .await,
        409,
        "email_taken",
    );
    problem(
        app.post("/api/v1/members", &org.admin, body(common::ADMIN_EMAIL))
            .await,
        409,
        "email_taken",
    );
    // Renaming someone onto a taken address is refused too.
    problem(
        app.patch(
            &format!("/api/v1/members/{}", org.front_b.id),
            &org.admin,
            json!({"email": "front.a@test.upturn"}),
        )
        .await,
        409,
        "email_taken",
    );
}

// ---------------------------------------------------------------------------
// 409 version_conflict / 412 precondition_failed
// ---------------------------------------------------------------------------

async fn stale_versions_are_409_or_412(app: TestApp) {
    let org = org(&app).await;
    let manager = &org.manager_a.token;
    let id = app.file(&org.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = format!("/api/v1/requests/{id}/status");
    let acked = app
        .post(
            &format!("/api/v1/requests/{id}/acknowledge"),
            manager,
            json!({"version": 1}),
        )
        .await
        .expect(200);
    assert_eq!(acked.body["version"], 2);

    // A stale `version` in the body: 409.
    let conflict = problem(
        app.post(
            &status,
            manager,
            json!({"status": "in_progress", "version": 1}),
        )
        .await,
        409,
        "version_conflict",
    );
    assert!(
        conflict.body["detail"].as_str().unwrap().contains('2'),
        "the detail gives the current version: {:#}",
        conflict.body
    );
    // A stale `If-Match`: 412.
    problem(
        app.post_with(
            &status,
            manager,
            &[("If-Match", "\"1\"")],
            json!({"status": "in_progress"}),
        )
        .await,
        412,
        "precondition_failed",
    );
    // An `If-Match` that is no version at all: 412.
    for garbage in ["\"garbage\"", "W/\"x\"", "tomorrow"] {
        problem(
            app.post_with(
                &status,
                manager,
                &[("If-Match", garbage)],
                json!({"status": "in_progress"}),
            )
            .await,
            412,
            "precondition_failed",
        );
    }
    // Route and follow-up honour them too.
    problem(
        app.post_with(
            &format!("/api/v1/requests/{id}/route"),
            manager,
            &[("If-Match", "\"1\"")],
            json!({"to_unit_id": org.service_1, "note": "Down"}),
        )
        .await,
        412,
        "precondition_failed",
    );
    problem(
        app.post(
            &format!("/api/v1/requests/{id}/route"),
            manager,
            json!({"to_unit_id": org.service_1, "note": "Down", "version": 1}),
        )
        .await,
        409,
        "version_conflict",
    );

    // None of them changed anything; the current version works.
    let current = app
        .get(&format!("/api/v1/requests/{id}"), manager)
        .await
        .expect(200);
    assert_eq!(current.body["version"], 2);
    assert_eq!(current.body["status"], "acknowledged");
    assert_eq!(current.header("etag").unwrap(), "\"2\"");
    app.post_with(
        &status,
        manager,
        &[("If-Match", "\"2\"")],
        json!({"status": "in_progress", "version": 2}),
    )
    .await
    .expect(200);

    // Units: stale `version` → 409, stale `If-Match` → 412.
    let unit = format!("/api/v1/units/{}", org.team_a);
    app.patch(&unit, &org.admin, json!({"name": "Lyon centre"}))
        .await
        .expect(200);
    problem(
        app.patch(&unit, &org.admin, json!({"name": "Lyon 2", "version": 1}))
            .await,
        409,
        "version_conflict",
    );
    problem(
        raw(
            &app,
            Method::PATCH,
            &unit,
            Some(&org.admin),
            &[("content-type", "application/json"), ("if-match", "\"1\"")],
            Some(json!({"name": "Lyon 3"}).to_string().into_bytes()),
        )
        .await,
        412,
        "precondition_failed",
    );
    let unit_now = app.get(&unit, &org.admin).await.expect(200);
    assert_eq!(unit_now.body["name"], "Lyon centre");
}

// ---------------------------------------------------------------------------
// 422 invalid_transition / no_matching_rule
// ---------------------------------------------------------------------------

async fn invalid_transitions_and_no_matching_rule(app: TestApp) {
    let org = org(&app).await;
    let manager = &org.manager_a.token;
    let id = app.file(&org.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acknowledge = format!("/api/v1/requests/{id}/acknowledge");
    let route = format!("/api/v1/requests/{id}/route");

    // Acknowledging twice.
    app.post(&acknowledge, manager, json!({})).await.expect(200);
    problem(
        app.post(&acknowledge, manager, json!({})).await,
        422,
        "invalid_transition",
    );

    // A route without a unit and no rule to pick one.
    problem(
        app.post(&route, manager, json!({"note": "Somebody, please"}))
            .await,
        422,
        "no_matching_rule",
    );
    problem(
        app.post(
            &route,
            manager,
            json!({"to_unit_id": null, "note": "Somebody, please"}),
        )
        .await,
        422,
        "no_matching_rule",
    );

    // Routing to a team is not down the pyramid.
    problem(
        app.post(
            &route,
            manager,
            json!({"to_unit_id": org.team_b, "note": "Sideways"}),
        )
        .await,
        422,
        "invalid_transition",
    );

    // Down to leadership, then back up to a service: refused.
    app.post(
        &route,
        manager,
        json!({"to_unit_id": org.leadership, "note": "Budget"}),
    )
    .await
    .expect(200);
    problem(
        app.post(
            &route,
            &org.leader.token,
            json!({"to_unit_id": org.service_1, "note": "Back up?"}),
        )
        .await,
        422,
        "invalid_transition",
    );

    // A resolved request cannot be routed, acknowledged or resolved again.
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &org.leader.token,
        json!({"status": "resolved", "note": "Done"}),
    )
    .await
    .expect(200);
    problem(
        app.post(
            &format!("/api/v1/requests/{id}/status"),
            manager,
            json!({"status": "resolved", "note": "Again"}),
        )
        .await,
        422,
        "invalid_transition",
    );

    // A follow-up before any resolution.
    let open = app.file(&org.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        app.post(
            &format!("/api/v1/requests/{open}/follow-up"),
            &org.front_a.token,
            json!({"customer_reached": true, "satisfaction": 5}),
        )
        .await,
        422,
        "invalid_transition",
    );

    // The timeline holds only what succeeded.
    let kinds: Vec<String> = app
        .get(&format!("/api/v1/requests/{id}/events"), &org.leader.token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["filed", "acknowledged", "escalated", "resolved"]);
}

// ---------------------------------------------------------------------------
// 413 payload_too_large / 415 unsupported_media_type
// ---------------------------------------------------------------------------

async fn body_too_large_or_not_json(app: TestApp) {
    let org = org(&app).await;
    let front = &org.front_a.token;

    // Over 64 KiB, even if it is valid JSON.
    let mut big = filing("Trousers");
    big["description"] = json!("x".repeat(70 * 1024));
    let big = big.to_string().into_bytes();
    assert!(big.len() > 64 * 1024);
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            Some(front),
            &[("content-type", "application/json")],
            Some(big.clone()),
        )
        .await,
        413,
        "payload_too_large",
    );
    // Much larger still.
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            Some(front),
            &[("content-type", "application/json")],
            Some(vec![b' '; 2 * 1024 * 1024]),
        )
        .await,
        413,
        "payload_too_large",
    );
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            &[("content-type", "application/json")],
            Some(big),
        )
        .await,
        413,
        "payload_too_large",
    );
    // Without a Content-Length: the server counts as it reads.
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            Some(front),
            &[
                ("content-type", "application/json"),
                ("transfer-encoding", "chunked"),
            ],
            Some(vec![b' '; 100 * 1024]),
        )
        .await,
        413,
        "payload_too_large",
    );

    // Just under the limit is read (and here refused for its content, not its size).
    let mut near = filing("Trousers");
    near["description"] = json!("x".repeat(60 * 1024));
    let near = app.post("/api/v1/requests", front, near).await;
    assert_ne!(near.status, 413, "{:#}", near.body);
    assert!(near.status < 500, "{:#}", near.body);

    // A JSON body sent as text/plain, or with no content type.
    let body = filing("Trousers").to_string().into_bytes();
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            Some(front),
            &[("content-type", "text/plain")],
            Some(body.clone()),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            Some(front),
            &[],
            Some(body.clone()),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/requests",
            Some(front),
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(b"kind=idea".to_vec()),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    problem(
        raw(
            &app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            &[("content-type", "text/plain")],
            Some(
                json!({"email": common::ADMIN_EMAIL, "password": common::PASSWORD})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    // JSON with a charset parameter is JSON.
    raw(
        &app,
        Method::POST,
        "/api/v1/requests",
        Some(front),
        &[("content-type", "application/json; charset=utf-8")],
        Some(body),
    )
    .await
    .expect(201);

    // Only that last one was filed.
    assert_eq!(
        visible_requests(&app, front).await.len(),
        usize::from(near.status == 201) + 1
    );
}

// ---------------------------------------------------------------------------
// Idempotency-Key
// ---------------------------------------------------------------------------

async fn idempotent_filing_replays_the_first_answer(app: TestApp) {
    let org = org(&app).await;
    let front = &org.front_a.token;
    let key = [("Idempotency-Key", "file-once-0001")];

    let first = app
        .post_with("/api/v1/requests", front, &key, filing("Trousers"))
        .await
        .expect(201);
    let again = app
        .post_with("/api/v1/requests", front, &key, filing("Trousers"))
        .await
        .expect(201);
    assert_eq!(again.id(), first.id());
    assert_eq!(again.body["reference"], first.body["reference"]);
    assert_eq!(again.header("location"), first.header("location"));
    // The same body with its keys in another order is the same request.
    let mut reordered = serde_json::Map::new();
    let original = filing("Trousers");
    let mut keys: Vec<&String> = original.as_object().unwrap().keys().collect();
    keys.reverse();
    for k in keys {
        reordered.insert(k.clone(), original[k].clone());
    }
    let third = app
        .post_with("/api/v1/requests", front, &key, Value::Object(reordered))
        .await
        .expect(201);
    assert_eq!(third.id(), first.id());

    let listed = visible_requests(&app, front).await;
    assert_eq!(listed.len(), 1, "one request for one key: {listed:#?}");
    assert_eq!(listed[0]["id"], first.body["id"]);

    // The same key with another body.
    problem(
        app.post_with("/api/v1/requests", front, &key, filing("Shoes"))
            .await,
        422,
        "idempotency_key_reused",
    );
    assert_eq!(visible_requests(&app, front).await.len(), 1);

    // Another key is another request.
    let other = app
        .post_with(
            "/api/v1/requests",
            front,
            &[("Idempotency-Key", "file-once-0002")],
            filing("Trousers"),
        )
        .await
        .expect(201);
    assert_ne!(other.id(), first.id());
    assert_eq!(visible_requests(&app, front).await.len(), 2);

    // A key that is too long is named.
    let long = "k".repeat(256);
    invalid_field(
        app.post_with(
            "/api/v1/requests",
            front,
            &[("Idempotency-Key", long.as_str())],
            filing("Trousers"),
        )
        .await,
        "Idempotency-Key",
    );
    invalid_field(
        app.post_with(
            "/api/v1/requests",
            front,
            &[("Idempotency-Key", "")],
            filing("Trousers"),
        )
        .await,
        "Idempotency-Key",
    );
    assert_eq!(visible_requests(&app, front).await.len(), 2);
}

async fn idempotent_filing_under_concurrency(app: TestApp) {
    let org = org(&app).await;
    let front = &org.front_a.token;
    let key = [("Idempotency-Key", "ten-at-once")];
    let answers = join_all(
        (0..10).map(|_| app.post_with("/api/v1/requests", front, &key, filing("Trousers"))),
    )
    .await;
    let mut ids = Vec::new();
    for answer in answers {
        ids.push(answer.expect(201).id());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one id for one key: {ids:?}");
    let listed = visible_requests(&app, front).await;
    assert_eq!(listed.len(), 1, "one request for one key: {listed:#?}");
    assert_eq!(listed[0]["id"], ids[0].as_str());
    // The timeline has one filing.
    let events = app
        .get(&format!("/api/v1/requests/{}/events", ids[0]), front)
        .await
        .expect(200);
    assert_eq!(events.body["items"].as_array().unwrap().len(), 1);
}

async fn idempotent_unit_creation(app: TestApp) {
    let admin = app.admin_token().await;
    let key = [("Idempotency-Key", "unit-once")];
    let body = json!({"name": "Lyon store", "kind": "team"});
    let first = app
        .post_with("/api/v1/units", &admin, &key, body.clone())
        .await
        .expect(201);
    let again = app
        .post_with("/api/v1/units", &admin, &key, body.clone())
        .await
        .expect(201);
    assert_eq!(again.id(), first.id());
    assert_eq!(again.header("location"), first.header("location"));
    problem(
        app.post_with(
            "/api/v1/units",
            &admin,
            &key,
            json!({"name": "Paris store", "kind": "team"}),
        )
        .await,
        422,
        "idempotency_key_reused",
    );

    // Ten at once with a fresh key.
    let key = [("Idempotency-Key", "ten-units-at-once")];
    let body = json!({"name": "Purchasing", "kind": "service"});
    let answers =
        join_all((0..10).map(|_| app.post_with("/api/v1/units", &admin, &key, body.clone()))).await;
    let mut ids = Vec::new();
    for answer in answers {
        ids.push(answer.expect(201).id());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one id for one key: {ids:?}");

    let units = app.get("/api/v1/units?limit=200", &admin).await.expect(200);
    let names: Vec<&str> = units.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "Lyon store").count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "Purchasing").count(),
        1,
        "{names:?}"
    );
    assert!(!names.contains(&"Paris store"), "{names:?}");
}

// ---------------------------------------------------------------------------
// 429 rate_limited (SQLite only: the limiter lives in the process)
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_rate_limited_with_retry_after() {
    let app = common::spawn_app_with(Backend::Sqlite, |s| s.login_attempts_per_minute = 3).await;
    for _ in 0..3 {
        problem(
            app.login(common::ADMIN_EMAIL, "not-the-password").await,
            401,
            "invalid_credentials",
        );
    }
    // The fourth attempt within the minute, even with the right password.
    for password in ["not-the-password", common::PASSWORD] {
        let limited = problem(
            app.login(common::ADMIN_EMAIL, password).await,
            429,
            "rate_limited",
        );
        let retry_after: u64 = limited
            .header("retry-after")
            .expect("429 has Retry-After")
            .parse()
            .expect("Retry-After is a number of seconds");
        assert!(
            (1..=60).contains(&retry_after),
            "Retry-After within the minute: {retry_after}"
        );
        assert!(limited.body.get("access_token").is_none());
    }
    // Letter case does not give another quota for the same address.
    problem(
        app.login(&common::ADMIN_EMAIL.to_uppercase(), common::PASSWORD)
            .await,
        429,
        "rate_limited",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_lookups_are_rate_limited_with_retry_after() {
    let app = common::spawn_app_with(Backend::Sqlite, |s| s.track_lookups_per_minute = 2).await;
    for _ in 0..2 {
        problem(
            app.get_public("/api/v1/track/ZZZZ-ZZZZ").await,
            404,
            "not_found",
        );
    }
    let limited = problem(
        app.get_public("/api/v1/track/ZZZZ-ZZZY").await,
        429,
        "rate_limited",
    );
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("429 has Retry-After")
        .parse()
        .expect("Retry-After is a number of seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_unauthenticated() {
    // Tokens that expire a minute before they are issued (beyond any leeway).
    let app = common::spawn_app_with(Backend::Sqlite, |s| s.jwt_ttl_seconds = -60).await;
    let token = app.admin_token().await;
    let resp = problem(app.get("/api/v1/me", &token).await, 401, "unauthenticated");
    assert!(resp.header("www-authenticate").is_some());
}

/// SPEC: "`ETag` on single resources", and a retry with the same
/// `Idempotency-Key` gets the first answer again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_replay_keeps_the_etag() {
    let app = common::spawn_app(Backend::Sqlite).await;
    let org = org(&app).await;
    let key = [("Idempotency-Key", "etag-replay")];
    let first = app
        .post_with("/api/v1/requests", &org.front_a.token, &key, filing("T"))
        .await
        .expect(201);
    let again = app
        .post_with("/api/v1/requests", &org.front_a.token, &key, filing("T"))
        .await
        .expect(201);
    assert_eq!(first.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.body, first.body);

    let admin = &org.admin;
    let key = [("Idempotency-Key", "etag-replay-unit")];
    let body = json!({"name": "Logistics", "kind": "service"});
    let first = app
        .post_with("/api/v1/units", admin, &key, body.clone())
        .await
        .expect(201);
    let again = app
        .post_with("/api/v1/units", admin, &key, body)
        .await
        .expect(201);
    assert!(first.header("etag").is_some());
    assert_eq!(again.header("etag"), first.header("etag"));
}

/// SPEC: `validation_failed` carries per-field `errors: [{field, message}]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_type_errors_name_the_parameter() {
    let app = common::spawn_app(Backend::Sqlite).await;
    let org = org(&app).await;
    let front = &org.front_a.token;
    invalid_field(app.get("/api/v1/requests?limit=abc", front).await, "limit");
    invalid_field(app.get("/api/v1/requests?mine=maybe", front).await, "mine");
    invalid_field(
        app.get("/api/v1/requests?overdue=2", front).await,
        "overdue",
    );
}

// ---------------------------------------------------------------------------
// Operations: probes, Prometheus, OpenAPI, docs
// ---------------------------------------------------------------------------

/// Every `(method, path)` the router of `routes::configure` serves as API or
/// probe (the OpenAPI document and the docs pages themselves aside).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/login"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/units"),
    ("post", "/api/v1/units"),
    ("get", "/api/v1/units/{id}"),
    ("patch", "/api/v1/units/{id}"),
    ("get", "/api/v1/members"),
    ("post", "/api/v1/members"),
    ("get", "/api/v1/members/{id}"),
    ("patch", "/api/v1/members/{id}"),
    ("get", "/api/v1/requests"),
    ("post", "/api/v1/requests"),
    ("get", "/api/v1/requests/{id}"),
    ("get", "/api/v1/requests/{id}/events"),
    ("get", "/api/v1/requests/{id}/events/{event_id}"),
    ("post", "/api/v1/requests/{id}/acknowledge"),
    ("post", "/api/v1/requests/{id}/route"),
    ("post", "/api/v1/requests/{id}/status"),
    ("post", "/api/v1/requests/{id}/comments"),
    ("post", "/api/v1/requests/{id}/follow-up"),
    ("get", "/api/v1/track/{code}"),
];

/// The values of `attribute="…"` in an HTML page.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let mut values = Vec::new();
    let needle = format!("{attribute}=");
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().last();
        rest = &rest[at + needle.len()..];
        // `src=` inside a longer name (`data-src=`) counts as well; a name
        // that merely ends in it after a letter (`xsrc=`) does not.
        if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let quote = rest.chars().next().unwrap_or(' ');
        let value = if quote == '"' || quote == '\'' {
            let inner = &rest[1..];
            &inner[..inner.find(quote).unwrap_or(inner.len())]
        } else {
            &rest[..rest
                .find(|c: char| c.is_whitespace() || c == '>')
                .unwrap_or(rest.len())]
        };
        values.push(value);
    }
    values
}

async fn operations_endpoints(app: TestApp) {
    // Probes.
    let health = app.get_public("/healthz").await.expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.get_public("/readyz").await.expect(200);
    assert_eq!(ready.body["status"], "ready");

    // Prometheus text with the requests just made, by route.
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    let content_type = metrics
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = metrics.text().await.unwrap();
    let counters: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert!(!counters.is_empty(), "no http_requests_total in:\n{text}");
    assert!(
        counters.iter().any(|l| l.contains("route=\"/healthz\"")),
        "counted by route pattern: {counters:#?}"
    );
    assert!(
        counters.iter().all(|l| l.contains("route=\"")),
        "every counter has a route label: {counters:#?}"
    );
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "typed as a counter:\n{text}"
    );

    // The OpenAPI document.
    let openapi = app.get_public("/api/openapi.json").await.expect(200);
    let doc = &openapi.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    for (method, path) in ROUTES {
        if paths.get(*path).and_then(|p| p.get(*method)).is_none() {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    assert!(missing.is_empty(), "undocumented routes: {missing:?}");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in ["RequestResponse", "Problem"] {
        assert!(
            schemas.contains_key(schema),
            "schema {schema} missing; have {:?}",
            schemas.keys().collect::<Vec<_>>()
        );
    }
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "bearer security scheme"
    );

    // The docs page, self-contained.
    let page = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let content_type = page
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = page.text().await.unwrap();
    let mut references = attribute_values(&html, "src");
    references.extend(attribute_values(&html, "href"));
    references.extend(attribute_values(&html, "spec-url"));
    assert!(!references.is_empty(), "the page loads its script:\n{html}");
    for reference in &references {
        assert!(
            reference.starts_with('/') && !reference.starts_with("//"),
            "not same-origin: {reference}"
        );
    }
    assert!(
        references.contains(&"/docs/rapidoc-min.js"),
        "{references:?}"
    );
    assert!(references.contains(&"/api/openapi.json"), "{references:?}");

    // Its script, served by us.
    let script = app
        .client
        .get(app.url("/docs/rapidoc-min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status().as_u16(), 200);
    let content_type = script
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.contains("javascript"), "{content_type}");
    let bytes = script.bytes().await.unwrap();
    assert!(bytes.len() > 100 * 1024, "{} bytes", bytes.len());
}
