//! The team pulse through the real HTTP server, on both backends: answering
//! once per ISO week (`GET /pulse/current`, `POST /pulse/responses`), who
//! may answer and read, validation, and the engagement results
//! (`GET /metrics/engagement`) with the k-anonymity attacks the rules exist
//! for: a small unit alone, a small unit beside one larger sibling (total −
//! sibling), two weeks one answer apart and ranges other than one whole
//! week, and a `unit_id` filter that must not compute anything new. Also:
//! what the database holds (no member beside an answer, nothing that pairs
//! the two tables), `UPTURN_PULSE_MIN_GROUP` below 3 refused at start-up
//! and 3 honoured, and customer outcomes beside hidden figures.
//!
//! The store clock is stopped inside ISO week 2026-W47 (Monday 16 to Sunday
//! 22 November 2026), whose results are released on 23 November at 01:00 UTC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use common::{Backend, Member, Resp, TestApp, org};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(
    a_member_answers_once_per_week,
    each_bad_field_is_named,
    who_may_answer_and_who_may_read,
    answers_are_stored_apart_from_the_member,
    concurrent_answers_count_once_each,
    a_week_is_released_an_hour_after_it_ends,
    attack_a_small_unit_alone,
    attack_a_small_unit_and_a_larger_sibling,
    attack_two_weeks_one_answer_apart,
    attack_a_unit_filter_computes_nothing_new,
    comments_are_sorted_and_shown_only_with_figures,
    outcomes_show_beside_hidden_figures,
    the_openapi_document_describes_the_pulse,
);

on_both_backends!(with |settings| settings.pulse_min_group = 3; a_minimum_group_of_three_is_honoured);

/// Start-up itself must fail: no server is spawned.
mod a_minimum_group_below_three_is_refused {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_minimum_group_below_three_is_refused(crate::common::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(upturn_postgres),
        ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
    )]
    async fn postgres() {
        super::a_minimum_group_below_three_is_refused(crate::common::Backend::Postgres).await;
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const W: &str = "2026-W47";
const W_NEXT: &str = "2026-W48";
const MIN: u64 = 5;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A Wednesday inside W.
fn inside_w() -> DateTime<Utc> {
    at("2026-11-18T10:00:00Z")
}

/// W is released (and W_NEXT under way).
fn after_w() -> DateTime<Utc> {
    at("2026-11-24T09:00:00Z")
}

/// W_NEXT is released too.
fn after_w_next() -> DateTime<Utc> {
    at("2026-12-01T09:00:00Z")
}

async fn answer(app: &TestApp, who: &Member, h: i64, p: i64, e: i64) -> Resp {
    app.post(
        "/api/v1/pulse/responses",
        &who.token,
        json!({"happiness": h, "pleasure": p, "engagement": e}),
    )
    .await
}

async fn answer_with(app: &TestApp, who: &Member, body: Value) -> Resp {
    app.post("/api/v1/pulse/responses", &who.token, body).await
}

async fn current(app: &TestApp, who: &Member) -> Resp {
    app.get("/api/v1/pulse/current", &who.token).await
}

async fn engagement(app: &TestApp, token: &str, query: &str) -> Resp {
    app.get(&format!("/api/v1/metrics/engagement{query}"), token)
        .await
}

/// `n` new members of `unit` with `role`, named after `tag`.
async fn crew(
    app: &TestApp,
    admin: &str,
    unit: &str,
    role: &str,
    tag: &str,
    n: usize,
) -> Vec<Member> {
    let mut members = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("{tag}.{i}@test.upturn");
        members.push(app.member(admin, &email, role, unit).await);
    }
    members
}

/// Each of `who` answers once, all with the same scores.
async fn all_answer(app: &TestApp, who: &[Member], h: i64, p: i64, e: i64) {
    for member in who {
        answer(app, member, h, p, e).await.expect(201);
    }
}

/// The item of `unit` in an engagement answer.
fn item<'a>(body: &'a Value, unit: &str) -> &'a Value {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["unit_id"] == unit)
        .unwrap_or_else(|| panic!("no item for {unit}: {body:#}"))
}

