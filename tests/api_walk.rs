//! The whole walk through the pyramid, through the real HTTP server: filing,
//! routing down, resolving back up, the customer's follow-up, the timeline
//! and the customer's tracking page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, filing, org};
use serde_json::json;

on_both_backends!(
    request_goes_down_to_leadership_and_back_up,
    front_line_resolves_on_the_spot_and_in_the_team,
    customer_not_satisfied_reopens_where_it_was_solved,
    admin_builds_the_organisation
);

async fn request_goes_down_to_leadership_and_back_up(app: TestApp) {
    let org = org(&app).await;

    // Arrange: the front line files what a customer asked.
    let filed = app
        .post(
            "/api/v1/requests",
            &org.front_a.token,
            filing("Trousers in size 44"),
        )
        .await
        .expect(201);
    let id = filed.id();
    assert_eq!(
        filed.header("location").unwrap(),
        format!("/api/v1/requests/{id}")
    );
    assert_eq!(filed.header("etag").unwrap(), "\"1\"");
    let body = &filed.body;
    assert!(body["reference"].as_str().unwrap().starts_with("UP-"));
    assert_eq!(body["status"], "new");
    assert_eq!(body["level"], "manager");
    assert_eq!(body["unit_id"], org.team_a.as_str());
    assert_eq!(body["team_id"], org.team_a.as_str());
    assert_eq!(body["filed_by"], org.front_a.id.as_str());
    assert_eq!(body["version"], 1);
    let code = body["tracking_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9);
    // High urgency: acknowledge within 1 h, resolve within 24 h.
    let filed_at =
        chrono::DateTime::parse_from_rfc3339(body["filed_at"].as_str().unwrap()).unwrap();
    let ack_by =
        chrono::DateTime::parse_from_rfc3339(body["sla"]["acknowledge_by"].as_str().unwrap())
            .unwrap();
    let resolve_by =
        chrono::DateTime::parse_from_rfc3339(body["sla"]["resolve_by"].as_str().unwrap()).unwrap();
    assert_eq!((ack_by - filed_at).num_seconds(), 3600);
    assert_eq!((resolve_by - filed_at).num_seconds(), 24 * 3600);
    assert_eq!(body["sla"]["breached"], false);

    // The managers acknowledge and route it down to a service.
    let acked = app
        .post(
            &format!("/api/v1/requests/{id}/acknowledge"),
            &org.manager_a.token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(acked.body["status"], "acknowledged");
    assert_eq!(acked.header("etag").unwrap(), "\"2\"");
    let routed = app
        .post(
            &format!("/api/v1/requests/{id}/route"),
            &org.manager_a.token,
            json!({"to_unit_id": org.service_1, "note": "Stock question"}),
        )
        .await
        .expect(200);
    assert_eq!(routed.body["status"], "new");
    assert_eq!(routed.body["level"], "service");
    assert_eq!(routed.body["unit_id"], org.service_1.as_str());

    // The service sees it now, works it and routes it further down.
    app.get(&format!("/api/v1/requests/{id}"), &org.service1.token)
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/requests/{id}/acknowledge"),
        &org.service1.token,
        json!({"note": "On it"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &org.service1.token,
        json!({"status": "in_progress"}),
    )
    .await
    .expect(200);
    let escalated = app
        .post(
            &format!("/api/v1/requests/{id}/route"),
            &org.service1.token,
            json!({"to_unit_id": org.leadership, "note": "Budget needed"}),
        )
        .await
        .expect(200);
    assert_eq!(escalated.body["level"], "leadership");

    // Routing never goes back up.
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &org.leader.token,
        json!({"to_unit_id": org.service_2, "note": "Back up?"}),
    )
    .await
    .expect_problem(422, "invalid_transition");

    // Leadership resolves: it goes back up to the front line.
    let resolved = app
        .post(
            &format!("/api/v1/requests/{id}/status"),
            &org.leader.token,
            json!({"status": "resolved", "note": "Size 44 stocked in every store"}),
        )
        .await
        .expect(200);
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["level"], "frontline");
    assert_eq!(resolved.body["resolved_level"], "leadership");
    assert_eq!(resolved.body["unit_id"], org.team_a.as_str());
    assert_eq!(
        resolved.body["resolution_note"],
        "Size 44 stocked in every store"
    );

    // The customer sees only the public status.
    let tracked = app
        .get_public(&format!("/api/v1/track/{}", code.to_lowercase()))
        .await
        .expect(200);
    assert_eq!(tracked.body["status"], "resolved");
    assert_eq!(
        tracked.body["resolution_note"],
        "Size 44 stocked in every store"
    );
    let text = tracked.body.to_string();
    for secret in [
        "Stock question",
        "Budget needed",
        "On it",
        "front.a@",
        org.service_1.as_str(),
        "Mme Lef",
    ] {
        assert!(
            !text.contains(secret),
            "tracking page leaks {secret}: {text}"
        );
    }
    let statuses: Vec<&str> = tracked.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.first(), Some(&"new"));
    assert_eq!(statuses.last(), Some(&"resolved"));

    // The front line records the follow-up, which closes it.
    let closed = app
        .post(
            &format!("/api/v1/requests/{id}/follow-up"),
            &org.front_a.token,
            json!({"customer_reached": true, "satisfaction": 5, "would_recommend": 9, "note": "Delighted"}),
        )
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");
    assert!(closed.body["closed_at"].is_string());

    // The whole timeline, oldest first, one event per change.
    let events = app
        .get(
            &format!("/api/v1/requests/{id}/events"),
            &org.manager_a.token,
        )
        .await
        .expect(200);
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "filed",
            "acknowledged",
            "routed",
            "acknowledged",
            "status_changed",
            "escalated",
            "resolved",
            "follow_up_recorded"
        ]
    );
    let route = &events.body["items"][2];
    assert_eq!(route["from_level"], "manager");
    assert_eq!(route["to_level"], "service");
    assert_eq!(route["actor_id"], org.manager_a.id.as_str());
    assert_eq!(route["note"], "Stock question");
    let final_version = app
        .get(&format!("/api/v1/requests/{id}"), &org.front_a.token)
        .await
        .expect(200)
        .body["version"]
        .clone();
    assert_eq!(final_version, 8);
}

