//! Leadership's standing orders and what members are told, through the real
//! HTTP server: ordered routing rules (every match field, priority by
//! position, inactive rules, never up or sideways, routing on filing,
//! replace and delete), SLA policies (shape, validation, new deadlines for
//! later filings only, the acknowledge clock restarting at each level,
//! `overdue` and `sla.next`, passed deadlines told once each), leaders-only
//! access and validation, and the inbox (who is told, watchers, read marks,
//! cursor pagination). Also: `Idempotency-Key` on rule creation, and a
//! second replica seeing leadership's changes at once (PostgreSQL only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use common::{Member, Resp, TestApp, org, read};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    every_match_field_filters,
    rules_are_tried_by_position_and_inactive_ones_skipped,
    rules_never_route_up_or_sideways,
    rule_on_filing_skips_the_managers,
    rule_on_filing_holds_for_concurrent_filings,
    rules_are_replaced_with_versions_and_deleted,
    rule_creation_honours_idempotency_key,
    only_leaders_edit_rules_and_policies,
    rule_validation_names_the_field,
    sla_policies_shape_and_validation,
    new_policies_apply_to_later_filings_only,
    routing_restarts_the_acknowledge_clock,
    sort_by_deadline_pages_nearest_first,
    inbox_tells_owners_filer_and_team_never_the_actor,
    watchers_are_told_until_they_stop,
    inbox_items_are_marked_read_by_their_owner_only,
    inbox_pages_by_cursor_without_duplicates,
    overdue_lists_open_requests_past_a_deadline,
    sla_next_tells_which_deadline_comes_next
);

/// With the SLA sweep every second, on both backends.
mod deadlines_passed_are_told_once_each {
    async fn app(backend: crate::common::Backend) -> crate::common::TestApp {
        crate::common::spawn_app_with(backend, |settings| settings.sla_sweep_seconds = 1).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::deadlines_passed_are_told_once_each(app(crate::common::Backend::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(upturn_postgres),
        ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
    )]
    async fn postgres() {
        super::deadlines_passed_are_told_once_each(app(crate::common::Backend::Postgres).await)
            .await;
    }
}

/// Several replicas share one database only on PostgreSQL (the scale-out
/// backend): this one runs there alone.
mod leadership_changes_apply_on_every_replica {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(upturn_postgres),
        ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
    )]
    async fn postgres() {
        super::leadership_changes_apply_on_every_replica(
            crate::common::spawn_app(crate::common::Backend::Postgres).await,
        )
        .await;
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Any method, with extra headers and an optional JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    send_to(app, &app.base, method, path, token, headers, body).await
}

/// Like [`send`], to the server at `base` (another replica).
async fn send_to(
    app: &TestApp,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    let mut request = app
        .client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

async fn put(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> Resp {
    send(app, Method::PUT, path, token, headers, Some(body)).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Resp {
    send(app, Method::DELETE, path, token, &[], None).await
}

/// A filing body with every field a rule can look at.
fn ask(kind: &str, category: &str, urgency: &str, title: &str, description: &str) -> Value {
    json!({
        "kind": kind,
        "category": category,
        "urgency": urgency,
        "channel": "in_person",
        "title": title,
        "description": description,
        "customer_expectation": "Something better next time"
    })
}

/// A filing no keyword of these tests appears in.
fn plain(title: &str) -> Value {
    ask(
        "improvement",
        "product",
        "normal",
        title,
        "Nothing in particular",
    )
}

/// Files `body` as `who`; answers the created request.
async fn file(app: &TestApp, who: &Member, body: Value) -> Value {
    app.post("/api/v1/requests", &who.token, body)
        .await
        .expect(201)
        .body
}

fn id_of(request: &Value) -> String {
    request["id"].as_str().expect("an id").to_owned()
}

/// A route without a unit: the rules decide.
async fn route_by_rules(app: &TestApp, who: &Member, id: &str) -> Resp {
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &who.token,
        json!({"note": "Where the rules say"}),
    )
    .await
}

/// Files `body` as `filer`, routes it by the rules as `manager`: the answer.
async fn file_and_route(app: &TestApp, filer: &Member, manager: &Member, body: Value) -> Resp {
    let id = id_of(&file(app, filer, body).await);
    route_by_rules(app, manager, &id).await
}

/// Creates a rule as `leader`; answers it.
async fn create_rule(app: &TestApp, leader: &Member, body: Value) -> Value {
    let created = app
        .post("/api/v1/routing-rules", &leader.token, body)
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(
        created.header("location").as_deref(),
        Some(format!("/api/v1/routing-rules/{id}").as_str())
    );
    created.body
}

fn rule(name: &str, position: i64, matches: Value, target: &str) -> Value {
    json!({"name": name, "position": position, "match": matches, "target_unit_id": target})
}

fn time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("a time: {value}")))
        .unwrap()
}

/// Milliseconds from `earlier` to `later`.
fn millis(later: &Value, earlier: &Value) -> i64 {
    (time(later) - time(earlier)).num_milliseconds()
}

/// A member's whole inbox, newest first.
async fn inbox(app: &TestApp, who: &Member) -> Vec<Value> {
    let page = app
        .get("/api/v1/inbox?limit=200", &who.token)
        .await
        .expect(200);
    assert!(
        page.body["next_cursor"].is_null(),
        "one page is enough here"
    );
    page.body["items"].as_array().unwrap().clone()
}

/// The items of an inbox about `request_id`, as `event_type`s.
fn about(items: &[Value], request_id: &str) -> Vec<String> {
    items
        .iter()
        .filter(|i| i["request_id"] == request_id)
        .map(|i| i["event_type"].as_str().unwrap().to_owned())
        .collect()
}