#[track_caller]
fn assert_hidden(item: &Value) {
    for figure in ["answers", "happiness", "pleasure", "engagement"] {
        assert!(item[figure].is_null(), "{figure} shown: {item:#}");
    }
    assert_eq!(item["comments"], json!([]), "{item:#}");
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The attacker's view: every group one can compute by subtracting shown
/// units from the total must be empty or hold at least `min` answers, and
/// every shown unit must hold at least `min`.
#[track_caller]
fn assert_no_small_group_by_subtraction(body: &Value, min: u64) {
    let shown: Vec<u64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["answers"].as_u64())
        .collect();
    for n in &shown {
        assert!(*n >= min, "a shown unit has {n} answers: {body:#}");
    }
    let Some(total) = body["total"]["answers"].as_u64() else {
        assert!(body["total"].is_null());
        return;
    };
    assert!(total >= min, "the total has {total} answers");
    assert!(shown.len() < 16, "too many units to try every subset");
    for mask in 0u32..(1 << shown.len()) {
        let taken: u64 = shown
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| n)
            .sum();
        let rest = total - taken;
        assert!(
            rest == 0 || rest >= min,
            "total {total} minus shown units {taken} leaves a group of {rest}: {body:#}"
        );
    }
}

/// A separate connection to the test's database, for what the API never shows.
async fn database(app: &TestApp) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(&app.database_url).await.unwrap()
}

fn sql(app: &TestApp, text: &str) -> Statement {
    let backend = match app.backend {
        Backend::Sqlite => DatabaseBackend::Sqlite,
        Backend::Postgres => DatabaseBackend::Postgres,
    };
    Statement::from_string(backend, text.to_owned())
}