async fn front_line_resolves_on_the_spot_and_in_the_team(app: TestApp) {
    let org = org(&app).await;

    // Filed already resolved: "I did it because it mattered".
    let mut body = filing("Gift wrapping");
    body["resolved_on_the_spot"] = json!({"note": "Wrapped it myself"});
    let spot = app
        .post("/api/v1/requests", &org.front_a.token, body)
        .await
        .expect(201)
        .body;
    assert_eq!(spot["status"], "resolved");
    assert_eq!(spot["level"], "frontline");
    assert_eq!(spot["resolved_level"], "frontline");

    // While it is with the managers, a front-line colleague may resolve it.
    let waiting = app.file(&org.front_a).await;
    let id = waiting["id"].as_str().unwrap();
    let resolved = app
        .post(
            &format!("/api/v1/requests/{id}/status"),
            &org.front_a.token,
            json!({"status": "resolved", "note": "Found one in the back"}),
        )
        .await
        .expect(200);
    assert_eq!(resolved.body["resolved_level"], "frontline");

    // But not once it went down to a service.
    let routed = app.file(&org.front_a).await;
    let rid = routed["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/requests/{rid}/route"),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_1, "note": "Stock"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/requests/{rid}/status"),
        &org.front_a.token,
        json!({"status": "resolved", "note": "Mine"}),
    )
    .await
    .expect_problem(403, "forbidden");

    // Resolving needs a note, and the front line cannot acknowledge or decline.
    let other = app.file(&org.front_a).await;
    let oid = other["id"].as_str().unwrap();
    let missing = app
        .post(
            &format!("/api/v1/requests/{oid}/status"),
            &org.manager_a.token,
            json!({"status": "declined"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0]["field"], "note");
    app.post(
        &format!("/api/v1/requests/{oid}/acknowledge"),
        &org.front_a.token,
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/requests/{oid}/status"),
        &org.front_a.token,
        json!({"status": "declined", "note": "No"}),
    )
    .await
    .expect_problem(403, "forbidden");
    // A service member or leader does not file.
    app.post("/api/v1/requests", &org.service1.token, filing("x"))
        .await
        .expect_problem(403, "forbidden");
}