/// The ids of the requests a list answered.
async fn listed(app: &TestApp, who: &Member, query: &str) -> Vec<String> {
    app.get(&format!("/api/v1/requests?{query}"), &who.token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

/// The product's default policies, as the spec gives them.
fn default_policies() -> Value {
    json!({"policies": [
        {"urgency": "low", "acknowledge_within_seconds": 86_400, "resolve_within_seconds": 1_209_600},
        {"urgency": "normal", "acknowledge_within_seconds": 14_400, "resolve_within_seconds": 259_200},
        {"urgency": "high", "acknowledge_within_seconds": 3_600, "resolve_within_seconds": 86_400},
        {"urgency": "critical", "acknowledge_within_seconds": 900, "resolve_within_seconds": 14_400}
    ]})
}

/// The defaults with `low` set to these seconds.
fn policies_with_low(acknowledge: i64, resolve: i64) -> Value {
    let mut policies = default_policies();
    policies["policies"][0] = json!({
        "urgency": "low",
        "acknowledge_within_seconds": acknowledge,
        "resolve_within_seconds": resolve
    });
    policies
}

/// `urgency → (acknowledge, resolve)` of a policies body.
fn by_urgency(body: &Value) -> HashMap<String, (i64, i64)> {
    body["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["urgency"].as_str().unwrap().to_owned(),
                (
                    p["acknowledge_within_seconds"].as_i64().unwrap(),
                    p["resolve_within_seconds"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

/// Asserts a `validation_failed` problem that names `field`.
#[track_caller]
fn names_field(resp: Resp, field: &str) {
    let resp = resp.expect_problem(422, "validation_failed");
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("per-field errors: {:#}", resp.body))
        .iter()
        .map(|e| e["field"].as_str().unwrap_or(""))
        .collect();
    assert!(
        fields.contains(&field),
        "expected an error on {field}, got {fields:?}: {:#}",
        resp.body
    );
}

// ---------------------------------------------------------------------------
// Routing rules: matching
// ---------------------------------------------------------------------------

async fn every_match_field_filters(app: TestApp) {
    let org = org(&app).await;
    let (front, manager) = (&org.front_a, &org.manager_a);
    let price = create_rule(
        &app,
        &org.leader,
        rule(
            "Price questions",
            10,
            json!({"categories": ["price"]}),
            &org.service_1,
        ),
    )
    .await;
    assert_eq!(price["name"], "Price questions");
    assert_eq!(price["position"], 10);
    assert_eq!(
        price["match"],
        json!({"categories": ["price"], "kinds": [], "urgencies": [], "keywords": []})
    );
    assert_eq!(price["target_unit_id"], org.service_1.as_str());
    assert_eq!(price["on_filing"], false, "on_filing defaults to false");
    assert_eq!(price["active"], true, "rules are active by default");
    create_rule(
        &app,
        &org.leader,
        rule("Praise", 20, json!({"kinds": ["praise"]}), &org.service_2),
    )
    .await;
    create_rule(
        &app,
        &org.leader,
        rule(
            "Critical",
            30,
            json!({"urgencies": ["critical"]}),
            &org.leadership,
        ),
    )
    .await;
    create_rule(
        &app,
        &org.leader,
        rule(
            "Fitting rooms",
            40,
            json!({"keywords": ["Fitting Room"]}),
            &org.service_2,
        ),
    )
    .await;
    create_rule(
        &app,
        &org.leader,
        rule(
            "Staff ideas",
            50,
            json!({"categories": ["staff"], "kinds": ["idea"]}),
            &org.leadership,
        ),
    )
    .await;

    // Nothing matches a plain request.
    file_and_route(&app, front, manager, plain("A plain request"))
        .await
        .expect_problem(422, "no_matching_rule");

    // Category.
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask("improvement", "price", "normal", "Too dear", "Nothing"),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_1.as_str());
    assert_eq!(routed.body["level"], "service");
    assert_eq!(routed.body["status"], "new");

    // Kind.
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask("praise", "product", "normal", "Lovely", "Nothing"),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());

    // Urgency.
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask("improvement", "product", "critical", "Urgent", "Nothing"),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.leadership.as_str());
    assert_eq!(routed.body["level"], "leadership");

    // Keywords: case-insensitive, in the title...
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask(
            "improvement",
            "product",
            "normal",
            "Mirror in the FITTING room",
            "Nothing",
        ),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());
    // ... or in the description.
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask(
            "improvement",
            "product",
            "normal",
            "Curtain",
            "The fitting ROOM curtain is torn",
        ),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());
    // The whole keyword, not a part of it.
    file_and_route(
        &app,
        front,
        manager,
        ask("improvement", "product", "normal", "Fitting", "A room"),
    )
    .await
    .expect_problem(422, "no_matching_rule");

    // Several fields in one rule must all match.
    file_and_route(
        &app,
        front,
        manager,
        ask("improvement", "staff", "normal", "Staff", "Nothing"),
    )
    .await
    .expect_problem(422, "no_matching_rule");
    file_and_route(
        &app,
        front,
        manager,
        ask("idea", "product", "normal", "An idea", "Nothing"),
    )
    .await
    .expect_problem(422, "no_matching_rule");
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask("idea", "staff", "normal", "An idea", "Nothing"),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.leadership.as_str());

    // A route chosen by a rule is an ordinary route in the timeline.
    let id = id_of(&routed.body);
    let events = app
        .get(&format!("/api/v1/requests/{id}/events"), &org.leader.token)
        .await
        .expect(200);
    let last = events.body["items"].as_array().unwrap().last().unwrap();
    assert_eq!(last["type"], "escalated");
    assert_eq!(last["from_level"], "manager");
    assert_eq!(last["to_level"], "leadership");
    assert_eq!(last["actor_id"], org.manager_a.id.as_str());
}

async fn rules_are_tried_by_position_and_inactive_ones_skipped(app: TestApp) {
    let org = org(&app).await;
    let (front, manager) = (&org.front_a, &org.manager_a);
    // Created out of order.
    create_rule(
        &app,
        &org.leader,
        rule("Catch-all", 30, json!({}), &org.leadership),
    )
    .await;
    let availability = create_rule(
        &app,
        &org.leader,
        rule(
            "Availability",
            10,
            json!({"categories": ["availability"]}),
            &org.service_1,
        ),
    )
    .await;
    create_rule(
        &app,
        &org.leader,
        rule(
            "Unmet needs",
            20,
            json!({"kinds": ["unmet_need"]}),
            &org.service_2,
        ),
    )
    .await;
    let mut off = rule("Switched off", 5, json!({}), &org.service_2);
    off["active"] = json!(false);
    let off = create_rule(&app, &org.leader, off).await;
    assert_eq!(off["active"], false);

    // Listed by position.
    let names = |body: &Value| -> Vec<(String, i64)> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["position"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let list = app
        .get("/api/v1/routing-rules", &org.leader.token)
        .await
        .expect(200);
    assert_eq!(
        names(&list.body),
        [
            ("Switched off".to_owned(), 5),
            ("Availability".to_owned(), 10),
            ("Unmet needs".to_owned(), 20),
            ("Catch-all".to_owned(), 30)
        ]
    );

    // Matches positions 10, 20 and 30: the lowest position wins.
    let both = || ask("unmet_need", "availability", "high", "Size 44", "Gone");
    let routed = file_and_route(&app, front, manager, both())
        .await
        .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_1.as_str());
    // Matches 20 and 30.
    let routed = file_and_route(
        &app,
        front,
        manager,
        ask("unmet_need", "product", "high", "Size 44", "Gone"),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());
    // Matches only the catch-all: the inactive rule at 5 is skipped.
    let routed = file_and_route(&app, front, manager, plain("Anything"))
        .await
        .expect(200);
    assert_eq!(routed.body["unit_id"], org.leadership.as_str());

    // Moving a rule changes the order.
    let id = availability["id"].as_str().unwrap();
    put(
        &app,
        &format!("/api/v1/routing-rules/{id}"),
        &org.leader.token,
        &[],
        rule(
            "Availability",
            40,
            json!({"categories": ["availability"]}),
            &org.service_1,
        ),
    )
    .await
    .expect(200);
    let list = app
        .get("/api/v1/routing-rules", &org.leader.token)
        .await
        .expect(200);
    assert_eq!(
        names(&list.body),
        [
            ("Switched off".to_owned(), 5),
            ("Unmet needs".to_owned(), 20),
            ("Catch-all".to_owned(), 30),
            ("Availability".to_owned(), 40)
        ]
    );
    let routed = file_and_route(&app, front, manager, both())
        .await
        .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());

    // Switching a rule on puts it back in play.
    let off_id = off["id"].as_str().unwrap();
    let mut on = rule("Switched off", 5, json!({}), &org.service_2);
    on["active"] = json!(true);
    put(
        &app,
        &format!("/api/v1/routing-rules/{off_id}"),
        &org.leader.token,
        &[],
        on,
    )
    .await
    .expect(200);
    let routed = file_and_route(&app, front, manager, plain("Anything else"))
        .await
        .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());
}

async fn rules_never_route_up_or_sideways(app: TestApp) {
    let org = org(&app).await;
    create_rule(
        &app,
        &org.leader,
        rule("Training first", 5, json!({}), &org.service_2),
    )
    .await;
    create_rule(
        &app,
        &org.leader,
        rule("Purchasing", 10, json!({}), &org.service_1),
    )
    .await;
    create_rule(
        &app,
        &org.leader,
        rule("Leadership", 20, json!({}), &org.leadership),
    )
    .await;

    let id = id_of(&file(&app, &org.front_a, plain("Down we go")).await);
    // Someone who cannot see it: 404, rules or not.
    route_by_rules(&app, &org.manager_b, &id)
        .await
        .expect_problem(404, "not_found");
    // Someone who sees it but does not hold it: 403.
    route_by_rules(&app, &org.front_a, &id)
        .await
        .expect_problem(403, "forbidden");

    let routed = route_by_rules(&app, &org.manager_a, &id).await.expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());
    assert_eq!(routed.body["level"], "service");

    // At service level both service rules would be sideways: leadership's
    // rule is the first that goes down.
    let routed = route_by_rules(&app, &org.service2, &id).await.expect(200);
    assert_eq!(routed.body["unit_id"], org.leadership.as_str());
    assert_eq!(routed.body["level"], "leadership");
    assert_eq!(routed.body["status"], "new");

    // Nothing is below leadership: no rule sends it back up.
    route_by_rules(&app, &org.leader, &id)
        .await
        .expect_problem(422, "no_matching_rule");
    let still = app
        .get(&format!("/api/v1/requests/{id}"), &org.leader.token)
        .await
        .expect(200);
    assert_eq!(still.body["unit_id"], org.leadership.as_str());
    assert_eq!(still.body["version"], 3);
}

