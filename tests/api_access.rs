//! Who sees what, and lists that hold under load: the visibility matrix
//! (`404`, never `403`), cursor pagination while requests keep arriving,
//! the list filters, and commands racing on one request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use common::{Member, Resp, TestApp, enc, filing, org};
use futures_util::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(
    visibility_matrix_answers_404_never_403,
    cursor_pagination_holds_while_requests_keep_arriving,
    timeline_pages_oldest_first,
    list_filters_narrow_what_the_caller_sees,
    search_ignores_case_beyond_ascii,
    racing_commands_apply_once_each,
);
on_both_backends!(
    with |s| s.webhook_allow_http_loopback = true;
    units_members_and_webhooks_page_through_by_cursor
);

// ---------------------------------------------------------------- helpers

fn items(page: &Resp) -> &Vec<Value> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page has items: {:#}", page.body))
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is a string in {value:#}"))
}

fn time_of(value: &Value, field: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(str_of(value, field))
        .unwrap_or_else(|_| panic!("`{field}` is RFC 3339 in {value:#}"))
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

/// Every request id `GET /requests?{query}` gives `token`, following the
/// cursors; a request listed twice fails the test.
async fn list_ids(app: &TestApp, token: &str, query: &str) -> BTreeSet<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = "/api/v1/requests?limit=200".to_owned();
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={}", enc(cursor)));
        }
        let page = app.get(&path, token).await;
        assert_eq!(page.status, 200, "GET {path} answers 200: {:#}", page.body);
        seen.extend(items(&page).iter().map(|r| str_of(r, "id").to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                let unique: BTreeSet<String> = seen.iter().cloned().collect();
                assert_eq!(unique.len(), seen.len(), "GET {path} repeats a request");
                return unique;
            }
        }
    }
    panic!("GET /requests?{query} never reaches its last page");
}

/// A filing with chosen attributes; the description and expectation share
/// no word with any title used here, so `q` only ever matches titles.
fn shaped(kind: &str, category: &str, urgency: &str, title: &str) -> Value {
    json!({
        "kind": kind,
        "category": category,
        "urgency": urgency,
        "channel": "phone",
        "title": title,
        "description": "Asked at the counter.",
        "customer_expectation": "An answer soon"
    })
}

async fn file_body(app: &TestApp, who: &Member, body: Value) -> Value {
    app.post("/api/v1/requests", &who.token, body)
        .await
        .expect(201)
        .body
}

async fn file_titled(app: &TestApp, who: &Member, title: &str) -> String {
    str_of(&file_body(app, who, filing(title)).await, "id").to_owned()
}

async fn route(app: &TestApp, who: &Member, id: &str, unit: &str) {
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &who.token,
        json!({"to_unit_id": unit, "note": "Yours now"}),
    )
    .await
    .expect(200);
}

/// The whole timeline of a request, as `token` reads it.
async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/requests/{id}/events?limit=200"), token)
        .await
        .expect(200);
    assert!(page.body["next_cursor"].is_null());
    items(&page).clone()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| str_of(e, "type")).collect()
}

/// Why an answer is not what SPEC says, if it is not: `ok` when the caller
/// may see the request, `404 not_found` (never `403`) when it may not, with
/// the very same problem as for a request that does not exist.
fn judge(what: &str, answer: &Resp, visible: bool, ok: u16, ghost: &Resp) -> Option<String> {
    if visible {
        return (answer.status != ok).then(|| {
            format!(
                "{what}: expected {ok}, got {} {}",
                answer.status, answer.body
            )
        });
    }
    if answer.status != 404 || answer.code() != "not_found" {
        return Some(format!(
            "{what}: expected 404 not_found, got {} {}",
            answer.status, answer.body
        ));
    }
    if answer.header("content-type").as_deref() != Some("application/problem+json") {
        return Some(format!("{what}: a 404 that is not problem+json"));
    }
    for field in ["type", "title", "status", "code"] {
        if answer.body[field] != ghost.body[field] {
            return Some(format!(
                "{what}: a hidden request answers a different `{field}` than a missing one: {} vs {}",
                answer.body, ghost.body
            ));
        }
    }
    None
}

// ---------------------------------------------------------------- 1. visibility