async fn customer_not_satisfied_reopens_where_it_was_solved(app: TestApp) {
    let org = org(&app).await;
    let filed = app.file(&org.front_b).await;
    let id = filed["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &org.manager_b.token,
        json!({"to_unit_id": org.service_2, "note": "Training"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &org.service2.token,
        json!({"status": "declined", "note": "Not possible this year"}),
    )
    .await
    .expect(200);

    // Not the filer's team: no follow-up.
    app.post(
        &format!("/api/v1/requests/{id}/follow-up"),
        &org.service2.token,
        json!({"customer_reached": true, "satisfaction": 1}),
    )
    .await
    .expect_problem(403, "forbidden");

    let reopened = app
        .post(
            &format!("/api/v1/requests/{id}/follow-up"),
            &org.manager_b.token,
            json!({"customer_reached": true, "satisfaction": 1, "note": "Not satisfied", "reopen": true}),
        )
        .await
        .expect(200);
    assert_eq!(reopened.body["status"], "in_progress");
    assert_eq!(reopened.body["level"], "service");
    assert_eq!(reopened.body["unit_id"], org.service_2.as_str());
    assert!(reopened.body["resolved_level"].is_null());

    // It can be answered again, then closed without reaching the customer.
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &org.service2.token,
        json!({"status": "resolved", "note": "Found a way"}),
    )
    .await
    .expect(200);
    let closed = app
        .post(
            &format!("/api/v1/requests/{id}/follow-up"),
            &org.front_b.token,
            json!({"customer_reached": false, "note": "No answer"}),
        )
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");
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
    assert_eq!(
        kinds,
        [
            "filed",
            "routed",
            "declined",
            "reopened",
            "resolved",
            "follow_up_recorded"
        ]
    );
}

async fn admin_builds_the_organisation(app: TestApp) {
    let admin = app.admin_token().await;
    let me = app.get("/api/v1/me", &admin).await.expect(200);
    assert_eq!(me.body["role"], "admin");
    assert!(me.body.get("password_hash").is_none());

    let team = app.create_unit(&admin, "Lille store", "team").await;
    let service = app.create_unit(&admin, "Logistics", "service").await;
    app.post(
        "/api/v1/units",
        &admin,
        json!({"name": "Board", "kind": "leadership"}),
    )
    .await
    .expect(201);
    // Only one leadership unit.
    app.post(
        "/api/v1/units",
        &admin,
        json!({"name": "Board 2", "kind": "leadership"}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // A role must fit its unit.
    let wrong = json!({"name": "X", "email": "x@test.upturn", "role": "manager", "unit_id": service, "password": "long enough"});
    app.post("/api/v1/members", &admin, wrong)
        .await
        .expect_problem(422, "validation_failed");
    let member = app
        .member(&admin, "ana@test.upturn", "frontline", &team)
        .await;
    let dup = json!({"name": "Ana", "email": "ANA@test.upturn", "role": "frontline", "unit_id": team, "password": "long enough"});
    app.post("/api/v1/members", &admin, dup)
        .await
        .expect_problem(409, "email_taken");

    // Units are readable by members; members are the admin's business.
    app.get(&format!("/api/v1/units/{team}"), &member.token)
        .await
        .expect(200);
    app.get("/api/v1/members", &member.token)
        .await
        .expect_problem(403, "forbidden");
    let renamed = app
        .patch(
            &format!("/api/v1/units/{team}"),
            &admin,
            json!({"name": "Lille centre"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed.body["name"], "Lille centre");

    // Deactivated: no login, and the token already given stops working.
    app.patch(
        &format!("/api/v1/members/{}", member.id),
        &admin,
        json!({"active": false}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &member.token)
        .await
        .expect_problem(401, "unauthenticated");
    app.login("ana@test.upturn", common::PASSWORD)
        .await
        .expect_problem(401, "invalid_credentials");

    // Admins see no request content.
    let listed = app.get("/api/v1/requests", &admin).await.expect(200);
    assert_eq!(listed.body["items"], json!([]));
}