async fn rule_on_filing_skips_the_managers(app: TestApp) {
    let org = org(&app).await;
    let mut doors = rule(
        "Broken doors",
        10,
        json!({"keywords": ["broken door"]}),
        &org.service_1,
    );
    doors["on_filing"] = json!(true);
    let doors = create_rule(&app, &org.leader, doors).await;
    assert_eq!(doors["on_filing"], true);
    // A plain rule, first by position, is not applied on filing.
    create_rule(
        &app,
        &org.leader,
        rule("Everything", 1, json!({}), &org.service_2),
    )
    .await;

    let filed = file(
        &app,
        &org.front_a,
        ask(
            "improvement",
            "premises",
            "high",
            "Broken door at the entrance",
            "It will not close",
        ),
    )
    .await;
    let id = id_of(&filed);
    assert_eq!(filed["status"], "new");
    assert_eq!(filed["level"], "service");
    assert_eq!(filed["unit_id"], org.service_1.as_str());
    assert_eq!(filed["team_id"], org.team_a.as_str());
    assert_eq!(filed["filed_by"], org.front_a.id.as_str());
    assert_eq!(filed["version"], 1);

    // The service sees it, the filer's team too, the other service not.
    let path = format!("/api/v1/requests/{id}");
    app.get(&path, &org.service1.token).await.expect(200);
    app.get(&path, &org.front_a.token).await.expect(200);
    app.get(&path, &org.manager_a.token).await.expect(200);
    app.get(&path, &org.service2.token)
        .await
        .expect_problem(404, "not_found");
    assert!(listed(&app, &org.service1, "").await.contains(&id));
    assert!(!listed(&app, &org.service2, "").await.contains(&id));

    // One `filed` event, straight to the service level.
    let events = app
        .get(&format!("{path}/events"), &org.service1.token)
        .await
        .expect(200);
    let items = events.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["type"], "filed");
    assert_eq!(items[0]["to_level"], "service");
    assert_eq!(items[0]["to_status"], "new");
    assert_eq!(items[0]["actor_id"], org.front_a.id.as_str());

    // The service that holds it is told and works it; the managers do not.
    assert_eq!(about(&inbox(&app, &org.service1).await, &id), ["filed"]);
    app.post(
        &format!("{path}/acknowledge"),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("{path}/acknowledge"),
        &org.service1.token,
        json!({}),
    )
    .await
    .expect(200);

    // Not matching the filing rule: with the managers as usual.
    let other = file(&app, &org.front_a, plain("A window")).await;
    assert_eq!(other["level"], "manager");
    assert_eq!(other["unit_id"], org.team_a.as_str());

    // Resolved on the spot stays resolved at the front line.
    let mut spot = ask(
        "improvement",
        "premises",
        "high",
        "Broken door again",
        "Fixed it",
    );
    spot["resolved_on_the_spot"] = json!({"note": "Oiled the hinge"});
    let spot = file(&app, &org.front_a, spot).await;
    assert_eq!(spot["status"], "resolved");
    assert_eq!(spot["level"], "frontline");
    assert_eq!(spot["unit_id"], org.team_a.as_str());

    // An inactive filing rule routes nothing.
    let doors_id = doors["id"].as_str().unwrap();
    let mut off = rule(
        "Broken doors",
        10,
        json!({"keywords": ["broken door"]}),
        &org.service_1,
    );
    off["on_filing"] = json!(true);
    off["active"] = json!(false);
    put(
        &app,
        &format!("/api/v1/routing-rules/{doors_id}"),
        &org.leader.token,
        &[],
        off,
    )
    .await
    .expect(200);
    let stays = file(
        &app,
        &org.front_a,
        ask(
            "improvement",
            "premises",
            "high",
            "Broken door, back door",
            "Stuck",
        ),
    )
    .await;
    assert_eq!(stays["level"], "manager");
    assert_eq!(stays["unit_id"], org.team_a.as_str());
}

/// Filings that arrive together are written together (group commit): the
/// filing rule, the service's visibility and who is told hold for each.
async fn rule_on_filing_holds_for_concurrent_filings(app: TestApp) {
    let org = org(&app).await;
    let mut doors = rule(
        "Broken doors",
        10,
        json!({"keywords": ["broken door"]}),
        &org.service_1,
    );
    doors["on_filing"] = json!(true);
    create_rule(&app, &org.leader, doors).await;

    let filers = [&org.front_a, &org.front_b, &org.manager_a, &org.manager_b];
    let app = &app;
    let filings = (0..12).map(|n| {
        let who = filers[n % filers.len()];
        let title = if n % 3 == 0 {
            format!("Broken door number {n}")
        } else {
            format!("Window number {n}")
        };
        let body = ask("improvement", "premises", "high", &title, "Please");
        async move {
            let filed = app
                .post("/api/v1/requests", &who.token, body)
                .await
                .expect(201);
            (n, filed.body)
        }
    });
    let filed = futures_util::future::join_all(filings).await;

    let service_inbox = inbox(app, &org.service1).await;
    let manager_a_inbox = inbox(app, &org.manager_a).await;
    let service_list = listed(app, &org.service1, "limit=100").await;
    for (n, request) in &filed {
        let id = id_of(request);
        let team = if n % 2 == 0 { &org.team_a } else { &org.team_b };
        assert_eq!(request["team_id"], team.as_str(), "{request:#}");
        let events = app
            .get(&format!("/api/v1/requests/{id}/events"), &org.leader.token)
            .await
            .expect(200);
        let first = &events.body["items"][0];
        assert_eq!(first["type"], "filed");
        if n % 3 == 0 {
            assert_eq!(request["level"], "service", "{request:#}");
            assert_eq!(request["unit_id"], org.service_1.as_str());
            assert_eq!(first["to_level"], "service");
            assert!(service_list.contains(&id), "the service sees {id}");
            assert_eq!(about(&service_inbox, &id), ["filed"]);
            assert!(about(&manager_a_inbox, &id).is_empty());
        } else {
            assert_eq!(request["level"], "manager", "{request:#}");
            assert_eq!(request["unit_id"], request["team_id"]);
            assert_eq!(first["to_level"], "manager");
            assert!(!service_list.contains(&id));
            assert!(about(&service_inbox, &id).is_empty());
            app.get(&format!("/api/v1/requests/{id}"), &org.service1.token)
                .await
                .expect_problem(404, "not_found");
        }
    }
    assert_eq!(service_inbox.len(), 4);
}

