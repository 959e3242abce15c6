//! Headers every answer carries: no sniffing, no referrer, no framing;
//! `no-store` on the API (tokens, customers' personal data), errors
//! included; a Content-Security-Policy without inline scripts on `/docs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, org};
use serde_json::json;

async fn every_answer_carries_the_security_headers(app: TestApp) {
    let o = org(&app).await;
    let request = app.file(&o.front_a).await;
    let code = request["tracking_code"].as_str().unwrap();
    let login = app.login("front.a@test.upturn", common::PASSWORD).await;
    let answers = vec![
        ("login", login),
        ("me", app.get("/api/v1/me", &o.front_a.token).await),
        ("list", app.get("/api/v1/requests", &o.front_a.token).await),
        (
            "track",
            app.get_public(&format!("/api/v1/track/{code}")).await,
        ),
        ("401", app.get_public("/api/v1/me").await),
        ("404", app.get_public("/api/v1/nothing").await),
        (
            "422",
            app.post("/api/v1/requests", &o.front_a.token, json!({}))
                .await,
        ),
        ("healthz", app.get_public("/healthz").await),
        ("openapi", app.get_public("/api/openapi.json").await),
    ];
    for (what, answer) in &answers {
        assert_eq!(
            answer.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            answer.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{what}"
        );
        assert!(answer.header("referrer-policy").is_some(), "{what}");
    }
    for (what, answer) in answers
        .iter()
        .filter(|(w, _)| !["healthz", "openapi"].contains(w))
    {
        assert_eq!(
            answer.header("cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
    }
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    let csp = docs
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = docs.text().await.unwrap();
    for script in html.split("<script").skip(1) {
        assert!(
            script.split('>').next().unwrap().contains("src="),
            "inline script in /docs"
        );
    }
}

on_both_backends!(every_answer_carries_the_security_headers);