async fn strings(db: &sea_orm::DatabaseConnection, statement: Statement) -> Vec<String> {
    db.query_all_raw(statement)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn columns(app: &TestApp, db: &sea_orm::DatabaseConnection, table: &str) -> BTreeSet<String> {
    let query = match app.backend {
        Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
        Backend::Postgres => format!(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = '{table}'"
        ),
    };
    strings(db, sql(app, &query)).await.into_iter().collect()
}

// ---------------------------------------------------------------------------
// Answering
// ---------------------------------------------------------------------------

async fn a_member_answers_once_per_week(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    app.store.clock().set(inside_w());

    // Act & Assert: not answered yet, then answered, then refused.
    let before = current(&app, &org.front_a).await.expect(200);
    assert_eq!(before.body, json!({"period": W, "answered": false}));

    let answered = answer(&app, &org.front_a, 4, 3, 5).await.expect(201);
    assert_eq!(
        answered.header("location").as_deref(),
        Some("/api/v1/pulse/current")
    );
    assert_eq!(answered.body, json!({"period": W, "answered": true}));
    let after = current(&app, &org.front_a).await.expect(200);
    assert_eq!(after.body, json!({"period": W, "answered": true}));

    let again = answer(&app, &org.front_a, 1, 1, 1).await;
    let again = again.expect_problem(409, "already_answered");
    assert!(
        again.body["detail"].as_str().unwrap().contains("already"),
        "{:#}",
        again.body
    );
    // Another member of the same team is not affected.
    let other = current(&app, &org.manager_a).await.expect(200);
    assert_eq!(other.body["answered"], false);

    // The last second of Sunday is still W; an Idempotency-Key changes
    // nothing (it is not honoured here: a retry is simply a second answer).
    app.store.clock().set(at("2026-11-22T23:59:59Z"));
    app.post_with(
        "/api/v1/pulse/responses",
        &org.front_a.token,
        &[("Idempotency-Key", "retry-1")],
        json!({"happiness": 4, "pleasure": 3, "engagement": 5}),
    )
    .await
    .expect_problem(409, "already_answered");

    // Monday 00:00 UTC is the next week: a fresh answer, in that week.
    app.store.clock().set(at("2026-11-23T00:00:00Z"));
    let next = current(&app, &org.front_a).await.expect(200);
    assert_eq!(next.body, json!({"period": W_NEXT, "answered": false}));
    let next = answer(&app, &org.front_a, 2, 2, 2).await.expect(201);
    assert_eq!(next.body, json!({"period": W_NEXT, "answered": true}));
    answer(&app, &org.front_a, 2, 2, 2)
        .await
        .expect_problem(409, "already_answered");
}

async fn each_bad_field_is_named(app: TestApp) {
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let valid = json!({"happiness": 3, "pleasure": 3, "engagement": 3});

    for field in ["happiness", "pleasure", "engagement"] {
        for bad in [
            json!(0),
            json!(6),
            json!(-1),
            json!(2.5),
            json!("4"),
            Value::Null,
        ] {
            let mut body = valid.clone();
            body[field] = bad.clone();
            let refused = answer_with(&app, &org.front_a, body)
                .await
                .expect_problem(422, "validation_failed");
            let fields: Vec<&str> = refused.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert_eq!(fields, vec![field], "{field} = {bad}: {:#}", refused.body);
        }
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        let refused = answer_with(&app, &org.front_a, body)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], field);
    }

    // Every score out of range is reported at once.
    let refused = answer(&app, &org.front_a, 0, 9, 6)
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["happiness", "pleasure", "engagement"]);
    assert_eq!(
        refused.body["errors"][0]["message"],
        "must be between 1 and 5"
    );

    // A comment over 1,000 characters (after trimming), with the scores wrong too.
    let long = format!("  {}  ", "é".repeat(1_001));
    let refused = answer_with(
        &app,
        &org.front_a,
        json!({"happiness": 7, "pleasure": 3, "engagement": 3, "comment": long}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["happiness", "comment"]);
    answer_with(
        &app,
        &org.front_a,
        json!({"happiness": 3, "pleasure": 3, "engagement": 3, "comment": 12}),
    )
    .await
    .expect_problem(422, "validation_failed");
    answer_with(
        &app,
        &org.front_a,
        json!({"happiness": 3, "pleasure": 3, "engagement": 3, "comment": "a\u{0007}b"}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // Not JSON, or not even a body.
    let raw = app
        .client
        .post(app.url("/api/v1/pulse/responses"))
        .bearer_auth(&org.front_a.token)
        .header("content-type", "application/json")
        .body("{\"happiness\": 3,")
        .send()
        .await
        .unwrap();
    common::read(raw)
        .await
        .expect_problem(400, "malformed_json");
    let raw = app
        .client
        .post(app.url("/api/v1/pulse/responses"))
        .bearer_auth(&org.front_a.token)
        .body("happiness=3")
        .send()
        .await
        .unwrap();
    common::read(raw)
        .await
        .expect_problem(415, "unsupported_media_type");

    // Nothing was stored by any refused answer; exactly 1,000 characters is fine.
    let now = current(&app, &org.front_a).await.expect(200);
    assert_eq!(now.body["answered"], false);
    answer_with(
        &app,
        &org.front_a,
        json!({"happiness": 3, "pleasure": 3, "engagement": 3, "comment": "é".repeat(1_000)}),
    )
    .await
    .expect(201);
}

async fn who_may_answer_and_who_may_read(app: TestApp) {
    let org = org(&app).await;
    app.store.clock().set(inside_w());

    // Every member of a unit answers: front line, manager, service, leader.
    for member in [&org.front_b, &org.manager_b, &org.service1, &org.leader] {
        answer(&app, member, 3, 4, 5).await.expect(201);
    }

    // An admin belongs to no unit: no pulse to answer.
    app.get("/api/v1/pulse/current", &org.admin)
        .await
        .expect_problem(403, "forbidden");
    app.post(
        "/api/v1/pulse/responses",
        &org.admin,
        json!({"happiness": 3, "pleasure": 3, "engagement": 3}),
    )
    .await
    .expect_problem(403, "forbidden");

    // The results are leadership's alone.
    app.store.clock().set(after_w());
    for token in [
        &org.front_a.token,
        &org.manager_a.token,
        &org.service1.token,
        &org.admin,
    ] {
        engagement(&app, token, "")
            .await
            .expect_problem(403, "forbidden");
        engagement(&app, token, &format!("?period={W}"))
            .await
            .expect_problem(403, "forbidden");
    }
    engagement(&app, &org.leader.token, "").await.expect(200);

    // Nobody anonymous.
    for response in [
        app.get_public("/api/v1/pulse/current").await,
        app.get_public("/api/v1/metrics/engagement").await,
        common::read(
            app.client
                .post(app.url("/api/v1/pulse/responses"))
                .json(&json!({"happiness": 3, "pleasure": 3, "engagement": 3}))
                .send()
                .await
                .unwrap(),
        )
        .await,
    ] {
        response.expect_problem(401, "unauthenticated");
    }
}

async fn answers_are_stored_apart_from_the_member(app: TestApp) {
    // Arrange: seven members of team A answer, each with a comment.
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let mut team = crew(&app, &org.admin, &org.team_a, "frontline", "a", 5).await;
    team.push(org.front_a.clone());
    team.push(org.manager_a.clone());
    let mut bodies = Vec::new();
    for (i, member) in team.iter().enumerate() {
        let i = i64::try_from(i).unwrap();
        let response = answer_with(
            &app,
            member,
            json!({"happiness": 1 + i % 5, "pleasure": 5 - i % 5, "engagement": 3, "comment": format!("note {i}")}),
        )
        .await
        .expect(201);
        bodies.push(response.body.to_string());
        bodies.push(current(&app, member).await.expect(200).body.to_string());
    }
    let member_ids: Vec<String> = team.iter().map(|m| m.id.clone()).collect();

    // Assert, in the database: the answer table has no member column and
    // holds no member id; participation holds nothing but member and week.
    let db = database(&app).await;
    let answer_columns = columns(&app, &db, "pulse_answers").await;
    let expected: BTreeSet<String> = [
        "id",
        "unit_id",
        "period",
        "happiness",
        "pleasure",
        "engagement",
        "comment",
    ]
    .map(str::to_owned)
    .into_iter()
    .collect();
    assert_eq!(answer_columns, expected);
    let participation_columns = columns(&app, &db, "pulse_participation").await;
    let expected: BTreeSet<String> = ["member_id", "period"]
        .map(str::to_owned)
        .into_iter()
        .collect();
    assert_eq!(participation_columns, expected);

    let rows = db
        .query_all_raw(sql(
            &app,
            "SELECT id, unit_id, period, comment FROM pulse_answers",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), team.len());
    let mut stored_ids = Vec::new();
    for row in &rows {
        let id: Uuid = row.try_get("", "id").unwrap();
        let unit: Uuid = row.try_get("", "unit_id").unwrap();
        let period: String = row.try_get("", "period").unwrap();
        assert_eq!(
            id.get_version_num(),
            4,
            "answer ids are random, not time-ordered"
        );
        assert_eq!(unit.to_string(), org.team_a);
        assert_eq!(period, W);
        assert!(!member_ids.contains(&id.to_string()));
        stored_ids.push(id);
    }
    let participants: Vec<Uuid> = db
        .query_all_raw(sql(&app, "SELECT member_id FROM pulse_participation"))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "member_id").unwrap())
        .collect();
    let mut participants: Vec<String> = participants.iter().map(Uuid::to_string).collect();
    participants.sort();
    let mut expected_members = member_ids.clone();
    expected_members.sort();
    assert_eq!(participants, expected_members);

    // Nothing in storage order pairs an answer with a participation: the
    // answers are kept in the order of their random ids.
    let mut sorted = stored_ids.clone();
    sorted.sort();
    match app.backend {
        Backend::Sqlite => {
            let tables = strings(
                &db,
                sql(
                    &app,
                    "SELECT sql FROM sqlite_master WHERE name IN ('pulse_answers', 'pulse_participation')",
                ),
            )
            .await;
            assert_eq!(tables.len(), 2);
            for table in tables {
                assert!(table.ends_with("WITHOUT ROWID"), "{table}");
            }
            assert_eq!(stored_ids, sorted, "a plain scan follows the random ids");
        }
        Backend::Postgres => {
            let by_position: Vec<Uuid> = db
                .query_all_raw(sql(&app, "SELECT id FROM pulse_answers ORDER BY ctid"))
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get("", "id").unwrap())
                .collect();
            assert_eq!(by_position, sorted, "the heap follows the random ids");
            // The transaction id every row carries: the unit's answers all
            // share the latest one, so it pairs no answer with a member.
            let answer_xids: BTreeSet<String> =
                strings(&db, sql(&app, "SELECT xmin::text FROM pulse_answers"))
                    .await
                    .into_iter()
                    .collect();
            assert_eq!(answer_xids.len(), 1, "{answer_xids:?}");
            let participation_xids =
                strings(&db, sql(&app, "SELECT xmin::text FROM pulse_participation")).await;
            let sharing = participation_xids
                .iter()
                .filter(|x| answer_xids.contains(*x))
                .count();
            assert_eq!(sharing, 1, "only the latest participant shares it");
        }
    }
    db.close().await.unwrap();

    // Through the API: no answer names a member.
    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, &format!("?period={W}"))
        .await
        .expect(200);
    assert_eq!(item(&results.body, &org.team_a)["answers"], 7);
    bodies.push(results.body.to_string());
    for body in &bodies {
        for id in &member_ids {
            assert!(!body.contains(id.as_str()), "{body} names {id}");
        }
    }
}