async fn rules_are_replaced_with_versions_and_deleted(app: TestApp) {
    let org = org(&app).await;
    let leader = &org.leader.token;
    let created = app
        .post(
            "/api/v1/routing-rules",
            leader,
            rule("Ideas", 10, json!({"kinds": ["idea"]}), &org.service_1),
        )
        .await
        .expect(201);
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(created.body["version"], 1);
    let id = created.id();
    let path = format!("/api/v1/routing-rules/{id}");
    let got = app.get(&path, leader).await.expect(200);
    assert_eq!(got.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(got.body["name"], "Ideas");

    // Replace with the ETag seen.
    let replacement = |name: &str| {
        let mut body = rule(
            name,
            7,
            json!({"kinds": ["idea"], "keywords": ["shelf"]}),
            &org.service_2,
        );
        body["on_filing"] = json!(false);
        body
    };
    let replaced = put(
        &app,
        &path,
        leader,
        &[("If-Match", "\"1\"")],
        replacement("Shelf ideas"),
    )
    .await
    .expect(200);
    assert_eq!(replaced.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(replaced.body["id"], id.as_str());
    assert_eq!(replaced.body["version"], 2);
    assert_eq!(replaced.body["name"], "Shelf ideas");
    assert_eq!(replaced.body["position"], 7);
    assert_eq!(replaced.body["target_unit_id"], org.service_2.as_str());
    assert_eq!(
        replaced.body["match"],
        json!({"categories": [], "kinds": ["idea"], "urgencies": [], "keywords": ["shelf"]})
    );

    // Stale: 412 with If-Match, 409 with a body version; nothing changes.
    put(
        &app,
        &path,
        leader,
        &[("If-Match", "\"1\"")],
        replacement("Stale"),
    )
    .await
    .expect_problem(412, "precondition_failed");
    let mut stale = replacement("Stale");
    stale["version"] = json!(1);
    put(&app, &path, leader, &[], stale)
        .await
        .expect_problem(409, "version_conflict");
    let got = app.get(&path, leader).await.expect(200);
    assert_eq!(got.body["name"], "Shelf ideas");
    assert_eq!(got.body["version"], 2);
    let mut fresh = replacement("Shelf ideas, again");
    fresh["version"] = json!(2);
    let again = put(&app, &path, leader, &[], fresh).await.expect(200);
    assert_eq!(again.body["version"], 3);
    assert_eq!(again.header("etag").as_deref(), Some("\"3\""));

    // The replaced rule is the one that routes.
    let routed = file_and_route(
        &app,
        &org.front_a,
        &org.manager_a,
        ask("idea", "product", "normal", "A SHELF for bags", "Nothing"),
    )
    .await
    .expect(200);
    assert_eq!(routed.body["unit_id"], org.service_2.as_str());

    // Unknown rule, or no rule id at all.
    app.get("/api/v1/routing-rules/not-a-rule", leader)
        .await
        .expect_problem(404, "not_found");
    let unknown = format!("/api/v1/routing-rules/{}", uuid::Uuid::new_v4());
    put(&app, &unknown, leader, &[], replacement("Nobody"))
        .await
        .expect_problem(404, "not_found");
    app.get(&unknown, leader)
        .await
        .expect_problem(404, "not_found");
    delete(&app, &unknown, leader)
        .await
        .expect_problem(404, "not_found");

    // Deleted: 204, then gone.
    let gone = delete(&app, &path, leader).await.expect(204);
    assert!(gone.body.is_null(), "204 has no body");
    app.get(&path, leader)
        .await
        .expect_problem(404, "not_found");
    delete(&app, &path, leader)
        .await
        .expect_problem(404, "not_found");
    put(&app, &path, leader, &[], replacement("Back?"))
        .await
        .expect_problem(404, "not_found");
    let list = app.get("/api/v1/routing-rules", leader).await.expect(200);
    assert_eq!(list.body["items"], json!([]));
    file_and_route(
        &app,
        &org.front_a,
        &org.manager_a,
        ask("idea", "product", "normal", "Another shelf", "Nothing"),
    )
    .await
    .expect_problem(422, "no_matching_rule");
}

/// "`Idempotency-Key` on every create": a retried rule creation must not
/// add a second rule (two equal rules at one position, or worse, two
/// different ones).
async fn rule_creation_honours_idempotency_key(app: TestApp) {
    let org = org(&app).await;
    let leader = &org.leader.token;
    let key = [("Idempotency-Key", "rule-once")];
    let body = rule(
        "Prices",
        10,
        json!({"categories": ["price"]}),
        &org.service_1,
    );
    let first = app
        .post_with("/api/v1/routing-rules", leader, &key, body.clone())
        .await
        .expect(201);
    let again = app
        .post_with("/api/v1/routing-rules", leader, &key, body.clone())
        .await
        .expect(201);
    assert_eq!(again.id(), first.id(), "a replay answers the first rule");
    assert_eq!(again.header("location"), first.header("location"));
    app.post_with(
        "/api/v1/routing-rules",
        leader,
        &key,
        rule("Other", 20, json!({}), &org.service_2),
    )
    .await
    .expect_problem(422, "idempotency_key_reused");
    let list = app.get("/api/v1/routing-rules", leader).await.expect(200);
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Prices"], "one rule for one key");
}

// ---------------------------------------------------------------------------
// Leaders only; validation
// ---------------------------------------------------------------------------

async fn only_leaders_edit_rules_and_policies(app: TestApp) {
    let org = org(&app).await;
    let body = rule(
        "Prices",
        10,
        json!({"categories": ["price"]}),
        &org.service_1,
    );
    let id = create_rule(&app, &org.leader, body.clone()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = format!("/api/v1/routing-rules/{id}");
    let admin = Member {
        id: String::new(),
        token: org.admin.clone(),
    };
    for who in [&org.front_a, &org.manager_a, &org.service1, &admin] {
        let token = who.token.as_str();
        app.get("/api/v1/routing-rules", token)
            .await
            .expect_problem(403, "forbidden");
        app.post("/api/v1/routing-rules", token, body.clone())
            .await
            .expect_problem(403, "forbidden");
        app.get(&one, token).await.expect_problem(403, "forbidden");
        put(&app, &one, token, &[], body.clone())
            .await
            .expect_problem(403, "forbidden");
        delete(&app, &one, token)
            .await
            .expect_problem(403, "forbidden");
        app.get("/api/v1/sla-policies", token)
            .await
            .expect_problem(403, "forbidden");
        put(
            &app,
            "/api/v1/sla-policies",
            token,
            &[],
            policies_with_low(1, 1),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    // Without a token: 401.
    app.get_public("/api/v1/routing-rules")
        .await
        .expect_problem(401, "unauthenticated");
    app.get_public("/api/v1/sla-policies")
        .await
        .expect_problem(401, "unauthenticated");

    // Nothing changed.
    let list = app
        .get("/api/v1/routing-rules", &org.leader.token)
        .await
        .expect(200);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["version"], 1);
    let policies = app
        .get("/api/v1/sla-policies", &org.leader.token)
        .await
        .expect(200);
    assert_eq!(by_urgency(&policies.body), by_urgency(&default_policies()));
}

async fn rule_validation_names_the_field(app: TestApp) {
    let org = org(&app).await;
    let leader = &org.leader.token;
    let valid = || rule("Valid", 10, json!({}), &org.service_1);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = valid();
        f(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|b| b["match"]["kinds"] = json!(["complaint"])),
            "match.kinds",
        ),
        (
            with(&|b| b["match"]["urgencies"] = json!(["urgent"])),
            "match.urgencies",
        ),
        (
            with(&|b| b["match"]["categories"] = json!(["weather"])),
            "match.categories",
        ),
        (
            with(&|b| b["target_unit_id"] = json!(org.team_a)),
            "target_unit_id",
        ),
        (
            with(&|b| b["target_unit_id"] = json!(uuid::Uuid::new_v4())),
            "target_unit_id",
        ),
        (
            with(&|b| b["target_unit_id"] = json!("not-a-unit")),
            "target_unit_id",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("name");
            }),
            "name",
        ),
        (with(&|b| b["name"] = json!("   ")), "name"),
    ];
    for (body, field) in &cases {
        names_field(
            app.post("/api/v1/routing-rules", leader, body.clone())
                .await,
            field,
        );
    }
    // Several faults at once: each is named.
    let both = with(&|b| {
        b["match"]["kinds"] = json!(["complaint"]);
        b["match"]["urgencies"] = json!(["urgent"]);
    });
    let resp = app.post("/api/v1/routing-rules", leader, both).await;
    let fields: HashSet<String> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains("match.kinds") && fields.contains("match.urgencies"),
        "{fields:?}"
    );
    // Not JSON at all: 400.
    let malformed = read(
        app.client
            .post(app.url("/api/v1/routing-rules"))
            .bearer_auth(leader)
            .header("content-type", "application/json")
            .body("{\"name\":")
            .send()
            .await
            .unwrap(),
    )
    .await;
    malformed.expect_problem(400, "malformed_json");

    // Nothing was created.
    let list = app.get("/api/v1/routing-rules", leader).await.expect(200);
    assert_eq!(list.body["items"], json!([]));

    // A replacement is validated the same way, and leaves the rule as it was.
    let id = create_rule(&app, &org.leader, valid()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/routing-rules/{id}");
    for (body, field) in &cases {
        names_field(put(&app, &path, leader, &[], body.clone()).await, field);
    }
    let got = app.get(&path, leader).await.expect(200);
    assert_eq!(got.body["version"], 1);
    assert_eq!(got.body["target_unit_id"], org.service_1.as_str());
}

