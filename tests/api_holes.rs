//! Holes an outsider found, closed (issue 15): each refused in words, with
//! nothing leaked, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/process.rs"]
#[allow(dead_code, reason = "this file needs only part of the process harness")]
mod process;

use common::{Resp, TestApp, org};
use serde_json::json;
use upturn_api::config::Settings;
use upturn_domain::webhook::{AddressClass, classify};

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

/// A login as a client behind `forwarded_for` (none: no header).
async fn login_from(app: &TestApp, forwarded_for: Option<&str>, password: &str) -> Resp {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": common::ADMIN_EMAIL, "password": password}));
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    common::read(request.send().await.unwrap()).await
}

/// A tracking lookup as a client behind `forwarded_for`.
async fn track_from(app: &TestApp, forwarded_for: &str) -> Resp {
    let request = app
        .client
        .get(app.url("/api/v1/track/ZZZZ-ZZZZ"))
        .header("x-forwarded-for", forwarded_for);
    common::read(request.send().await.unwrap()).await
}

fn three_logins_two_lookups(s: &mut Settings) {
    s.login_attempts_per_minute = 3;
    s.track_lookups_per_minute = 2;
}

fn behind_a_proxy_on_loopback(s: &mut Settings) {
    three_logins_two_lookups(s);
    s.trusted_proxies = "127.0.0.1, ::1".to_owned();
}

async fn a_forged_forwarded_for_does_not_escape_the_login_limit(app: TestApp) {
    // No proxy is trusted (the default): the header is the client's word.
    for n in 0..3 {
        login_from(&app, Some(&format!("192.0.2.{n}")), "not-the-password")
            .await
            .expect_problem(401, "invalid_credentials");
    }
    login_from(&app, Some("192.0.2.200"), common::PASSWORD)
        .await
        .expect_problem(429, "rate_limited");
    login_from(&app, None, common::PASSWORD)
        .await
        .expect_problem(429, "rate_limited");
    for n in 0..2 {
        track_from(&app, &format!("198.51.100.{n}"))
            .await
            .expect_problem(404, "not_found");
    }
    track_from(&app, "198.51.100.200")
        .await
        .expect_problem(429, "rate_limited");
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limits(app: TestApp) {
    for _ in 0..3 {
        login_from(&app, Some("192.0.2.1"), "not-the-password")
            .await
            .expect_problem(401, "invalid_credentials");
    }
    login_from(&app, Some("192.0.2.1"), common::PASSWORD)
        .await
        .expect_problem(429, "rate_limited");
    // What the client wrote left of the proxy's entry changes nothing.
    login_from(&app, Some("203.0.113.9, 192.0.2.1"), common::PASSWORD)
        .await
        .expect_problem(429, "rate_limited");
    // Another client behind the same proxy has its own quota.
    login_from(&app, Some("192.0.2.2"), common::PASSWORD)
        .await
        .expect(200);
    // A header that does not parse counts as the proxy itself, which has
    // its own quota too.
    login_from(&app, Some("not an address"), common::PASSWORD)
        .await
        .expect(200);

    for _ in 0..2 {
        track_from(&app, "192.0.2.1")
            .await
            .expect_problem(404, "not_found");
    }
    track_from(&app, "192.0.2.1")
        .await
        .expect_problem(429, "rate_limited");
    track_from(&app, "192.0.2.2")
        .await
        .expect_problem(404, "not_found");
}

/// `upturn serve` with a trusted proxy that is no address: it exits at once
/// with the setting and the value in the message, and no panic.
#[test]
fn upturn_serve_refuses_to_start_with_a_proxy_that_is_no_address() {
    let dir = common::scratch_dir();
    let output = process::serve_command()
        .env(
            "UPTURN_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("upturn.db").display()),
        )
        .env("UPTURN_BIND", "127.0.0.1:0")
        .env("UPTURN_TRUSTED_PROXIES", "10.0.0.0/8, nginx")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("upturn runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("UPTURN_TRUSTED_PROXIES: `nginx` is neither an IP address nor a CIDR"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// This machine's host name, when it resolves only to addresses webhooks
/// are refused by default (loopback, private, link-local), as `/etc/hosts`
/// usually has it; `None` elsewhere.
async fn a_locally_resolving_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_owned();
    let addresses: Vec<_> = tokio::net::lookup_host((name.as_str(), 443))
        .await
        .ok()?
        .collect();
    let refused = |a: &std::net::SocketAddr| {
        matches!(
            classify(a.ip()),
            AddressClass::Loopback | AddressClass::Private | AddressClass::LinkLocal
        )
    };
    (!addresses.is_empty()
        && addresses.iter().all(refused)
        && name.contains(|c: char| c.is_ascii_alphabetic()))
    .then_some(name)
}

async fn register(app: &TestApp, token: &str, url: &str) -> Resp {
    app.post(
        "/api/v1/webhooks",
        token,
        json!({"url": url, "events": ["filed"]}),
    )
    .await
}

async fn a_webhook_host_resolving_only_to_refused_addresses_is_refused(app: TestApp) {
    let o = org(&app).await;
    let answer = register(&app, &o.leader.token, "https://localhost/hook")
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        answer.body["errors"][0]["field"], "url",
        "{:#}",
        answer.body
    );
    match a_locally_resolving_name().await {
        Some(name) => {
            let answer = register(&app, &o.leader.token, &format!("https://{name}/hook"))
                .await
                .expect_problem(422, "validation_failed");
            assert_eq!(
                answer.body["errors"][0]["field"], "url",
                "{:#}",
                answer.body
            );
            let message = answer.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("every address is refused"), "{message}");
        }
        None => eprintln!(
            "this machine's host name does not resolve to loopback or a private network: that case is not checked here"
        ),
    }
    // A name that does not resolve is accepted: the delivery checks again.
    register(&app, &o.leader.token, "https://upturn-test.invalid/hook")
        .await
        .expect(201);
    let list = app
        .get("/api/v1/webhooks", &o.leader.token)
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

async fn with_loopback_allowed_a_locally_resolving_name_is_accepted(app: TestApp) {
    let o = org(&app).await;
    let Some(name) = a_locally_resolving_name().await else {
        return;
    };
    // Loopback only: a private address would still be refused.
    let loopback_only = tokio::net::lookup_host((name.as_str(), 443))
        .await
        .unwrap()
        .all(|a| a.ip().is_loopback());
    if loopback_only {
        register(&app, &o.leader.token, &format!("https://{name}/hook"))
            .await
            .expect(201);
    }
}

on_both_backends!(with three_logins_two_lookups; a_forged_forwarded_for_does_not_escape_the_login_limit);
on_both_backends!(with behind_a_proxy_on_loopback; behind_a_trusted_proxy_each_forwarded_client_has_its_own_limits);
on_both_backends!(with |s: &mut Settings| s.webhook_allow_http_loopback = true;
    with_loopback_allowed_a_locally_resolving_name_is_accepted);

on_both_backends!(
    a_webhook_host_resolving_only_to_refused_addresses_is_refused,
    the_last_active_admin_stays,
    a_password_or_role_change_ends_older_tokens,
    a_search_with_a_control_character_is_refused_not_widened,
    a_webhook_url_without_a_written_host_is_refused,
);
