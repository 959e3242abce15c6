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

async fn the_last_active_admin_stays(app: TestApp) {
    let o = org(&app).await;
    let me = app.get("/api/v1/me", &o.admin).await.expect(200);
    let first = format!("/api/v1/members/{}", me.body["id"].as_str().unwrap());
    let demoted = serde_json::json!({"role": "leader", "unit_id": o.leadership});
    app.patch(&first, &o.admin, demoted.clone())
        .await
        .expect_problem(409, "last_admin");
    // Deactivating oneself was already refused, whoever else there is.
    app.patch(&first, &o.admin, serde_json::json!({"active": false}))
        .await
        .expect_problem(422, "validation_failed");
    let me = app.get("/api/v1/me", &o.admin).await.expect(200);
    assert_eq!(me.body["role"], "admin", "nothing changed");
    // A second admin who is deactivated does not count.
    let second = app
        .post(
            "/api/v1/members",
            &o.admin,
            serde_json::json!({"name": "Second", "email": "second.admin@test.upturn", "role": "admin", "unit_id": null, "password": common::PASSWORD}),
        )
        .await
        .expect(201)
        .id();
    let second = format!("/api/v1/members/{second}");
    app.patch(&second, &o.admin, serde_json::json!({"active": false}))
        .await
        .expect(200);
    app.patch(&first, &o.admin, demoted.clone())
        .await
        .expect_problem(409, "last_admin");
    // Active again, the second lets the first step down, and is then the last.
    app.patch(&second, &o.admin, serde_json::json!({"active": true}))
        .await
        .expect(200);
    let second_token = app.token("second.admin@test.upturn").await;
    app.patch(&first, &o.admin, demoted).await.expect(200);
    app.patch(
        &second,
        &second_token,
        serde_json::json!({"role": "leader", "unit_id": o.leadership}),
    )
    .await
    .expect_problem(409, "last_admin");
}

async fn a_password_or_role_change_ends_older_tokens(app: TestApp) {
    let o = org(&app).await;
    let path = format!("/api/v1/members/{}", o.front_a.id);
    // A name change keeps the member's tokens.
    app.patch(&path, &o.admin, serde_json::json!({"name": "Camille"}))
        .await
        .expect(200);
    app.get("/api/v1/me", &o.front_a.token).await.expect(200);
    let ticket = app
        .post(
            "/api/v1/stream/ticket",
            &o.front_a.token,
            serde_json::json!({}),
        )
        .await
        .expect(201);
    let ticket = ticket.body["ticket"].as_str().unwrap().to_owned();
    // A new password ends every older token and ticket.
    app.patch(
        &path,
        &o.admin,
        serde_json::json!({"password": "another-long-password"}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &o.front_a.token)
        .await
        .expect_problem(401, "unauthenticated");
    app.get_public(&format!("/api/v1/stream?ticket={ticket}"))
        .await
        .expect_problem(401, "unauthenticated");
    let fresh = app
        .login("front.a@test.upturn", "another-long-password")
        .await
        .expect(200);
    let fresh = fresh.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me", &fresh).await.expect(200);
    // So does a new role.
    app.patch(&path, &o.admin, serde_json::json!({"role": "manager"}))
        .await
        .expect(200);
    app.get("/api/v1/me", &fresh)
        .await
        .expect_problem(401, "unauthenticated");
    let newest = app
        .login("front.a@test.upturn", "another-long-password")
        .await
        .expect(200);
    assert_eq!(newest.body["member"]["role"], "manager");
}

on_both_backends!(
    the_last_active_admin_stays,
    a_password_or_role_change_ends_older_tokens,
    a_search_with_a_control_character_is_refused_not_widened,
    a_webhook_url_without_a_written_host_is_refused,
);