// ---------------------------------------------------------------------------
// SLA policies
// ---------------------------------------------------------------------------

async fn sla_policies_shape_and_validation(app: TestApp) {
    let org = org(&app).await;
    let leader = &org.leader.token;
    let got = app.get("/api/v1/sla-policies", leader).await.expect(200);
    let policies = got.body["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 4, "all four urgencies: {:#}", got.body);
    for p in policies {
        let keys: HashSet<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            HashSet::from([
                "urgency",
                "acknowledge_within_seconds",
                "resolve_within_seconds"
            ])
        );
    }
    // The defaults of the spec.
    assert_eq!(by_urgency(&got.body), by_urgency(&default_policies()));

    let path = "/api/v1/sla-policies";
    // An urgency missing from one policy.
    let mut missing = default_policies();
    missing["policies"][1]
        .as_object_mut()
        .unwrap()
        .remove("urgency");
    let resp = put(&app, path, leader, &[], missing)
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        resp.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .contains("urgency"),
        "{:#}",
        resp.body
    );
    // An urgency given twice.
    let mut twice = default_policies();
    twice["policies"][3]["urgency"] = json!("normal");
    names_field(
        put(&app, path, leader, &[], twice).await,
        "policies[3].urgency",
    );
    // Zero and negative seconds.
    let mut zero = default_policies();
    zero["policies"][2]["acknowledge_within_seconds"] = json!(0);
    names_field(
        put(&app, path, leader, &[], zero).await,
        "policies[2].acknowledge_within_seconds",
    );
    let mut negative = default_policies();
    negative["policies"][0]["resolve_within_seconds"] = json!(-5);
    names_field(
        put(&app, path, leader, &[], negative).await,
        "policies[0].resolve_within_seconds",
    );
    // An unknown urgency.
    let mut unknown = default_policies();
    unknown["policies"][0]["urgency"] = json!("urgent");
    names_field(
        put(&app, path, leader, &[], unknown).await,
        "policies[0].urgency",
    );
    // Three of four.
    let mut three = default_policies();
    three["policies"].as_array_mut().unwrap().pop();
    names_field(put(&app, path, leader, &[], three).await, "policies");

    // Nothing changed.
    let got = app.get(path, leader).await.expect(200);
    assert_eq!(by_urgency(&got.body), by_urgency(&default_policies()));

    // A valid replacement answers and keeps the new values.
    let mut new = default_policies();
    new["policies"][1]["acknowledge_within_seconds"] = json!(600);
    new["policies"][1]["resolve_within_seconds"] = json!(7_200);
    let answer = put(&app, path, leader, &[], new.clone()).await.expect(200);
    assert_eq!(by_urgency(&answer.body), by_urgency(&new));
    assert_eq!(answer.body["policies"].as_array().unwrap().len(), 4);
    let got = app.get(path, leader).await.expect(200);
    assert_eq!(by_urgency(&got.body), by_urgency(&new));
    assert_eq!(by_urgency(&got.body)["normal"], (600, 7_200));
}

async fn new_policies_apply_to_later_filings_only(app: TestApp) {
    let org = org(&app).await;
    let before = file(&app, &org.front_a, plain("Filed before")).await;
    assert_eq!(
        millis(&before["sla"]["acknowledge_by"], &before["filed_at"]),
        14_400_000
    );
    assert_eq!(
        millis(&before["sla"]["resolve_by"], &before["filed_at"]),
        259_200_000
    );

    let mut new = default_policies();
    new["policies"][1]["acknowledge_within_seconds"] = json!(600);
    new["policies"][1]["resolve_within_seconds"] = json!(7_200);
    put(&app, "/api/v1/sla-policies", &org.leader.token, &[], new)
        .await
        .expect(200);

    let after = file(&app, &org.front_a, plain("Filed after")).await;
    assert_eq!(
        millis(&after["sla"]["acknowledge_by"], &after["filed_at"]),
        600_000
    );
    assert_eq!(
        millis(&after["sla"]["resolve_by"], &after["filed_at"]),
        7_200_000
    );

    // The earlier request keeps the deadlines it was filed with.
    let before_id = id_of(&before);
    let again = app
        .get(
            &format!("/api/v1/requests/{before_id}"),
            &org.manager_a.token,
        )
        .await
        .expect(200);
    assert_eq!(again.body["sla"], before["sla"]);

    // Even when it moves on to a new level: its own acknowledge time.
    let routed = app
        .post(
            &format!("/api/v1/requests/{before_id}/route"),
            &org.manager_a.token,
            json!({"to_unit_id": org.service_1, "note": "Stock"}),
        )
        .await
        .expect(200);
    assert_eq!(
        millis(
            &routed.body["sla"]["acknowledge_by"],
            &routed.body["updated_at"]
        ),
        14_400_000
    );
    assert_eq!(
        routed.body["sla"]["resolve_by"],
        before["sla"]["resolve_by"]
    );
    let after_id = id_of(&after);
    let routed = app
        .post(
            &format!("/api/v1/requests/{after_id}/route"),
            &org.manager_a.token,
            json!({"to_unit_id": org.service_1, "note": "Stock"}),
        )
        .await
        .expect(200);
    assert_eq!(
        millis(
            &routed.body["sla"]["acknowledge_by"],
            &routed.body["updated_at"]
        ),
        600_000
    );
    assert_eq!(routed.body["sla"]["resolve_by"], after["sla"]["resolve_by"]);
}

async fn routing_restarts_the_acknowledge_clock(app: TestApp) {
    let org = org(&app).await;
    create_rule(
        &app,
        &org.leader,
        rule("Escalate", 10, json!({}), &org.leadership),
    )
    .await;
    // Critical: acknowledge within 15 min, resolve within 4 h.
    let filed = file(
        &app,
        &org.front_a,
        ask("improvement", "product", "critical", "Flooded", "Water"),
    )
    .await;
    let id = id_of(&filed);
    assert_eq!(
        millis(&filed["sla"]["acknowledge_by"], &filed["filed_at"]),
        900_000
    );

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let routed = app
        .post(
            &format!("/api/v1/requests/{id}/route"),
            &org.manager_a.token,
            json!({"to_unit_id": org.service_1, "note": "Pumps"}),
        )
        .await
        .expect(200);
    let sla = &routed.body["sla"];
    assert_eq!(
        millis(&sla["acknowledge_by"], &routed.body["updated_at"]),
        900_000
    );
    assert!(
        millis(&sla["acknowledge_by"], &filed["sla"]["acknowledge_by"]) >= 1_000,
        "the clock restarted: {sla:#}"
    );
    assert_eq!(
        sla["resolve_by"], filed["sla"]["resolve_by"],
        "resolve counts from filing"
    );
    // The route time is the routed event's time.
    let events = app
        .get(&format!("/api/v1/requests/{id}/events"), &org.leader.token)
        .await
        .expect(200);
    let route_event = events.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(route_event["type"], "routed");
    assert_eq!(millis(&sla["acknowledge_by"], &route_event["at"]), 900_000);

    // Acknowledged at the service, then sent further down by the rule: the
    // request is new again and its acknowledge clock restarts once more.
    app.post(
        &format!("/api/v1/requests/{id}/acknowledge"),
        &org.service1.token,
        json!({}),
    )
    .await
    .expect(200);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let escalated = route_by_rules(&app, &org.service1, &id).await.expect(200);
    assert_eq!(escalated.body["status"], "new");
    assert_eq!(escalated.body["level"], "leadership");
    let again = &escalated.body["sla"];
    assert_eq!(
        millis(&again["acknowledge_by"], &escalated.body["updated_at"]),
        900_000
    );
    assert!(millis(&again["acknowledge_by"], &sla["acknowledge_by"]) >= 1_000);
    assert_eq!(again["resolve_by"], filed["sla"]["resolve_by"]);
    assert_eq!(again["next"]["deadline"], "acknowledge");
}

// ---------------------------------------------------------------------------
// Inbox
// ---------------------------------------------------------------------------