async fn concurrent_answers_count_once_each(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let team = crew(&app, &org.admin, &org.team_b, "frontline", "b", 8).await;

    // Act: the whole team at once, and one member twice at once.
    let mut calls = Vec::new();
    for member in &team {
        calls.push(answer(&app, member, 4, 4, 4));
    }
    calls.push(answer(&app, &team[0], 1, 1, 1));
    let answers = futures_util::future::join_all(calls).await;

    // Assert: eight answers stored, the double one refused.
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [vec![201; 8], vec![409]].concat());
    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, "").await.expect(200);
    assert_eq!(results.body["period"], W);
    let team_b = item(&results.body, &org.team_b);
    assert_eq!(team_b["answers"], 8);
    let h = team_b["happiness"].as_f64().unwrap();
    // The refused answer (1, 1, 1) may have been either of the member's two.
    assert!(close(h, 4.0) || close(h, 29.0 / 8.0), "{team_b:#}");
}

// ---------------------------------------------------------------------------
// Releasing results
// ---------------------------------------------------------------------------

async fn a_week_is_released_an_hour_after_it_ends(app: TestApp) {
    let org = org(&app).await;
    let leader = &org.leader.token;
    app.store.clock().set(inside_w());
    let team = crew(&app, &org.admin, &org.team_a, "frontline", "a", 5).await;
    all_answer(&app, &team, 4, 4, 4).await;

    // During the week: nothing of it; the default is the last released week.
    let refused = engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "period");
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("2026-11-23 01:00:00"), "{message}");
    let default = engagement(&app, leader, "").await.expect(200);
    assert_eq!(default.body["period"], "2026-W46");
    assert_eq!(default.body["min_group"], MIN);
    assert_eq!(item(&default.body, &org.team_a)["answers"], Value::Null);

    // Over, but within the hour: still nothing. An answer now joins the next week.
    app.store.clock().set(at("2026-11-23T00:59:59Z"));
    engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect_problem(422, "validation_failed");
    let default = engagement(&app, leader, "").await.expect(200);
    assert_eq!(default.body["period"], "2026-W46");
    let late = answer(&app, &org.front_a, 1, 1, 1).await.expect(201);
    assert_eq!(late.body["period"], W_NEXT);

    // One hour after the end: released, and the default.
    app.store.clock().set(at("2026-11-23T01:00:00Z"));
    let released = engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect(200);
    assert_eq!(item(&released.body, &org.team_a)["answers"], 5);
    let default = engagement(&app, leader, "").await.expect(200);
    assert_eq!(default.body, released.body);

    // The current week, a future week and the week of the answer above: not yet.
    for week in [W_NEXT, "2027-W10"] {
        engagement(&app, leader, &format!("?period={week}"))
            .await
            .expect_problem(422, "validation_failed");
    }
}

