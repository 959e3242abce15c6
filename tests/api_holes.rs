//! Holes an outsider found, closed (issue 15): each refused in words, with
//! nothing leaked, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, org};

async fn a_search_with_a_control_character_is_refused_not_widened(app: TestApp) {
    let o = org(&app).await;
    app.file(&o.front_a).await;
    app.file(&o.front_a).await;
    for q in ["%00zzz", "zzz%00", "a%01b", "a%0Ab"] {
        let answer = app
            .get(&format!("/api/v1/requests?q={q}"), &o.manager_a.token)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(
            answer.body["errors"][0]["field"], "q",
            "{q}: {:#}",
            answer.body
        );
    }
    let long = "a".repeat(201);
    app.get(&format!("/api/v1/requests?q={long}"), &o.manager_a.token)
        .await
        .expect_problem(422, "validation_failed");
    // Plain words still search, and nothing matches "zzz".
    let none = app
        .get("/api/v1/requests?q=zzz", &o.manager_a.token)
        .await
        .expect(200);
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
    let some = app
        .get("/api/v1/requests?q=trousers", &o.manager_a.token)
        .await
        .expect(200);
    assert_eq!(some.body["items"].as_array().unwrap().len(), 2);
}

async fn a_webhook_url_without_a_written_host_is_refused(app: TestApp) {
    let o = org(&app).await;
    for url in [
        "https:///x",
        "https:x",
        "https:/hooks.example.com/",
        "https://hooks.example.com\\x",
    ] {
        let answer = app
            .post(
                "/api/v1/webhooks",
                &o.leader.token,
                serde_json::json!({"url": url, "events": ["filed"]}),
            )
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(
            answer.body["errors"][0]["field"], "url",
            "{url}: {:#}",
            answer.body
        );
    }
    let list = app
        .get("/api/v1/webhooks", &o.leader.token)
        .await
        .expect(200);
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );
}

on_both_backends!(
    a_search_with_a_control_character_is_refused_not_widened,
    a_webhook_url_without_a_written_host_is_refused,
);