async fn inbox_tells_owners_filer_and_team_never_the_actor(app: TestApp) {
    let org = org(&app).await;
    let colleague = app
        .member(&org.admin, "front.a2@test.upturn", "frontline", &org.team_a)
        .await;

    let filed = file(&app, &org.front_a, plain("Trousers in size 44")).await;
    let id = id_of(&filed);
    let reference = filed["reference"].as_str().unwrap().to_owned();

    // The managers who hold it are told; the filer, who did it, is not.
    let items = inbox(&app, &org.manager_a).await;
    assert_eq!(about(&items, &id), ["filed"]);
    let item = items
        .iter()
        .find(|i| i["request_id"] == id.as_str())
        .unwrap();
    assert_eq!(item["read"], false);
    assert!(item["id"].is_string());
    time(&item["at"]);
    let summary = item["summary"].as_str().unwrap();
    assert!(summary.contains(&reference), "{summary}");
    assert!(summary.contains("Trousers in size 44"), "{summary}");
    assert!(about(&inbox(&app, &org.front_a).await, &id).is_empty());
    for outsider in [
        &colleague,
        &org.front_b,
        &org.manager_b,
        &org.service1,
        &org.leader,
    ] {
        assert!(about(&inbox(&app, outsider).await, &id).is_empty());
    }

    // Routed: the filer and the service are told, the router is not.
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_1, "note": "Stock"}),
    )
    .await
    .expect(200);
    assert_eq!(about(&inbox(&app, &org.front_a).await, &id), ["routed"]);
    assert_eq!(about(&inbox(&app, &org.service1).await, &id), ["routed"]);
    assert_eq!(about(&inbox(&app, &org.manager_a).await, &id), ["filed"]);

    // Resolved: it comes back up, and the filer's whole team is told.
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &org.service1.token,
        json!({"status": "resolved", "note": "Size 44 back in stock"}),
    )
    .await
    .expect(200);
    for member in [&org.front_a, &org.manager_a, &colleague] {
        let items = inbox(&app, member).await;
        let resolved: Vec<&Value> = items
            .iter()
            .filter(|i| i["request_id"] == id.as_str() && i["event_type"] == "resolved")
            .collect();
        assert_eq!(resolved.len(), 1, "{items:#?}");
        let summary = resolved[0]["summary"].as_str().unwrap();
        assert!(summary.contains("Purchasing"), "{summary}");
        assert!(summary.contains(&reference), "{summary}");
        assert_eq!(resolved[0]["read"], false);
    }
    assert_eq!(about(&inbox(&app, &colleague).await, &id), ["resolved"]);
    assert_eq!(about(&inbox(&app, &org.service1).await, &id), ["routed"]);
    for outsider in [&org.front_b, &org.manager_b, &org.service2, &org.leader] {
        assert!(about(&inbox(&app, outsider).await, &id).is_empty());
    }

    // Declined: the same, named after the unit that declined.
    let declined = file(&app, &colleague, plain("Gift wrapping")).await;
    let did = id_of(&declined);
    app.post(
        &format!("/api/v1/requests/{did}/route"),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_2, "note": "Training"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/requests/{did}/status"),
        &org.service2.token,
        json!({"status": "declined", "note": "Not this year"}),
    )
    .await
    .expect(200);
    for member in [&org.front_a, &org.manager_a, &colleague] {
        let items = inbox(&app, member).await;
        let item = items
            .iter()
            .find(|i| i["request_id"] == did.as_str() && i["event_type"] == "declined")
            .unwrap_or_else(|| panic!("a declined item: {items:#?}"));
        assert!(item["summary"].as_str().unwrap().contains("Training"));
    }
    assert!(
        !about(&inbox(&app, &org.service2).await, &did).contains(&"declined".to_owned()),
        "the decliner is not told of its own change"
    );
}

async fn watchers_are_told_until_they_stop(app: TestApp) {
    let org = org(&app).await;
    let id = id_of(&file(&app, &org.front_a, plain("Watch me")).await);
    let watch = format!("/api/v1/requests/{id}/watch");

    // Those who cannot see it cannot watch it.
    for who in [&org.front_b, &org.manager_b, &org.service1] {
        app.post(&watch, &who.token, json!({}))
            .await
            .expect_problem(404, "not_found");
        delete(&app, &watch, &who.token)
            .await
            .expect_problem(404, "not_found");
    }
    app.post(&watch, &org.admin, json!({}))
        .await
        .expect_problem(404, "not_found");
    let unknown = format!("/api/v1/requests/{}/watch", uuid::Uuid::new_v4());
    app.post(&unknown, &org.leader.token, json!({}))
        .await
        .expect_problem(404, "not_found");

    // The leader sees everything, and watches (twice is once).
    app.post(&watch, &org.leader.token, json!({}))
        .await
        .expect(204);
    app.post(&watch, &org.leader.token, json!({}))
        .await
        .expect(204);
    app.post(
        &format!("/api/v1/requests/{id}/acknowledge"),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect(200);
    let items = inbox(&app, &org.leader).await;
    assert_eq!(about(&items, &id), ["acknowledged"]);
    let summary = items[0]["summary"].as_str().unwrap();
    assert!(summary.contains("Lyon store"), "{summary}");

    // Stopped watching: no more news.
    delete(&app, &watch, &org.leader.token).await.expect(204);
    delete(&app, &watch, &org.leader.token).await.expect(204);
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_1, "note": "Stock"}),
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
    assert_eq!(
        about(&inbox(&app, &org.leader).await, &id),
        ["acknowledged"]
    );

    // Now routed to it, the service may watch; the other team still may not.
    app.post(&watch, &org.service1.token, json!({}))
        .await
        .expect(204);
    app.post(&watch, &org.front_b.token, json!({}))
        .await
        .expect_problem(404, "not_found");
}