async fn attack_a_small_unit_alone(app: TestApp) {
    // Arrange: four answers in the whole organisation, all in team A, with comments.
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let mut team = crew(&app, &org.admin, &org.team_a, "frontline", "a", 3).await;
    team.push(org.front_a.clone());
    for member in &team {
        answer_with(
            &app,
            member,
            json!({"happiness": 1, "pleasure": 2, "engagement": 5, "comment": "we are four"}),
        )
        .await
        .expect(201);
    }

    // Act
    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, &format!("?period={W}"))
        .await
        .expect(200);

    // Assert: neither the unit, nor anything else, nor the total shows.
    let body = &results.body;
    assert_eq!(body["min_group"], MIN);
    assert_eq!(body["period"], W);
    assert_hidden(item(body, &org.team_a));
    assert_eq!(body["items"].as_array().unwrap().len(), 5, "every unit");
    for unit in body["items"].as_array().unwrap() {
        assert_hidden(unit);
    }
    assert!(body["total"].is_null(), "{body:#}");
    assert!(!body.to_string().contains("we are four"));
    assert_no_small_group_by_subtraction(body, MIN);
}

async fn attack_a_small_unit_and_a_larger_sibling(app: TestApp) {
    // Arrange: team A gives 4 answers, team B 6.
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let team_a = crew(&app, &org.admin, &org.team_a, "frontline", "a", 4).await;
    let team_b = crew(&app, &org.admin, &org.team_b, "frontline", "b", 6).await;
    all_answer(&app, &team_a, 1, 1, 1).await;
    all_answer(&app, &team_b, 5, 4, 3).await;

    // Act
    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, &format!("?period={W}"))
        .await
        .expect(200);

    // Assert: showing B (6) beside the total (10) would give A's four
    // answers away; B is hidden too, the total still shows.
    let body = &results.body;
    assert_hidden(item(body, &org.team_a));
    assert_hidden(item(body, &org.team_b));
    let total = &body["total"];
    assert_eq!(total["answers"], 10);
    assert!(close(total["happiness"].as_f64().unwrap(), 34.0 / 10.0));
    assert!(close(total["pleasure"].as_f64().unwrap(), 28.0 / 10.0));
    assert!(close(total["engagement"].as_f64().unwrap(), 22.0 / 10.0));
    assert_no_small_group_by_subtraction(body, MIN);
    // No number in the answer is A's count or B's.
    let numbers: Vec<u64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["answers"].as_u64())
        .collect();
    assert_eq!(numbers, Vec::<u64>::new());
}

