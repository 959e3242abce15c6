//! The audit trail, black box on both backends: every change to the
//! organisation and its settings writes exactly one row, with who, when,
//! and the entity before and after as its `GET` answers it; a refused
//! change writes none; no password, secret or customer data ever shows;
//! admins and leaders read it, filtered and a page at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{TimeZone, Utc};
use common::{Org, Resp, TestApp, org, read};
use reqwest::Method;
use serde_json::{Value, json};
use upturn_domain::customer_data::KeepDays;

const NEW_PASSWORD: &str = "a-brand-new-secret-pass";

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

/// Every row of the trail, newest first, as `token` reads it.
async fn trail(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let path = if query.is_empty() {
        "/api/v1/audit".to_owned()
    } else {
        format!("/api/v1/audit?{query}")
    };
    app.pages(&path, token, 200).await.concat()
}

/// The rows written since `before` rows were there (newest first).
async fn since(app: &TestApp, o: &Org, before: usize) -> Vec<Value> {
    let rows = trail(app, &o.admin, "").await;
    rows[..rows.len() - before].to_vec()
}

/// The one row a change wrote, checked for its who and what.
async fn one_row(
    app: &TestApp,
    o: &Org,
    before: usize,
    actor: Option<&str>,
    action: &str,
    entity: &str,
) -> Value {
    let rows = since(app, o, before).await;
    assert_eq!(rows.len(), 1, "{action}: {rows:#?}");
    let row = rows[0].clone();
    assert_eq!(row["actor_id"], json!(actor), "{row}");
    assert_eq!(row["action"], action, "{row}");
    assert_eq!(row["entity"], entity, "{row}");
    row
}

async fn me(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", token).await.expect(200).id()
}

fn policies(ack: i64) -> Value {
    let each: Vec<Value> = ["low", "normal", "high", "critical"]
        .iter()
        .map(|u| {
            json!({"urgency": u, "acknowledge_within_seconds": ack, "resolve_within_seconds": 86_400})
        })
        .collect();
    json!({ "policies": each })
}

on_both_backends!(every_change_writes_one_row_with_before_and_after);