async fn inbox_items_are_marked_read_by_their_owner_only(app: TestApp) {
    let org = org(&app).await;
    let first = id_of(&file(&app, &org.front_a, plain("First")).await);
    let second = id_of(&file(&app, &org.front_a, plain("Second")).await);
    let items = inbox(&app, &org.manager_a).await;
    assert_eq!(items.len(), 2);
    let item_of = |items: &[Value], request: &str| {
        items
            .iter()
            .find(|i| i["request_id"] == request)
            .unwrap()
            .clone()
    };
    let target = item_of(&items, &first);
    let item_id = target["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/inbox/{item_id}/read");

    // Someone else's item is not theirs to read: 404.
    for who in [&org.manager_b, &org.front_a, &org.leader] {
        app.post(&path, &who.token, json!({}))
            .await
            .expect_problem(404, "not_found");
    }
    app.post(
        &format!("/api/v1/inbox/{}/read", uuid::Uuid::new_v4()),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post(
        "/api/v1/inbox/not-an-item/read",
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    assert_eq!(
        item_of(&inbox(&app, &org.manager_a).await, &first)["read"],
        false
    );

    let marked = app
        .post(&path, &org.manager_a.token, json!({}))
        .await
        .expect(200);
    assert_eq!(marked.body["id"], item_id.as_str());
    assert_eq!(marked.body["read"], true);
    assert_eq!(marked.body["request_id"], first.as_str());
    assert_eq!(marked.body["event_type"], "filed");
    assert_eq!(marked.body["summary"], target["summary"]);
    // Again: still read.
    let again = app
        .post(&path, &org.manager_a.token, json!({}))
        .await
        .expect(200);
    assert_eq!(again.body["read"], true);

    let items = inbox(&app, &org.manager_a).await;
    assert_eq!(item_of(&items, &first)["read"], true);
    assert_eq!(item_of(&items, &second)["read"], false);
}

async fn inbox_pages_by_cursor_without_duplicates(app: TestApp) {
    let org = org(&app).await;
    let mut filed = Vec::new();
    for n in 0..5 {
        filed.push(id_of(
            &file(&app, &org.front_a, plain(&format!("Request {n}"))).await,
        ));
    }

    let mut seen: Vec<String> = Vec::new();
    let mut requests: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/inbox?limit=2&cursor={c}"),
            None => "/api/v1/inbox?limit=2".to_owned(),
        };
        let page = app.get(&path, &org.manager_a.token).await.expect(200);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{:#}", page.body);
        for item in items {
            seen.push(item["id"].as_str().unwrap().to_owned());
            requests.push(item["request_id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        if pages == 1 {
            // A new item while paging shows on a fresh first page, never twice.
            file(&app, &org.front_a, plain("Late")).await;
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page.body["next_cursor"].is_null());
                break;
            }
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    // Newest first: the five filings in reverse.
    let expected: Vec<String> = filed.iter().rev().cloned().collect();
    assert_eq!(requests, expected);
    assert_eq!(inbox(&app, &org.manager_a).await.len(), 6);

    // Bad paging parameters.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=two", "limit"),
        ("cursor=nonsense", "cursor"),
    ] {
        names_field(
            app.get(&format!("/api/v1/inbox?{query}"), &org.manager_a.token)
                .await,
            field,
        );
    }
}

// ---------------------------------------------------------------------------
// Deadlines in the request: overdue and sla.next
// ---------------------------------------------------------------------------

async fn overdue_lists_open_requests_past_a_deadline(app: TestApp) {
    let org = org(&app).await;
    put(
        &app,
        "/api/v1/sla-policies",
        &org.leader.token,
        &[],
        policies_with_low(1, 1),
    )
    .await
    .expect(200);
    let low = id_of(
        &file(
            &app,
            &org.front_a,
            ask("improvement", "product", "low", "Low and late", "Nothing"),
        )
        .await,
    );
    let answered = id_of(
        &file(
            &app,
            &org.front_a,
            ask(
                "improvement",
                "product",
                "low",
                "Low but answered",
                "Nothing",
            ),
        )
        .await,
    );
    let normal = id_of(&file(&app, &org.front_a, plain("Normal and on time")).await);

    tokio::time::sleep(Duration::from_millis(2_100)).await;
    app.post(
        &format!("/api/v1/requests/{answered}/status"),
        &org.manager_a.token,
        json!({"status": "resolved", "note": "Done"}),
    )
    .await
    .expect(200);

    let overdue = listed(&app, &org.manager_a, "overdue=true").await;
    assert!(overdue.contains(&low), "{overdue:?}");
    assert!(!overdue.contains(&normal), "{overdue:?}");
    assert!(
        !overdue.contains(&answered),
        "answered requests are not overdue"
    );
    assert!(
        listed(&app, &org.leader, "overdue=true")
            .await
            .contains(&low)
    );
    assert!(
        !listed(&app, &org.front_b, "overdue=true")
            .await
            .contains(&low)
    );
    let all = listed(&app, &org.manager_a, "overdue=false").await;
    assert!(all.contains(&low) && all.contains(&normal) && all.contains(&answered));

    let late = app
        .get(&format!("/api/v1/requests/{low}"), &org.manager_a.token)
        .await
        .expect(200);
    assert!(
        late.body["sla"]["next"]["remaining_seconds"]
            .as_i64()
            .unwrap()
            < 0,
        "{:#}",
        late.body["sla"]
    );

    names_field(
        app.get("/api/v1/requests?overdue=maybe", &org.manager_a.token)
            .await,
        "overdue",
    );
}

async fn sla_next_tells_which_deadline_comes_next(app: TestApp) {
    let org = org(&app).await;
    put(
        &app,
        "/api/v1/sla-policies",
        &org.leader.token,
        &[],
        policies_with_low(3, 3_600),
    )
    .await
    .expect(200);

    // New: the acknowledge deadline comes first.
    let normal = file(&app, &org.front_a, plain("Normal")).await;
    let next = &normal["sla"]["next"];
    assert_eq!(next["deadline"], "acknowledge");
    assert_eq!(next["at"], normal["sla"]["acknowledge_by"]);
    let remaining = next["remaining_seconds"].as_i64().unwrap();
    assert!((14_300..=14_400).contains(&remaining), "{next:#}");

    let low = file(
        &app,
        &org.front_a,
        ask("improvement", "product", "low", "Low", "Nothing"),
    )
    .await;
    let id = id_of(&low);
    let next = &low["sla"]["next"];
    assert_eq!(next["deadline"], "acknowledge");
    assert_eq!(next["at"], low["sla"]["acknowledge_by"]);
    let remaining = next["remaining_seconds"].as_i64().unwrap();
    assert!((1..=3).contains(&remaining), "{next:#}");

    // Past the deadline: negative.
    tokio::time::sleep(Duration::from_millis(4_100)).await;
    let path = format!("/api/v1/requests/{id}");
    let late = app.get(&path, &org.manager_a.token).await.expect(200);
    let next = &late.body["sla"]["next"];
    assert_eq!(next["deadline"], "acknowledge");
    assert!(next["remaining_seconds"].as_i64().unwrap() < 0, "{next:#}");
    // The list shows the same.
    let list = app
        .get("/api/v1/requests", &org.manager_a.token)
        .await
        .expect(200);
    let in_list = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(in_list["sla"]["next"]["deadline"], "acknowledge");
    assert!(
        in_list["sla"]["next"]["remaining_seconds"]
            .as_i64()
            .unwrap()
            < 0
    );

    // Acknowledged: the resolve deadline is next.
    let acked = app
        .post(
            &format!("{path}/acknowledge"),
            &org.manager_a.token,
            json!({}),
        )
        .await
        .expect(200);
    let next = &acked.body["sla"]["next"];
    assert_eq!(next["deadline"], "resolve");
    assert_eq!(next["at"], acked.body["sla"]["resolve_by"]);
    let remaining = next["remaining_seconds"].as_i64().unwrap();
    assert!((3_000..=3_600).contains(&remaining), "{next:#}");

    // Resolved: nothing is next.
    let resolved = app
        .post(
            &format!("{path}/status"),
            &org.manager_a.token,
            json!({"status": "resolved", "note": "Done"}),
        )
        .await
        .expect(200);
    let sla = resolved.body["sla"].as_object().unwrap();
    assert!(
        sla.contains_key("next") && sla["next"].is_null(),
        "{sla:#?}"
    );
    let got = app.get(&path, &org.front_a.token).await.expect(200);
    assert!(got.body["sla"]["next"].is_null());
}

// ---------------------------------------------------------------------------
// Several replicas
// ---------------------------------------------------------------------------

/// A rule deleted or a policy changed on one replica applies at once to
/// what is filed or routed on another: "new deadlines apply to requests
/// filed after the change", and a deleted rule routes nothing.
async fn leadership_changes_apply_on_every_replica(app: TestApp) {
    let org = org(&app).await;
    let other = upturn_api::startup::Application::build(common::test_settings(&app.database_url))
        .await
        .expect("a second replica starts");
    let other_base = format!("http://127.0.0.1:{}", other.port());
    let server = tokio::spawn(async move {
        let _ = other.run_until_stopped().await;
    });

    let everything = create_rule(
        &app,
        &org.leader,
        rule("Everything", 10, json!({}), &org.service_1),
    )
    .await;
    // The other replica has read the rules and the policies.
    let seen = send_to(
        &app,
        &other_base,
        Method::GET,
        "/api/v1/routing-rules",
        &org.leader.token,
        &[],
        None,
    )
    .await
    .expect(200);
    assert_eq!(seen.body["items"].as_array().unwrap().len(), 1);
    send_to(
        &app,
        &other_base,
        Method::GET,
        "/api/v1/sla-policies",
        &org.leader.token,
        &[],
        None,
    )
    .await
    .expect(200);

    // Leadership changes both through the first replica.
    let rule_path = format!(
        "/api/v1/routing-rules/{}",
        everything["id"].as_str().unwrap()
    );
    delete(&app, &rule_path, &org.leader.token)
        .await
        .expect(204);
    let mut new = default_policies();
    new["policies"][1]["acknowledge_within_seconds"] = json!(600);
    new["policies"][1]["resolve_within_seconds"] = json!(7_200);
    put(&app, "/api/v1/sla-policies", &org.leader.token, &[], new)
        .await
        .expect(200);

    // The second replica reads them as they are now. A replica may take a
    // moment to hear of the change (say a NOTIFY): one second at most, far
    // below the time anyone files after changing a policy. Each stale
    // answer is collected, so one run shows every effect.
    let mut stale: Vec<String> = Vec::new();
    let get_other = |path: &'static str| {
        send_to(
            &app,
            &other_base,
            Method::GET,
            path,
            &org.leader.token,
            &[],
            None,
        )
    };
    let changed_at = std::time::Instant::now();
    let (seen, normal) = loop {
        let seen = get_other("/api/v1/routing-rules").await.expect(200);
        let policies = get_other("/api/v1/sla-policies").await.expect(200);
        let normal = by_urgency(&policies.body)["normal"];
        let fresh = seen.body["items"] == json!([]) && normal == (600, 7_200);
        if fresh || changed_at.elapsed() > Duration::from_secs(1) {
            break (seen, normal);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if seen.body["items"] != json!([]) {
        stale.push(format!(
            "GET /routing-rules still lists the deleted rule after 1 s: {}",
            seen.body["items"]
        ));
    }
    if normal != (600, 7_200) {
        stale.push(format!(
            "GET /sla-policies still gives normal = {normal:?} after 1 s, not (600, 7200)"
        ));
    }

    // Filed after the change, on the other replica: the new deadlines.
    let filed = send_to(
        &app,
        &other_base,
        Method::POST,
        "/api/v1/requests",
        &org.front_a.token,
        &[],
        Some(plain("After the change")),
    )
    .await
    .expect(201);
    let deadlines = (
        millis(
            &filed.body["sla"]["acknowledge_by"],
            &filed.body["filed_at"],
        ) / 1000,
        millis(&filed.body["sla"]["resolve_by"], &filed.body["filed_at"]) / 1000,
    );
    if deadlines != (600, 7_200) {
        stale.push(format!(
            "a normal request filed after the change got the deadlines {deadlines:?}, not (600, 7200)"
        ));
    }
    // Routed without a unit on the other replica: the deleted rule is gone.
    let id = filed.id();
    let routed = send_to(
        &app,
        &other_base,
        Method::POST,
        &format!("/api/v1/requests/{id}/route"),
        &org.manager_a.token,
        &[],
        Some(json!({"note": "Where the rules say"})),
    )
    .await;
    if routed.status != 422 || routed.code() != "no_matching_rule" {
        stale.push(format!(
            "a route without a unit used the deleted rule: {} to unit {}",
            routed.status, routed.body["unit_id"]
        ));
    }
    server.abort();
    assert!(
        stale.is_empty(),
        "the other replica acted on leadership's old settings:\n{}",
        stale.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Deadlines passed: the sweep tells the owners and leadership
// ---------------------------------------------------------------------------

/// The `sla_breached` events of a request, polled until there are `count`
/// (or a timeout).
async fn breaches(app: &TestApp, who: &Member, id: &str, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = app
            .get(&format!("/api/v1/requests/{id}/events"), &who.token)
            .await
            .expect(200);
        let found: Vec<Value> = events.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "sla_breached")
            .cloned()
            .collect();
        if found.len() >= count || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The summaries of a member's `sla_breached` items about a request.
async fn breach_summaries(app: &TestApp, who: &Member, id: &str) -> Vec<String> {
    let mut summaries: Vec<String> = inbox(app, who)
        .await
        .iter()
        .filter(|i| i["request_id"] == id && i["event_type"] == "sla_breached")
        .map(|i| i["summary"].as_str().unwrap().to_owned())
        .collect();
    summaries.sort();
    summaries
}

async fn deadlines_passed_are_told_once_each(app: TestApp) {
    let org = org(&app).await;
    // Low: acknowledge within 1 s, resolve within 3 s.
    put(
        &app,
        "/api/v1/sla-policies",
        &org.leader.token,
        &[],
        policies_with_low(1, 3),
    )
    .await
    .expect(200);
    let filed = file(
        &app,
        &org.front_a,
        ask("improvement", "product", "low", "Slow lane", "Nothing"),
    )
    .await;
    let id = id_of(&filed);

    // Both deadlines pass while it waits, new, with the managers.
    let found = breaches(&app, &org.leader, &id, 2).await;
    let notes: Vec<&str> = found
        .iter()
        .map(|e| e["note"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        notes,
        ["acknowledge deadline passed", "resolve deadline passed"],
        "{found:#?}"
    );
    for event in &found {
        assert!(event["actor_id"].is_null());
        assert_eq!(event["to_level"], "manager");
    }
    // Several sweeps later: still once per deadline.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(breaches(&app, &org.leader, &id, 0).await.len(), 2);
    let now = app
        .get(&format!("/api/v1/requests/{id}"), &org.manager_a.token)
        .await
        .expect(200);
    assert_eq!(now.body["sla"]["breached"], true);

    // The owners, the filer and leadership are told, each deadline once and
    // by its name; nobody else.
    let reference = filed["reference"].as_str().unwrap();
    for who in [&org.manager_a, &org.front_a, &org.leader] {
        let summaries = breach_summaries(&app, who, &id).await;
        assert_eq!(summaries.len(), 2, "{summaries:?}");
        assert!(
            summaries.iter().all(|s| s.contains(reference)),
            "{summaries:?}"
        );
        assert!(
            summaries[0].contains("acknowledge deadline passed"),
            "{summaries:?}"
        );
        assert!(
            summaries[1].contains("resolve deadline passed"),
            "the resolve breach is told as such: {summaries:?}"
        );
    }
    for who in [&org.front_b, &org.manager_b, &org.service1] {
        assert!(breach_summaries(&app, who, &id).await.is_empty());
    }

    // Routed down: a new level, a new acknowledge clock, a new breach, told
    // to the service that holds it now.
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_1, "note": "Late already"}),
    )
    .await
    .expect(200);
    let found = breaches(&app, &org.leader, &id, 3).await;
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[2]["note"], "acknowledge deadline passed");
    assert_eq!(found[2]["to_level"], "service");
    let summaries = breach_summaries(&app, &org.service1, &id).await;
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(summaries[0].contains("acknowledge deadline passed"));
}

/// `sort=deadline`: the nearest next deadline first (the acknowledge one
/// while new, the resolve one after), paged with a cursor, no duplicates.
async fn sort_by_deadline_pages_nearest_first(app: TestApp) {
    let org = org(&app).await;
    let leader = &org.leader.token;
    // Urgencies with different clocks: critical (15 min to acknowledge),
    // high (1 h), normal (4 h), low (24 h).
    let mut filed = Vec::new();
    for urgency in [
        "low", "critical", "normal", "high", "low", "critical", "normal",
    ] {
        let mut body = common::filing("Sorted");
        body["urgency"] = json!(urgency);
        filed.push(
            app.post("/api/v1/requests", &org.front_a.token, body)
                .await
                .expect(201)
                .body,
        );
    }
    // Acknowledged: its next deadline becomes the resolve one (critical: 4 h).
    let first_critical = filed[1]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/requests/{first_critical}/acknowledge"),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect(200);

    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/requests?sort=deadline&limit=3&cursor={c}"),
            None => "/api/v1/requests?sort=deadline&limit=3".to_owned(),
        };
        let page = app.get(&path, leader).await.expect(200).body;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let ids: Vec<&str> = seen.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), filed.len(), "every request once: {ids:?}");
    assert_eq!(unique.len(), filed.len());
    let next_at: Vec<DateTime<FixedOffset>> = seen
        .iter()
        .map(|r| DateTime::parse_from_rfc3339(r["sla"]["next"]["at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        next_at.windows(2).all(|w| w[0] <= w[1]),
        "nearest deadline first: {next_at:?}"
    );
    assert_eq!(seen[0]["urgency"], "critical");
    assert_eq!(seen[0]["sla"]["next"]["deadline"], "acknowledge");
    let acked = seen
        .iter()
        .find(|r| r["id"] == first_critical.as_str())
        .unwrap();
    assert_eq!(acked["sla"]["next"]["deadline"], "resolve");
    app.get("/api/v1/requests?sort=oldest", leader)
        .await
        .expect_problem(422, "validation_failed");
    app.get("/api/v1/requests?sort=deadline&cursor=garbage", leader)
        .await
        .expect_problem(422, "validation_failed");
}