async fn attack_two_weeks_one_answer_apart(app: TestApp) {
    // Arrange: five of team A answer in W; in the next week the same five
    // and one more.
    let org = org(&app).await;
    let leader = &org.leader.token;
    app.store.clock().set(inside_w());
    let five = crew(&app, &org.admin, &org.team_a, "frontline", "a", 5).await;
    let sixth = app
        .member(&org.admin, "a.sixth@test.upturn", "frontline", &org.team_a)
        .await;
    for (i, member) in five.iter().enumerate() {
        let i = i64::try_from(i).unwrap();
        answer(&app, member, 1 + i, 5 - i, 3).await.expect(201);
    }

    // Act: W is read once released, then the next week is answered.
    app.store.clock().set(after_w());
    let w_first = engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect(200);
    let team_w = item(&w_first.body, &org.team_a);
    assert_eq!(team_w["answers"], 5);
    assert!(close(team_w["happiness"].as_f64().unwrap(), 3.0));
    assert!(close(team_w["pleasure"].as_f64().unwrap(), 3.0));
    for member in &five {
        answer(&app, member, 4, 4, 4).await.expect(201);
    }
    answer(&app, &sixth, 1, 1, 1).await.expect(201);

    // Assert: the next week shows nothing while it runs, W stays as it was.
    engagement(&app, leader, &format!("?period={W_NEXT}"))
        .await
        .expect_problem(422, "validation_failed");
    let w_again = engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect(200);
    assert_eq!(w_again.body, w_first.body);

    app.store.clock().set(after_w_next());
    let w_later = engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect(200);
    assert_eq!(w_later.body, w_first.body);
    let next = engagement(&app, leader, &format!("?period={W_NEXT}"))
        .await
        .expect(200);
    let team_next = item(&next.body, &org.team_a);
    assert_eq!(team_next["answers"], 6);
    assert!(close(team_next["happiness"].as_f64().unwrap(), 21.0 / 6.0));
    assert_no_small_group_by_subtraction(&w_later.body, MIN);
    assert_no_small_group_by_subtraction(&next.body, MIN);

    // Nothing covers W ∪ W+1 or part of a week: one whole ISO week is the
    // only period there is, and other parameters are refused, not ignored.
    for query in [
        "?period=2026-W47/2026-W48",
        "?period=2026-W47,2026-W48",
        "?period=2026-W47..2026-W48",
        "?period=2026-11-16",
        "?period=2026-11-16/2026-11-29",
        "?period=2026-11",
        "?period=2026",
        "?period=2026-W47-3",
        "?period=2026W47",
        "?period=",
        "?period=2026-W47&period=2026-W48",
        "?from=2026-11-16T00:00:00Z&to=2026-11-30T00:00:00Z",
        "?period=2026-W47&from=2026-11-16T00:00:00Z",
        "?period=2026-W47&to=2026-11-20T00:00:00Z",
        "?period=2026-W47&days=3",
        "?week=2026-W47",
    ] {
        let refused = engagement(&app, leader, query)
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            refused.body["errors"].is_array(),
            "{query}: {:#}",
            refused.body
        );
    }
}