async fn every_change_writes_one_row_with_before_and_after(app: TestApp) {
    // Arrange: the bootstrap admin, made by the service itself, then the
    // organisation, built by the admin (5 units, 7 members).
    let o = org(&app).await;
    let admin_id = me(&app, &o.admin).await;
    let leader = o.leader.id.clone();
    let setup = trail(&app, &o.admin, "").await;
    assert_eq!(setup.len(), 13, "{setup:#?}");
    let (bootstrap, by_admin) = setup.split_last().unwrap();
    assert_eq!(bootstrap["action"], "member.created");
    assert_eq!(bootstrap["actor_id"], Value::Null);
    assert_eq!(bootstrap["entity_id"], json!(admin_id));
    assert_eq!(bootstrap["after"]["email"], common::ADMIN_EMAIL);
    assert!(by_admin.iter().all(|r| r["actor_id"] == json!(admin_id)));
    let created = |action: &str| by_admin.iter().filter(|r| r["action"] == action).count();
    assert_eq!((created("unit.created"), created("member.created")), (5, 7));
    let lyon = setup
        .iter()
        .find(|r| r["entity_id"] == json!(o.team_a))
        .unwrap();
    assert_eq!(lyon["before"], Value::Null);
    let unit_path = format!("/api/v1/units/{}", o.team_a);
    assert_eq!(lyon["after"], app.get(&unit_path, &o.admin).await.body);
    let mut n = setup.len();

    // A unit renamed.
    app.patch(&unit_path, &o.admin, json!({"name": "Lyon Part-Dieu"}))
        .await
        .expect(200);
    let row = one_row(&app, &o, n, Some(&admin_id), "unit.updated", "unit").await;
    assert_eq!(row["entity_id"], json!(o.team_a));
    assert_eq!(row["before"]["name"], "Lyon store");
    assert_eq!(row["after"], app.get(&unit_path, &o.admin).await.body);
    n += 1;

    // A password changed: that it changed, never what to.
    let front_path = format!("/api/v1/members/{}", o.front_a.id);
    app.patch(&front_path, &o.admin, json!({"password": NEW_PASSWORD}))
        .await
        .expect(200);
    let row = one_row(&app, &o, n, Some(&admin_id), "member.updated", "member").await;
    assert_eq!(row["after"]["password_changed"], true);
    assert_eq!(row["before"].get("password_changed"), None);
    let mut shown = app.get(&front_path, &o.admin).await.body;
    shown["password_changed"] = json!(true);
    assert_eq!(row["after"], shown);
    n += 1;

    // A member deactivated.
    let manager_path = format!("/api/v1/members/{}", o.manager_b.id);
    let was = app.get(&manager_path, &o.admin).await.body;
    app.patch(&manager_path, &o.admin, json!({"active": false}))
        .await
        .expect(200);
    let row = one_row(&app, &o, n, Some(&admin_id), "member.deactivated", "member").await;
    assert_eq!(row["before"], was);
    assert_eq!(row["after"], app.get(&manager_path, &o.admin).await.body);
    assert_eq!(row["after"]["active"], false);
    n += 1;

    // A routing rule created, replaced, deleted (by the leader).
    let rule = json!({"name": "Availability", "position": 10,
        "match": {"categories": ["availability"]}, "target_unit_id": o.service_1});
    let rule_id = app
        .post("/api/v1/routing-rules", &o.leader.token, rule)
        .await
        .expect(201)
        .id();
    let rule_path = format!("/api/v1/routing-rules/{rule_id}");
    let row = one_row(
        &app,
        &o,
        n,
        Some(&leader),
        "routing_rule.created",
        "routing_rule",
    )
    .await;
    assert_eq!(row["before"], Value::Null);
    let first = app.get(&rule_path, &o.leader.token).await.body;
    assert_eq!(row["after"], first);
    n += 1;
    let replaced = json!({"name": "Availability to training", "position": 20,
        "match": {"categories": ["availability"], "keywords": ["size"]}, "target_unit_id": o.service_2});
    send(
        &app,
        Method::PUT,
        &rule_path,
        &o.leader.token,
        Some(replaced),
    )
    .await
    .expect(200);
    let row = one_row(
        &app,
        &o,
        n,
        Some(&leader),
        "routing_rule.replaced",
        "routing_rule",
    )
    .await;
    assert_eq!(row["before"], first);
    let second = app.get(&rule_path, &o.leader.token).await.body;
    assert_eq!(row["after"], second);
    n += 1;
    send(&app, Method::DELETE, &rule_path, &o.leader.token, None)
        .await
        .expect(204);
    let row = one_row(
        &app,
        &o,
        n,
        Some(&leader),
        "routing_rule.deleted",
        "routing_rule",
    )
    .await;
    assert_eq!((&row["before"], &row["after"]), (&second, &Value::Null));
    n += 1;

    // The SLA policies, as a whole.
    let old = app.get("/api/v1/sla-policies", &o.leader.token).await.body;
    send(
        &app,
        Method::PUT,
        "/api/v1/sla-policies",
        &o.leader.token,
        Some(policies(900)),
    )
    .await
    .expect(200);
    let row = one_row(
        &app,
        &o,
        n,
        Some(&leader),
        "sla_policies.replaced",
        "sla_policies",
    )
    .await;
    assert_eq!(row["entity_id"], Value::Null);
    assert_eq!(row["before"], old);
    let new = app.get("/api/v1/sla-policies", &o.leader.token).await.body;
    assert_eq!(row["after"], new);
    n += 1;

    // A webhook registered and deleted: never its secret.
    let hook = app
        .post(
            "/api/v1/webhooks",
            &o.leader.token,
            json!({"url": "https://hooks.example.com/upturn", "events": ["filed"]}),
        )
        .await
        .expect(201);
    let secret = hook.body["secret"].as_str().unwrap().to_owned();
    let hook_path = format!("/api/v1/webhooks/{}", hook.id());
    let row = one_row(&app, &o, n, Some(&leader), "webhook.created", "webhook").await;
    let listed = app.get(&hook_path, &o.leader.token).await.body;
    assert_eq!(row["after"], listed);
    n += 1;
    send(&app, Method::DELETE, &hook_path, &o.leader.token, None)
        .await
        .expect(204);
    let row = one_row(&app, &o, n, Some(&leader), "webhook.deleted", "webhook").await;
    assert_eq!((&row["before"], &row["after"]), (&listed, &Value::Null));
    n += 1;

    // A customer's data erased by the leader: that it was there, never what.
    let request = app.file(&o.front_b).await;
    let request_id = request["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/requests/{request_id}/erase-customer"),
        &o.leader.token,
        json!(null),
    )
    .await
    .expect(200);
    let row = one_row(
        &app,
        &o,
        n,
        Some(&leader),
        "customer_data.erased",
        "request",
    )
    .await;
    assert_eq!(row["entity_id"], json!(request_id));
    let reference = request["reference"].clone();
    assert_eq!(
        row["before"],
        json!({"reference": reference, "customer_name": true, "customer_contact": true})
    );
    assert_eq!(
        row["after"],
        json!({"reference": reference, "customer_name": false, "customer_contact": false})
    );

    // Nothing anywhere in the trail gives a secret away.
    let everything = serde_json::to_string(&trail(&app, &o.leader.token, "").await).unwrap();
    for secret in [
        NEW_PASSWORD,
        common::PASSWORD,
        &secret,
        "whsec_",
        "password_hash",
        "$argon2",
        "Lefèvre",
        "12 34 56 78",
    ] {
        assert!(!everything.contains(secret), "the trail shows {secret}");
    }
}