async fn visibility_matrix_answers_404_never_403(app: TestApp) {
    let org = org(&app).await;

    // Four situations.
    let with_managers = file_titled(&app, &org.front_a, "Still with the managers").await;
    let at_service = file_titled(&app, &org.front_a, "Routed to purchasing").await;
    route(&app, &org.manager_a, &at_service, &org.service_1).await;
    let at_leadership = file_titled(&app, &org.front_a, "Routed down to leadership").await;
    route(&app, &org.manager_a, &at_leadership, &org.service_1).await;
    route(&app, &org.service1, &at_leadership, &org.leadership).await;
    let of_team_b = file_titled(&app, &org.front_b, "Filed in Paris").await;
    let situations: [(&str, &String, i64); 4] = [
        ("filed by A, with A's managers", &with_managers, 1),
        ("filed by A, routed to service 1", &at_service, 2),
        ("filed by A, routed on to leadership", &at_leadership, 3),
        ("filed by B", &of_team_b, 1),
    ];

    // Who may see which, per SPEC (Lifecycle rules, Visibility).
    let roles: [(&str, &str, [bool; 4]); 8] = [
        (
            "front_a",
            org.front_a.token.as_str(),
            [true, true, true, false],
        ),
        ("manager_a", &org.manager_a.token, [true, true, true, false]),
        (
            "front_b",
            org.front_b.token.as_str(),
            [false, false, false, true],
        ),
        (
            "manager_b",
            org.manager_b.token.as_str(),
            [false, false, false, true],
        ),
        // A service sees what was ever routed to it, even after it moved on.
        (
            "service1",
            org.service1.token.as_str(),
            [false, true, true, false],
        ),
        (
            "service2",
            &org.service2.token,
            [false, false, false, false],
        ),
        (
            "leader",
            org.leader.token.as_str(),
            [true, true, true, true],
        ),
        ("admin", &org.admin, [false, false, false, false]),
    ];

    // What a request that does not exist answers, to compare hidden ones with.
    let ghost_id = Uuid::now_v7();
    let ghost_get = app
        .get(&format!("/api/v1/requests/{ghost_id}"), &org.leader.token)
        .await
        .expect_problem(404, "not_found");
    let ghost_events = app
        .get(
            &format!("/api/v1/requests/{ghost_id}/events"),
            &org.leader.token,
        )
        .await
        .expect_problem(404, "not_found");
    let ghost_comment = app
        .post(
            &format!("/api/v1/requests/{ghost_id}/comments"),
            &org.leader.token,
            json!({"body": "Anyone?", "internal": false}),
        )
        .await
        .expect_problem(404, "not_found");

    let mut wrong: Vec<String> = Vec::new();
    for (role, token, sees) in &roles {
        for ((situation, id, _), visible) in situations.iter().zip(sees) {
            let visible = *visible;
            let got = app.get(&format!("/api/v1/requests/{id}"), token).await;
            wrong.extend(judge(
                &format!("{role} GET request {situation}"),
                &got,
                visible,
                200,
                &ghost_get,
            ));
            if visible && got.status == 200 && got.body["id"] != json!(id) {
                wrong.push(format!("{role} GET request {situation}: another request"));
            }
            let events = app
                .get(&format!("/api/v1/requests/{id}/events"), token)
                .await;
            wrong.extend(judge(
                &format!("{role} GET events {situation}"),
                &events,
                visible,
                200,
                &ghost_events,
            ));
            if visible && events.status == 200 && events.body["items"][0]["type"] != "filed" {
                wrong.push(format!(
                    "{role} GET events {situation}: the timeline does not start with `filed`: {}",
                    events.body
                ));
            }
            let comment = app
                .post(
                    &format!("/api/v1/requests/{id}/comments"),
                    token,
                    json!({"body": format!("{role} was here"), "internal": false}),
                )
                .await;
            wrong.extend(judge(
                &format!("{role} POST comment {situation}"),
                &comment,
                visible,
                201,
                &ghost_comment,
            ));
        }
    }

    // The list holds exactly what the caller may see.
    for (role, token, sees) in &roles {
        let expected: BTreeSet<String> = situations
            .iter()
            .zip(sees)
            .filter(|(_, visible)| **visible)
            .map(|((_, id, _), _)| (*id).clone())
            .collect();
        let listed = list_ids(&app, token, "").await;
        if listed != expected {
            wrong.push(format!(
                "{role} GET /requests lists {listed:?}, expected {expected:?}"
            ));
        }
    }

    // Acting on a request one may not see is 404 too, whatever the action.
    let hidden_actions: [(&str, &str, &String, &str, Value); 9] = [
        (
            "manager_b",
            org.manager_b.token.as_str(),
            &with_managers,
            "acknowledge",
            json!({}),
        ),
        (
            "manager_b",
            org.manager_b.token.as_str(),
            &with_managers,
            "route",
            json!({"to_unit_id": org.service_2, "note": "Mine?"}),
        ),
        (
            "front_b",
            org.front_b.token.as_str(),
            &with_managers,
            "status",
            json!({"status": "resolved", "note": "Done"}),
        ),
        (
            "manager_b",
            org.manager_b.token.as_str(),
            &with_managers,
            "follow-up",
            json!({"customer_reached": false, "note": "x"}),
        ),
        (
            "manager_a",
            &org.manager_a.token,
            &of_team_b,
            "acknowledge",
            json!({}),
        ),
        (
            "service1",
            org.service1.token.as_str(),
            &with_managers,
            "acknowledge",
            json!({}),
        ),
        (
            "service2",
            &org.service2.token,
            &at_service,
            "acknowledge",
            json!({}),
        ),
        (
            "service2",
            &org.service2.token,
            &at_service,
            "status",
            json!({"status": "declined", "note": "No"}),
        ),
        (
            "admin",
            &org.admin,
            &with_managers,
            "acknowledge",
            json!({}),
        ),
    ];
    for (role, token, id, action, body) in hidden_actions {
        let answer = app
            .post(&format!("/api/v1/requests/{id}/{action}"), token, body)
            .await;
        if answer.status != 404 || answer.code() != "not_found" {
            wrong.push(format!(
                "{role} POST {action} on a request it cannot see: expected 404 not_found, got {} {}",
                answer.status, answer.body
            ));
        }
    }
    // Seeing a request without holding it: that one is 403.
    let visible_actions: [(&str, &str, &String); 2] = [
        ("service1", org.service1.token.as_str(), &at_leadership),
        ("manager_a", &org.manager_a.token, &at_service),
    ];
    for (role, token, id) in visible_actions {
        let answer = app
            .post(
                &format!("/api/v1/requests/{id}/acknowledge"),
                token,
                json!({}),
            )
            .await;
        if answer.status != 403 || answer.code() != "forbidden" {
            wrong.push(format!(
                "{role} acknowledges a request it sees but does not hold: expected 403 forbidden, got {} {}",
                answer.status, answer.body
            ));
        }
    }

    // Only the comments of those who may see a request were written; the
    // refused actions wrote nothing.
    for (index, (situation, id, version)) in situations.iter().enumerate() {
        let commenters = roles.iter().filter(|(_, _, sees)| sees[index]).count();
        let request = app
            .get(&format!("/api/v1/requests/{id}"), &org.leader.token)
            .await
            .expect(200);
        let expected = version + i64::try_from(commenters).unwrap();
        if request.body["version"] != json!(expected) {
            wrong.push(format!(
                "{situation}: version {} after {commenters} comments, expected {expected}",
                request.body["version"]
            ));
        }
        let events = timeline(&app, &org.leader.token, id).await;
        let comments = types(&events).iter().filter(|t| **t == "comment").count();
        if comments != commenters || i64::try_from(events.len()).unwrap() != expected {
            wrong.push(format!(
                "{situation}: timeline {:?}, expected {commenters} comments and {expected} events",
                types(&events)
            ));
        }
    }

    assert!(
        wrong.is_empty(),
        "{} visibility answers differ from SPEC:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

// ---------------------------------------------------------------- 2. pagination

/// Waits until the filer has filed more than `than` requests.
async fn wait_for_more(
    filed: &AtomicUsize,
    than: usize,
    filer: &tokio::task::JoinHandle<Vec<String>>,
) {
    let start = Instant::now();
    while filed.load(Ordering::SeqCst) <= than {
        assert!(!filer.is_finished(), "the concurrent filer stopped early");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no request was filed in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn cursor_pagination_holds_while_requests_keep_arriving(app: TestApp) {
    let org = org(&app).await;
    let mut existing: Vec<String> = Vec::new();
    for n in 0..45 {
        existing.push(file_titled(&app, &org.front_a, &format!("Before paging {n}")).await);
    }

    // Another task keeps filing for the same team while we page.
    let app = Arc::new(app);
    let filed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let filer = {
        let app = Arc::clone(&app);
        let filed = Arc::clone(&filed);
        let stop = Arc::clone(&stop);
        let who = org.manager_a.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let answer = app
                    .post("/api/v1/requests", &who.token, filing("Filed while paging"))
                    .await
                    .expect(201);
                ids.push(answer.id());
                filed.fetch_add(1, Ordering::SeqCst);
            }
            ids
        })
    };

    let mut pages: Vec<(Vec<Value>, Value)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        assert!(pages.len() < 30, "paging never ends");
        // At least one new request arrives before each page.
        wait_for_more(&filed, pages.len(), &filer).await;
        let path = match &cursor {
            None => "/api/v1/requests?limit=7".to_owned(),
            Some(c) => format!("/api/v1/requests?limit=7&cursor={}", enc(c)),
        };
        let page = app.get(&path, &org.front_a.token).await.expect(200);
        let next = page.body["next_cursor"].clone();
        pages.push((items(&page).clone(), next.clone()));
        match next.as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    stop.store(true, Ordering::SeqCst);
    let during = filer.await.expect("the concurrent filer never fails");
    assert!(during.len() >= pages.len());

    // Every page but the last is full and points on; the last says so.
    let (last, rest) = pages.split_last().unwrap();
    for (n, (page, next)) in rest.iter().enumerate() {
        assert_eq!(page.len(), 7, "page {n} is full");
        assert!(next.is_string(), "page {n} points to the next one");
    }
    assert!(last.1.is_null(), "the last page has no next_cursor");
    assert!(
        (1..=7).contains(&last.0.len()),
        "the last page is not empty: {}",
        last.0.len()
    );

    let listed: Vec<&Value> = pages.iter().flat_map(|(page, _)| page.iter()).collect();
    let ids: Vec<&str> = listed.iter().map(|r| str_of(r, "id")).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a request appears on two pages");
    for id in &existing {
        assert_eq!(
            ids.iter().filter(|listed| **listed == id.as_str()).count(),
            1,
            "request {id}, filed before paging, appears exactly once"
        );
    }
    for id in &ids {
        assert!(
            existing.iter().any(|e| e == id) || during.iter().any(|d| d == id),
            "{id} is none of the team's requests"
        );
    }
    // Newest first, across pages.
    for pair in listed.windows(2) {
        assert!(
            time_of(pair[0], "filed_at") >= time_of(pair[1], "filed_at"),
            "newest first: {} then {}",
            pair[0]["filed_at"],
            pair[1]["filed_at"]
        );
        assert_ne!(pair[0]["id"], pair[1]["id"]);
    }
    let oldest = listed.last().unwrap();
    assert_eq!(oldest["id"], json!(existing[0]), "the oldest comes last");

    // A list of exactly two pages ends on the second one.
    for n in 0..14 {
        file_titled(&app, &org.front_b, &format!("Paris {n}")).await;
    }
    let first = app
        .get("/api/v1/requests?limit=7", &org.manager_b.token)
        .await
        .expect(200);
    assert_eq!(items(&first).len(), 7);
    let cursor = str_of(&first.body, "next_cursor").to_owned();
    let second = app
        .get(
            &format!("/api/v1/requests?limit=7&cursor={}", enc(&cursor)),
            &org.manager_b.token,
        )
        .await
        .expect(200);
    assert_eq!(items(&second).len(), 7);
    assert!(
        second.body["next_cursor"].is_null(),
        "a full last page has no next_cursor: {}",
        second.body["next_cursor"]
    );
}

async fn timeline_pages_oldest_first(app: TestApp) {
    let org = org(&app).await;
    let id = file_titled(&app, &org.front_a, "A much discussed request").await;
    let writers = [&org.front_a, &org.manager_a, &org.leader];
    for n in 1..=7 {
        app.post(
            &format!("/api/v1/requests/{id}/comments"),
            &writers[n % writers.len()].token,
            json!({"body": format!("Comment {n}"), "internal": n % 2 == 0}),
        )
        .await
        .expect(201);
    }

    let mut pages: Vec<Resp> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        assert!(pages.len() < 10, "paging never ends");
        let path = match &cursor {
            None => format!("/api/v1/requests/{id}/events?limit=2"),
            Some(c) => format!("/api/v1/requests/{id}/events?limit=2&cursor={}", enc(c)),
        };
        let page = app.get(&path, &org.front_a.token).await.expect(200);
        let next = page.body["next_cursor"].as_str().map(str::to_owned);
        pages.push(page);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    // Eight events (filed, seven comments) in four full pages, no empty fifth.
    let sizes: Vec<usize> = pages.iter().map(|p| items(p).len()).collect();
    assert_eq!(sizes, [2, 2, 2, 2]);
    let events: Vec<Value> = pages.iter().flat_map(|p| items(p).clone()).collect();
    let mut expected_types = vec!["filed"];
    expected_types.extend(["comment"; 7]);
    assert_eq!(types(&events), expected_types);
    let notes: Vec<&str> = events[1..].iter().map(|e| str_of(e, "note")).collect();
    let expected_notes: Vec<String> = (1..=7).map(|n| format!("Comment {n}")).collect();
    assert_eq!(notes, expected_notes, "oldest first");
    for pair in events.windows(2) {
        assert!(time_of(&pair[0], "at") <= time_of(&pair[1], "at"));
        assert_ne!(pair[0]["id"], pair[1]["id"]);
    }
    for event in &events {
        assert_eq!(event["request_id"], json!(id));
    }
    // Pages put together are the whole timeline.
    assert_eq!(events, timeline(&app, &org.front_a.token, &id).await);
}

// ---------------------------------------------------------------- 3. filters

async fn list_filters_narrow_what_the_caller_sees(app: TestApp) {
    let org = org(&app).await;
    let mut filed: Vec<Value> = Vec::new();
    for (who, body) in [
        (
            &org.front_a,
            shaped("improvement", "product", "low", "Blue scarf in merino wool"),
        ),
        (
            &org.front_a,
            shaped("need", "price", "critical", "Price tag mismatch on shelf"),
        ),
        (
            &org.manager_a,
            shaped("idea", "service", "normal", "Open earlier on Sundays"),
        ),
        (
            &org.front_a,
            shaped("praise", "staff", "high", "Lovely fitting-room staff"),
        ),
        (
            &org.front_a,
            shaped("unmet_need", "availability", "high", "Trousers in size 44"),
        ),
        (
            &org.front_b,
            shaped("improvement", "product", "low", "Red scarf for winter"),
        ),
    ] {
        filed.push(file_body(&app, who, body).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let id = |n: usize| str_of(&filed[n - 1], "id").to_owned();
    let (r1, r2, r3, r4, r5, r6) = (id(1), id(2), id(3), id(4), id(5), id(6));
    assert_eq!(filed[2]["reference"], "UP-000003");

    // r2: acknowledged by manager_a (so assigned to them).
    let acked = app
        .post(
            &format!("/api/v1/requests/{r2}/acknowledge"),
            &org.manager_a.token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(acked.body["assignee_id"], json!(org.manager_a.id));
    // r4: resolved at the front line.
    app.post(
        &format!("/api/v1/requests/{r4}/status"),
        &org.front_a.token,
        json!({"status": "resolved", "note": "Told the team"}),
    )
    .await
    .expect(200);
    // r5: routed to service 1, which acknowledges it.
    route(&app, &org.manager_a, &r5, &org.service_1).await;
    app.post(
        &format!("/api/v1/requests/{r5}/acknowledge"),
        &org.service1.token,
        json!({}),
    )
    .await
    .expect(200);
    // Now: r1 new/manager, r2 acknowledged/manager, r3 new/manager,
    // r4 resolved/frontline, r5 acknowledged/service, r6 new/manager (team B).

    let between = |a: usize, b: usize| -> DateTime<Utc> {
        let t1 = time_of(&filed[a - 1], "filed_at").with_timezone(&Utc);
        let t2 = time_of(&filed[b - 1], "filed_at").with_timezone(&Utc);
        assert!(t1 < t2, "filings are apart in time");
        t1 + (t2 - t1) / 2
    };
    let rfc = |t: DateTime<Utc>| enc(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    let paris = FixedOffset::east_opt(2 * 3600).unwrap();
    let mid12 = between(1, 2);
    let mid23 = between(2, 3);
    let mid45 = between(4, 5);
    let mid56 = between(5, 6);

    let a: &str = &org.manager_a.token;
    let reference_3 = str_of(&filed[2], "reference").to_owned();
    let reference_6 = str_of(&filed[5], "reference").to_owned();
    let cases: Vec<(&str, &str, String, BTreeSet<String>)> = vec![
        (
            "manager_a",
            a,
            String::new(),
            set(&[&r1, &r2, &r3, &r4, &r5]),
        ),
        // status
        ("manager_a", a, "status=new".into(), set(&[&r1, &r3])),
        (
            "manager_a",
            a,
            "status=acknowledged".into(),
            set(&[&r2, &r5]),
        ),
        (
            "manager_a",
            a,
            "status=new,resolved".into(),
            set(&[&r1, &r3, &r4]),
        ),
        ("manager_a", a, "status=closed".into(), set(&[])),
        // level
        (
            "manager_a",
            a,
            "level=manager".into(),
            set(&[&r1, &r2, &r3]),
        ),
        ("manager_a", a, "level=service".into(), set(&[&r5])),
        (
            "manager_a",
            a,
            "level=frontline,service".into(),
            set(&[&r4, &r5]),
        ),
        // kind
        ("manager_a", a, "kind=idea".into(), set(&[&r3])),
        (
            "manager_a",
            a,
            "kind=improvement,praise".into(),
            set(&[&r1, &r4]),
        ),
        // urgency
        ("manager_a", a, "urgency=critical".into(), set(&[&r2])),
        (
            "manager_a",
            a,
            "urgency=low,high".into(),
            set(&[&r1, &r4, &r5]),
        ),
        // category
        ("manager_a", a, "category=product".into(), set(&[&r1])),
        (
            "manager_a",
            a,
            "category=price,staff".into(),
            set(&[&r2, &r4]),
        ),
        ("manager_a", a, "category=availability".into(), set(&[&r5])),
        // mine
        (
            "front_a",
            org.front_a.token.as_str(),
            "mine=true".into(),
            set(&[&r1, &r2, &r4, &r5]),
        ),
        ("manager_a", a, "mine=true".into(), set(&[&r3])),
        (
            "front_b",
            org.front_b.token.as_str(),
            "mine=true".into(),
            set(&[&r6]),
        ),
        (
            "leader",
            org.leader.token.as_str(),
            "mine=true".into(),
            set(&[]),
        ),
        // assigned_to_me: acknowledging assigns to the acknowledger.
        ("manager_a", a, "assigned_to_me=true".into(), set(&[&r2])),
        (
            "service1",
            org.service1.token.as_str(),
            "assigned_to_me=true".into(),
            set(&[&r5]),
        ),
        (
            "front_a",
            org.front_a.token.as_str(),
            "assigned_to_me=true".into(),
            set(&[]),
        ),
        // q: a word of the title, any case, or a reference.
        ("manager_a", a, "q=scarf".into(), set(&[&r1])),
        ("manager_a", a, "q=SCARF".into(), set(&[&r1])),
        ("manager_a", a, "q=Merino".into(), set(&[&r1])),
        ("manager_a", a, "q=sundays".into(), set(&[&r3])),
        (
            "manager_a",
            a,
            format!("q={}", enc("FITTING-ROOM")),
            set(&[&r4]),
        ),
        (
            "leader",
            org.leader.token.as_str(),
            "q=scarf".into(),
            set(&[&r1, &r6]),
        ),
        (
            "manager_a",
            a,
            format!("q={}", enc(&reference_3)),
            set(&[&r3]),
        ),
        (
            "leader",
            org.leader.token.as_str(),
            format!("q={}", enc(&reference_3)),
            set(&[&r3]),
        ),
        // Another team's reference finds nothing: no leak through q.
        ("manager_a", a, format!("q={}", enc(&reference_6)), set(&[])),
        ("manager_a", a, "q=zebra".into(), set(&[])),
        // filed_after / filed_before
        (
            "manager_a",
            a,
            format!("filed_after={}", rfc(mid23)),
            set(&[&r3, &r4, &r5]),
        ),
        (
            "manager_a",
            a,
            format!("filed_before={}", rfc(mid23)),
            set(&[&r1, &r2]),
        ),
        (
            "manager_a",
            a,
            format!("filed_after={}&filed_before={}", rfc(mid12), rfc(mid45)),
            set(&[&r2, &r3, &r4]),
        ),
        (
            "leader",
            &org.leader.token,
            format!(
                "filed_after={}",
                enc(&mid56
                    .with_timezone(&paris)
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, false))
            ),
            set(&[&r6]),
        ),
        // unit_id: the unit holding the request.
        (
            "manager_a",
            a,
            format!("unit_id={}", org.service_1),
            set(&[&r5]),
        ),
        (
            "manager_a",
            a,
            format!("unit_id={}", org.team_a),
            set(&[&r1, &r2, &r3, &r4]),
        ),
        ("manager_a", a, format!("unit_id={}", org.team_b), set(&[])),
        (
            "leader",
            org.leader.token.as_str(),
            format!("unit_id={}", org.team_b),
            set(&[&r6]),
        ),
        // Filters combine, and never widen what the caller may see.
        (
            "manager_a",
            a,
            "status=new&kind=improvement,idea".into(),
            set(&[&r1, &r3]),
        ),
        (
            "leader",
            org.leader.token.as_str(),
            "category=product&urgency=low".into(),
            set(&[&r1, &r6]),
        ),
        (
            "manager_b",
            org.manager_b.token.as_str(),
            "category=product,price".into(),
            set(&[&r6]),
        ),
        (
            "service1",
            org.service1.token.as_str(),
            String::new(),
            set(&[&r5]),
        ),
        (
            "service1",
            org.service1.token.as_str(),
            "status=new".into(),
            set(&[]),
        ),
        ("admin", org.admin.as_str(), "status=new".into(), set(&[])),
    ];
    let mut wrong = Vec::new();
    for (who, token, query, expected) in &cases {
        let listed = list_ids(&app, token, query).await;
        if &listed != expected {
            let name = |id: &String| {
                filed
                    .iter()
                    .position(|r| r["id"] == json!(id))
                    .map_or_else(|| id.clone(), |n| format!("r{}", n + 1))
            };
            wrong.push(format!(
                "{who} ?{query}: got {:?}, expected {:?}",
                listed.iter().map(name).collect::<Vec<_>>(),
                expected.iter().map(name).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} filters answer differently from SPEC:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // A filter value that means nothing is a validation failure on that field.
    for (query, field) in [
        ("status=bogus", "status"),
        ("level=basement", "level"),
        ("filed_after=yesterday", "filed_after"),
    ] {
        let answer = app
            .get(&format!("/api/v1/requests?{query}"), a)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(answer.body["errors"][0]["field"], field, "{query}");
    }
}

/// `q` ignores case in every letter, not only ASCII: the organisation
/// writes French ("Écharpe", "Été").
async fn search_ignores_case_beyond_ascii(app: TestApp) {
    let org = org(&app).await;
    let scarf = file_body(
        &app,
        &org.front_a,
        shaped("need", "product", "normal", "Écharpe rouge en laine"),
    )
    .await;
    let scarf = set(&[&str_of(&scarf, "id").to_owned()]);
    let mut wrong = Vec::new();
    for q in ["écharpe", "ÉCHARPE", "Écharpe", "rouge"] {
        let listed = list_ids(&app, &org.manager_a.token, &format!("q={}", enc(q))).await;
        if listed != scarf {
            wrong.push(q);
        }
    }
    assert!(
        wrong.is_empty(),
        "q={wrong:?} do not find the title \"Écharpe rouge en laine\""
    );
}

// ---------------------------------------------------------------- 4. concurrency

/// The answers' statuses and codes, for failure messages.
fn summary(answers: &[Resp]) -> Vec<String> {
    answers
        .iter()
        .map(|a| format!("{} {}", a.status, a.code()))
        .collect()
}

async fn racing_commands_apply_once_each(app: TestApp) {
    let org = org(&app).await;
    let id = file_titled(&app, &org.front_a, "Everybody wants this one").await;
    let one = format!("/api/v1/requests/{id}");
    let (acknowledge, status, comment) = (
        format!("{one}/acknowledge"),
        format!("{one}/status"),
        format!("{one}/comments"),
    );

    // 20 acknowledgements with the same If-Match: exactly one wins.
    let acks = join_all((0..20).map(|_| {
        app.post_with(
            &acknowledge,
            &org.manager_a.token,
            &[("If-Match", "\"1\"")],
            json!({}),
        )
    }))
    .await;
    let won = acks.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        won,
        1,
        "exactly one acknowledgement wins: {:?}",
        summary(&acks)
    );
    for answer in acks.iter().filter(|a| a.status != 200) {
        assert!(
            matches!(
                (answer.status, answer.code()),
                (412, "precondition_failed")
                    | (422, "invalid_transition")
                    | (409, "version_conflict")
            ),
            "a losing acknowledgement answers 412/422/409: {:?}",
            summary(&acks)
        );
    }
    let request = app.get(&one, &org.manager_a.token).await.expect(200);
    assert_eq!(request.body["version"], 2);
    assert_eq!(request.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(request.body["status"], "acknowledged");
    assert_eq!(request.body["assignee_id"], json!(org.manager_a.id));
    let events = timeline(&app, &org.manager_a.token, &id).await;
    assert_eq!(types(&events), ["filed", "acknowledged"]);

    // 20 starts with the same body version: exactly one wins.
    let starts = join_all((0..20).map(|_| {
        app.post(
            &status,
            &org.manager_a.token,
            json!({"status": "in_progress", "version": 2}),
        )
    }))
    .await;
    let won = starts.iter().filter(|a| a.status == 200).count();
    assert_eq!(won, 1, "exactly one start wins: {:?}", summary(&starts));
    for answer in starts.iter().filter(|a| a.status != 200) {
        assert!(
            matches!(
                (answer.status, answer.code()),
                (409, "version_conflict") | (422, "invalid_transition")
            ),
            "a losing start answers 409/422: {:?}",
            summary(&starts)
        );
    }
    let request = app.get(&one, &org.manager_a.token).await.expect(200);
    assert_eq!(request.body["version"], 3);
    assert_eq!(request.body["status"], "in_progress");
    let events = timeline(&app, &org.manager_a.token, &id).await;
    assert_eq!(types(&events), ["filed", "acknowledged", "status_changed"]);

    // 20 comments without a version: all accepted, one event and one
    // version each.
    let writers = [&org.front_a, &org.manager_a, &org.leader];
    let comments = join_all((0..20).map(|n| {
        app.post(
            &comment,
            &writers[n % writers.len()].token,
            json!({"body": format!("Me too, {n}"), "internal": false}),
        )
    }))
    .await;
    let accepted: Vec<usize> = (0..20).filter(|n| comments[*n].status == 201).collect();
    // Whatever was accepted wrote one event and one version, and nothing else did.
    let request = app.get(&one, &org.manager_a.token).await.expect(200);
    let events = timeline(&app, &org.manager_a.token, &id).await;
    let mut bodies: Vec<&str> = events[3..].iter().map(|e| str_of(e, "note")).collect();
    bodies.sort_unstable();
    let mut written: Vec<String> = accepted.iter().map(|n| format!("Me too, {n}")).collect();
    written.sort_unstable();
    assert_eq!(bodies, written, "exactly the accepted comments, once each");
    assert_eq!(
        request.body["version"],
        json!(3 + accepted.len()),
        "one version per accepted comment"
    );
    assert_eq!(
        events.len(),
        3 + accepted.len(),
        "one event per accepted command"
    );
    // A comment carries no version: none may be refused for a race it did
    // not ask to be checked for.
    assert_eq!(
        accepted.len(),
        20,
        "every comment is accepted: {:?}",
        summary(&comments)
    );
    assert_eq!(request.body["version"], 23);
    assert_eq!(
        types(&events).iter().filter(|t| **t == "comment").count(),
        20
    );
}

/// The admin's lists and leadership's webhooks, two at a time: every item
/// once, in the order of the one-page answer, no empty last page.
async fn units_members_and_webhooks_page_through_by_cursor(app: TestApp) {
    // Arrange: the test organisation's six units and eight members, and
    // five webhooks.
    let org = org(&app).await;
    for n in 0..5 {
        app.post(
            "/api/v1/webhooks",
            &org.leader.token,
            json!({"url": format!("http://127.0.0.1:9/hook-{n}"), "events": ["filed"]}),
        )
        .await
        .expect(201);
    }

    for (path, token) in [
        ("/api/v1/units", &org.admin),
        ("/api/v1/members", &org.admin),
        ("/api/v1/webhooks", &org.leader.token),
    ] {
        // Act
        let whole = app.pages(path, token, 200).await;
        let pages = app.pages(path, token, 2).await;

        // Assert
        assert_eq!(whole.len(), 1, "{path}: one page of 200");
        let ids = |items: &[Value]| -> Vec<String> {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let all = ids(&whole[0]);
        assert!(all.len() >= 5, "{path}: {all:?}");
        let paged: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
        assert_eq!(paged, all, "{path}: same items, same order");
        let (last, full) = pages.split_last().unwrap();
        assert!(full.iter().all(|p| p.len() == 2), "{path}: full pages");
        assert!((1..=2).contains(&last.len()), "{path}: no empty last page");
    }
}