async fn attack_a_unit_filter_computes_nothing_new(app: TestApp) {
    // Arrange: team A 4 answers (hidden), Purchasing 6 (hidden with it),
    // team B 7 (shown).
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let team_a = crew(&app, &org.admin, &org.team_a, "frontline", "a", 4).await;
    let team_b = crew(&app, &org.admin, &org.team_b, "frontline", "b", 7).await;
    let purchasing = crew(&app, &org.admin, &org.service_1, "service", "p", 6).await;
    all_answer(&app, &team_a, 2, 2, 2).await;
    all_answer(&app, &team_b, 4, 3, 2).await;
    all_answer(&app, &purchasing, 5, 5, 5).await;

    // Act
    app.store.clock().set(after_w());
    let leader = &org.leader.token;
    let all = engagement(&app, leader, &format!("?period={W}"))
        .await
        .expect(200);

    // Assert: the whole release first.
    let body = &all.body;
    assert_hidden(item(body, &org.team_a));
    assert_hidden(item(body, &org.service_1));
    assert_eq!(item(body, &org.team_b)["answers"], 7);
    assert_eq!(body["total"]["answers"], 17);
    assert_no_small_group_by_subtraction(body, MIN);
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["unit_id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "units in id order");

    // Each filtered answer is exactly that unit's item of the same release.
    for unit in [
        &org.team_a,
        &org.team_b,
        &org.service_1,
        &org.service_2,
        &org.leadership,
    ] {
        let one = engagement(&app, leader, &format!("?period={W}&unit_id={unit}"))
            .await
            .expect(200);
        assert_eq!(one.body["items"], json!([item(body, unit)]));
        assert_eq!(one.body["total"], body["total"]);
        assert_eq!(one.body["min_group"], body["min_group"]);
        assert_eq!(one.body["period"], body["period"]);
    }
    // The default period, filtered, is the same too.
    let one = engagement(&app, leader, &format!("?unit_id={}", org.team_b))
        .await
        .expect(200);
    assert_eq!(one.body["items"], json!([item(body, &org.team_b)]));

    let missing = Uuid::new_v4();
    engagement(&app, leader, &format!("?period={W}&unit_id={missing}"))
        .await
        .expect_problem(404, "not_found");
    let refused = engagement(&app, leader, "?unit_id=team-a")
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "unit_id");
}

async fn comments_are_sorted_and_shown_only_with_figures(app: TestApp) {
    // Arrange: team B (5 answers) comments in some order, blank ones
    // included; team A (3 answers) comments too but stays hidden.
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let team_b = crew(&app, &org.admin, &org.team_b, "frontline", "b", 5).await;
    let team_a = crew(&app, &org.admin, &org.team_a, "frontline", "a", 3).await;
    let comments = [
        Some("  zebra crossing  "),
        Some("apples"),
        None,
        Some("   "),
        Some("mid"),
    ];
    for (member, comment) in team_b.iter().zip(comments) {
        let mut body = json!({"happiness": 3, "pleasure": 3, "engagement": 3});
        if let Some(comment) = comment {
            body["comment"] = json!(comment);
        }
        answer_with(&app, member, body).await.expect(201);
    }
    for member in &team_a {
        answer_with(
            &app,
            member,
            json!({"happiness": 3, "pleasure": 3, "engagement": 3, "comment": "secret"}),
        )
        .await
        .expect(201);
    }

    // Act
    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, "").await.expect(200);

    // Assert: 8 answers in all, 3 hidden: the smallest shown unit (B) is
    // hidden with A, so no comment shows at all.
    let body = &results.body;
    assert_eq!(body["total"]["answers"], 8);
    assert_hidden(item(body, &org.team_a));
    assert_hidden(item(body, &org.team_b));
    assert!(!body.to_string().contains("secret"));

    // With two more answers in A next week, both show, comments sorted and trimmed.
    let more = crew(&app, &org.admin, &org.team_a, "frontline", "a2", 2).await;
    for member in team_a.iter().chain(&more) {
        answer(&app, member, 2, 2, 2).await.expect(201);
    }
    for (member, comment) in team_b.iter().zip(comments) {
        let mut body = json!({"happiness": 3, "pleasure": 3, "engagement": 3});
        if let Some(comment) = comment {
            body["comment"] = json!(comment);
        }
        answer_with(&app, member, body).await.expect(201);
    }
    app.store.clock().set(after_w_next());
    let results = engagement(&app, &org.leader.token, "").await.expect(200);
    let body = &results.body;
    assert_eq!(body["period"], W_NEXT);
    let team_b_item = item(body, &org.team_b);
    assert_eq!(team_b_item["answers"], 5);
    assert_eq!(
        team_b_item["comments"],
        json!(["apples", "mid", "zebra crossing"])
    );
    assert_eq!(item(body, &org.team_a)["comments"], json!([]));
    assert_eq!(item(body, &org.team_a)["answers"], 5);
}