on_both_backends!(a_refused_change_writes_nothing);

async fn a_refused_change_writes_nothing(app: TestApp) {
    // Arrange
    let o = org(&app).await;
    let admin_id = me(&app, &o.admin).await;
    let before = trail(&app, &o.admin, "").await.len();

    // Act: the last admin demoted (409, refused inside the transaction) or
    // deactivating themself (422), a unit of no kind (422), a role
    // that does not fit its unit (422, refused inside the transaction), a
    // stale version (409), a taken email (409), a rule to a team (422).
    let admin_path = format!("/api/v1/members/{admin_id}");
    let demoted = json!({"role": "leader", "unit_id": o.leadership});
    app.patch(&admin_path, &o.admin, demoted)
        .await
        .expect_problem(409, "last_admin");
    app.patch(&admin_path, &o.admin, json!({"active": false}))
        .await
        .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/units",
        &o.admin,
        json!({"name": "Castle", "kind": "castle"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/members/{}", o.front_a.id),
        &o.admin,
        json!({"role": "service"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/units/{}", o.team_a),
        &o.admin,
        json!({"name": "Stale", "version": 99}),
    )
    .await
    .expect_problem(409, "version_conflict");
    let taken = json!({"name": "Twin", "email": "front.a@test.upturn", "role": "frontline",
        "unit_id": o.team_a, "password": common::PASSWORD});
    app.post("/api/v1/members", &o.admin, taken)
        .await
        .expect_problem(409, "email_taken");
    let to_a_team =
        json!({"name": "Wrong", "position": 1, "match": {}, "target_unit_id": o.team_a});
    app.post("/api/v1/routing-rules", &o.leader.token, to_a_team)
        .await
        .expect_problem(422, "validation_failed");

    // Assert
    assert_eq!(trail(&app, &o.admin, "").await.len(), before);
}

on_both_backends!(only_admins_and_leaders_read_the_trail);

async fn only_admins_and_leaders_read_the_trail(app: TestApp) {
    let o = org(&app).await;
    for who in [&o.front_a, &o.manager_a, &o.service1] {
        app.get("/api/v1/audit", &who.token)
            .await
            .expect_problem(403, "forbidden");
    }
    app.get("/api/v1/audit", &o.admin).await.expect(200);
    app.get("/api/v1/audit", &o.leader.token).await.expect(200);
    let anonymous = read(
        app.client
            .get(app.url("/api/v1/audit"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

on_both_backends!(the_trail_is_filtered_and_paged_newest_first);

async fn the_trail_is_filtered_and_paged_newest_first(app: TestApp) {
    // Arrange: the bootstrap admin, the admin's 12 changes, then two of
    // the leader's.
    let o = org(&app).await;
    let admin_id = me(&app, &o.admin).await;
    send(
        &app,
        Method::PUT,
        "/api/v1/sla-policies",
        &o.leader.token,
        Some(policies(600)),
    )
    .await
    .expect(200);
    send(
        &app,
        Method::PUT,
        "/api/v1/sla-policies",
        &o.leader.token,
        Some(policies(700)),
    )
    .await
    .expect(200);

    // Newest first, and the pages of 5 are the whole of it.
    let all = trail(&app, &o.admin, "").await;
    assert_eq!(all.len(), 15);
    assert_eq!(all[0]["after"], policies(700));
    assert_eq!(all[1]["after"], policies(600));
    let ids: Vec<&str> = all.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
    let pages = app.pages("/api/v1/audit", &o.admin, 5).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 5]);
    assert_eq!(pages.concat(), all);
    let times: Vec<&str> = all.iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // By kind, by member, both.
    let units = trail(&app, &o.admin, "entity=unit").await;
    assert_eq!(units.len(), 5);
    assert!(units.iter().all(|r| r["entity"] == "unit"));
    let by_leader = trail(&app, &o.admin, &format!("actor_id={}", o.leader.id)).await;
    assert_eq!(by_leader.len(), 2);
    assert!(
        by_leader
            .iter()
            .all(|r| r["action"] == "sla_policies.replaced")
    );
    let both = trail(
        &app,
        &o.admin,
        &format!("entity=member&actor_id={admin_id}"),
    )
    .await;
    assert_eq!(both.len(), 7);
    let none = trail(
        &app,
        &o.admin,
        &format!("entity=webhook&actor_id={admin_id}"),
    )
    .await;
    assert!(none.is_empty());

    // Filters that do not parse name their field.
    for (query, field) in [
        ("entity=units", "entity"),
        ("entity=", "entity"),
        ("actor_id=nobody", "actor_id"),
        ("actor_id=", "actor_id"),
        ("limit=0", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        let refused = app
            .get(&format!("/api/v1/audit?{query}"), &o.admin)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], field, "{query}");
    }
}

fn thirty_days(s: &mut upturn_api::config::Settings) {
    s.customer_data_days = 30;
}

on_both_backends!(with thirty_days; an_erasure_once_due_is_recorded_without_an_actor);

async fn an_erasure_once_due_is_recorded_without_an_actor(app: TestApp) {
    // Arrange: a request closed on a stopped clock.
    let o = org(&app).await;
    let clock = app.store.clock();
    clock.set(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap());
    let id = app.file(&o.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &o.front_a.token,
        json!({"status": "resolved", "note": "Found a pair"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/requests/{id}/follow-up"),
        &o.front_a.token,
        json!({"customer_reached": true, "satisfaction": 5, "note": "Delighted"}),
    )
    .await
    .expect(200);
    let before = trail(&app, &o.admin, "").await.len();

    // Act: thirty days later, the erasure runs.
    clock.advance(chrono::Duration::days(30));
    let erased = app
        .store
        .erase_due_customer_data(KeepDays::new(30).unwrap(), clock.now())
        .await
        .unwrap();
    assert_eq!(erased, 1);

    // Assert: one row, by nobody, at the store's time.
    let row = one_row(&app, &o, before, None, "customer_data.erased", "request").await;
    assert_eq!(row["actor_id"], Value::Null);
    assert_eq!(row["entity_id"], json!(id));
    assert_eq!(row["at"], "2026-07-01T09:00:00Z");
    assert_eq!(row["after"]["customer_name"], false);
    clock.follow_system();
}

on_both_backends!(the_openapi_document_describes_the_trail);

async fn the_openapi_document_describes_the_trail(app: TestApp) {
    let openapi = app.get_public("/api/openapi.json").await.expect(200).body;
    let get = &openapi["paths"]["/api/v1/audit"]["get"];
    assert_eq!(get["operationId"], "list_audit", "{get}");
    for status in ["200", "401", "403", "422"] {
        assert!(get["responses"][status].is_object(), "{status}: {get}");
    }
    let params: Vec<&str> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["entity", "actor_id", "limit", "cursor"]);
    let entities = &openapi["components"]["schemas"]["AuditEntityName"]["enum"];
    assert_eq!(
        entities,
        &json!([
            "unit",
            "member",
            "routing_rule",
            "sla_policies",
            "webhook",
            "request"
        ])
    );
    let entry = &openapi["components"]["schemas"]["AuditEntryResponse"];
    assert!(entry["properties"]["before"].is_object(), "{entry}");
    assert!(
        entry["properties"]["before"].to_string().contains("null"),
        "before may be null: {entry}"
    );
}