async fn outcomes_show_beside_hidden_figures(app: TestApp) {
    // Arrange: during W, team A's front line resolves a request on the
    // spot, and two of team A answer the pulse.
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let mut spot = common::filing("Hem the trousers");
    spot["resolved_on_the_spot"] = json!({"note": "Hemmed them while she waited"});
    app.post("/api/v1/requests", &org.front_a.token, spot)
        .await
        .expect(201);
    answer(&app, &org.front_a, 2, 2, 2).await.expect(201);
    answer(&app, &org.manager_a, 3, 3, 3).await.expect(201);

    // Act
    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, &format!("?period={W}"))
        .await
        .expect(200);

    // Assert: the pulse is hidden, the customer outcomes are not.
    let team_a = item(&results.body, &org.team_a);
    assert_hidden(team_a);
    assert_eq!(team_a["outcomes"]["frontline_resolution_share"], 1.0);
    assert_eq!(team_a["outcomes"]["sla_compliance"], 1.0);
    assert!(team_a["outcomes"]["satisfaction_mean"].is_null());
    let team_b = item(&results.body, &org.team_b);
    assert_eq!(
        team_b["outcomes"],
        json!({"satisfaction_mean": null, "frontline_resolution_share": null, "sla_compliance": null})
    );
    // The week before has nothing of it.
    let before = engagement(&app, &org.leader.token, "?period=2026-W46")
        .await
        .expect(200);
    assert!(item(&before.body, &org.team_a)["outcomes"]["frontline_resolution_share"].is_null());
}

// ---------------------------------------------------------------------------
// The minimum group
// ---------------------------------------------------------------------------

async fn a_minimum_group_of_three_is_honoured(app: TestApp) {
    let org = org(&app).await;
    app.store.clock().set(inside_w());
    let team_a = crew(&app, &org.admin, &org.team_a, "frontline", "a", 3).await;
    let team_b = crew(&app, &org.admin, &org.team_b, "frontline", "b", 4).await;
    all_answer(&app, &team_a, 2, 3, 4).await;
    all_answer(&app, &team_b, 4, 4, 4).await;
    // Two answers in Purchasing: below three, and nothing else is hidden,
    // so the smallest shown unit (team A, 3) is hidden with it.
    let mut purchasing = crew(&app, &org.admin, &org.service_1, "service", "p", 1).await;
    purchasing.push(org.service1.clone());
    all_answer(&app, &purchasing, 1, 1, 1).await;

    app.store.clock().set(after_w());
    let results = engagement(&app, &org.leader.token, "").await.expect(200);
    let body = &results.body;
    assert_eq!(body["min_group"], 3);
    assert_eq!(body["total"]["answers"], 9);
    assert_hidden(item(body, &org.service_1));
    assert_hidden(item(body, &org.team_a));
    let b = item(body, &org.team_b);
    assert_eq!(b["answers"], 4);
    assert!(close(b["happiness"].as_f64().unwrap(), 4.0));
    assert_no_small_group_by_subtraction(body, 3);

    // Without Purchasing's answers, three answers are enough to show.
    for member in team_a.iter().chain(&team_b) {
        answer(&app, member, 5, 5, 5).await.expect(201);
    }
    app.store.clock().set(after_w_next());
    let results = engagement(&app, &org.leader.token, "").await.expect(200);
    assert_eq!(item(&results.body, &org.team_a)["answers"], 3);
    assert_eq!(item(&results.body, &org.team_b)["answers"], 4);
    assert_eq!(results.body["total"]["answers"], 7);
}

async fn a_minimum_group_below_three_is_refused(backend: Backend) {
    let (url, _scratch) = common::fresh_database(backend).await;
    for below in [0, 1, 2] {
        let mut settings = common::test_settings(&url);
        settings.pulse_min_group = below;
        assert!(settings.min_group().is_err(), "{below} accepted");
        let refused = upturn_api::startup::Application::build(settings).await;
        let error = refused.err().expect("the application refuses to start");
        assert!(
            format!("{error:#}").contains("UPTURN_PULSE_MIN_GROUP"),
            "{error:#}"
        );
    }
    let mut settings = common::test_settings(&url);
    settings.pulse_min_group = 3;
    assert_eq!(settings.min_group().map(|m| m.get()).ok(), Some(3));
}

// ---------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------

async fn the_openapi_document_describes_the_pulse(app: TestApp) {
    let openapi = app.get_public("/api/openapi.json").await.expect(200);
    let paths = &openapi.body["paths"];
    assert!(paths["/api/v1/pulse/current"]["get"].is_object());
    assert!(paths["/api/v1/metrics/engagement"]["get"].is_object());
    let post = &paths["/api/v1/pulse/responses"]["post"];
    assert!(post.is_object());
    // No Idempotency-Key parameter, and the description says why.
    let parameters = post["parameters"].as_array().cloned().unwrap_or_default();
    assert!(
        parameters.iter().all(|p| p["name"] != "Idempotency-Key"),
        "{post:#}"
    );
    let description = post["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Idempotency-Key") && description.contains("link"),
        "{description}"
    );
    assert!(post["responses"]["409"].is_object());
    let parameters: Vec<&str> = paths["/api/v1/metrics/engagement"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(parameters, vec!["period", "unit_id"]);
}
