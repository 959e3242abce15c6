//! Initiatives, the outer loop, through the real HTTP server on both
//! backends: the whole walk (create, link within and across teams, what a
//! manager cannot see is 404, suggestions within the caller's sight,
//! progress on every linked timeline, in the filers' inboxes and on the
//! customers' tracking pages, completion resolving every open linked
//! request, dropping handing requests back), list counts and order, the
//! role matrix, transitions, validation and versions, all-or-nothing
//! links, and a thousand linked requests completed at once (with the
//! metric roll-ups still equal to their definition).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Duration, Utc};
use common::{Member, Org, Resp, TestApp, filing, org};
use reqwest::Method;
use serde_json::{Value, json};
use upturn_domain::metrics::{SilentMultiplier, Window};
use upturn_persistence::MetricsQuery;
use uuid::Uuid;

on_both_backends!(
    the_whole_walk,
    list_is_ordered_by_demand_and_pages,
    role_matrix,
    transitions_validation_and_versions,
    links_are_all_or_nothing,
    a_thousand_linked_requests_complete_at_once,
);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    common::read(request.send().await.unwrap()).await
}

/// A filing with its own words and category.
fn asked(title: &str, description: &str, category: &str) -> Value {
    let mut body = filing(title);
    body["description"] = json!(description);
    body["category"] = json!(category);
    body
}

async fn file(app: &TestApp, who: &Member, body: Value) -> Value {
    app.post("/api/v1/requests", &who.token, body)
        .await
        .expect(201)
        .body
}

async fn create(app: &TestApp, who: &Member, body: Value) -> Resp {
    app.post("/api/v1/initiatives", &who.token, body).await
}

async fn initiative(app: &TestApp, who: &Member, title: &str, unit_id: Option<&str>) -> Value {
    let mut body = json!({"title": title, "description": "Customers keep asking for it."});
    if let Some(unit) = unit_id {
        body["unit_id"] = json!(unit);
    }
    create(app, who, body).await.expect(201).body
}

async fn link(app: &TestApp, who: &Member, initiative: &str, requests: &[&Value]) -> Resp {
    let ids: Vec<&str> = requests.iter().map(|r| r["id"].as_str().unwrap()).collect();
    app.post(
        &format!("/api/v1/initiatives/{initiative}/requests"),
        &who.token,
        json!({"request_ids": ids}),
    )
    .await
}

async fn patch(app: &TestApp, who: &Member, initiative: &str, body: Value) -> Resp {
    app.patch(
        &format!("/api/v1/initiatives/{initiative}"),
        &who.token,
        body,
    )
    .await
}

async fn request(app: &TestApp, who: &Member, r: &Value) -> Value {
    app.get(
        &format!("/api/v1/requests/{}", r["id"].as_str().unwrap()),
        &who.token,
    )
    .await
    .expect(200)
    .body
}

async fn timeline(app: &TestApp, who: &Member, r: &Value) -> Vec<Value> {
    app.get(
        &format!(
            "/api/v1/requests/{}/events?limit=200",
            r["id"].as_str().unwrap()
        ),
        &who.token,
    )
    .await
    .expect(200)
    .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn inbox(app: &TestApp, who: &Member) -> Vec<Value> {
    app.get("/api/v1/inbox?limit=200", &who.token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn track(app: &TestApp, r: &Value) -> Value {
    app.get_public(&format!(
        "/api/v1/track/{}",
        r["tracking_code"].as_str().unwrap()
    ))
    .await
    .expect(200)
    .body
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|s| s["request"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn suggested(app: &TestApp, who: &Member, initiative: &str) -> Vec<String> {
    let body = app
        .get(
            &format!("/api/v1/initiatives/{initiative}/suggestions"),
            &who.token,
        )
        .await
        .expect(200)
        .body;
    ids(body["items"].as_array().unwrap())
}

/// The roll-ups read the same figures as the definition computed from the
/// requests, for the whole organisation and each unit.
async fn roll_ups_hold(app: &TestApp, org: &Org) {
    let now = Utc::now() + Duration::hours(1);
    let window = Window::new(now - Duration::days(2), now).unwrap();
    let units = [
        None,
        Some(&org.team_a),
        Some(&org.team_b),
        Some(&org.service_1),
        Some(&org.service_2),
    ];
    for unit in units {
        let query = MetricsQuery {
            window,
            unit_id: unit.map(|u| u.parse().unwrap()),
            category: None,
        };
        let rolled = app
            .store
            .metrics(&query, now, SilentMultiplier::DEFAULT)
            .await
            .unwrap();
        let defined = app
            .store
            .metrics_from_requests(&query, now, SilentMultiplier::DEFAULT)
            .await
            .unwrap();
        assert_eq!(rolled, defined, "{query:?}");
    }
}

// ---------------------------------------------------------------------------
// The whole walk
// ---------------------------------------------------------------------------

async fn the_whole_walk(app: TestApp) {
    let org = org(&app).await;
    // Arrange: requests from both teams, alike and not.
    let lyon_1 = file(
        &app,
        &org.front_a,
        asked(
            "Trousers in size 44",
            "She left without them.",
            "availability",
        ),
    )
    .await;
    let lyon_2 = file(
        &app,
        &org.front_a,
        asked(
            "Size 44 trousers again",
            "Second customer this week.",
            "availability",
        ),
    )
    .await;
    let paris = file(
        &app,
        &org.front_b,
        asked(
            "Trousers size 44 for a wedding",
            "None left in Paris.",
            "availability",
        ),
    )
    .await;
    let parking = file(
        &app,
        &org.front_a,
        asked("Parking is too small", "No room on Saturdays.", "premises"),
    )
    .await;

    // A manager's initiative for their own team holds their team's request
    // where it is.
    let local = initiative(&app, &org.manager_a, "Size 44 in the Lyon store", None).await;
    assert_eq!(local["status"], "planned");
    assert_eq!(local["unit_id"], org.team_a.as_str());
    assert_eq!(
        local["counts"],
        json!({"linked": 0, "teams": 0, "customers_waiting": 0})
    );
    let linked = link(&app, &org.manager_a, id(&local), &[&lyon_1])
        .await
        .expect(200)
        .body;
    assert_eq!(
        linked["counts"],
        json!({"linked": 1, "teams": 1, "customers_waiting": 1})
    );
    let after = request(&app, &org.manager_a, &lyon_1).await;
    assert_eq!(after["initiative_id"], id(&local));
    assert_eq!(after["status"], "in_progress");
    assert_eq!(after["level"], "manager");
    assert_eq!(after["unit_id"], org.team_a.as_str());

    // Leadership hands one to purchasing; each store's requests gather there.
    let stock = initiative(
        &app,
        &org.leader,
        "Stock size 44 in every store",
        Some(&org.service_1),
    )
    .await;
    link(&app, &org.manager_a, id(&stock), &[&lyon_2])
        .await
        .expect(200);
    // A manager cannot link (nor learn of) another team's request.
    link(&app, &org.manager_a, id(&stock), &[&paris])
        .await
        .expect_problem(404, "not_found");
    link(&app, &org.manager_b, id(&stock), &[&paris, &lyon_2])
        .await
        .expect_problem(404, "not_found");
    assert_eq!(
        request(&app, &org.manager_b, &paris).await["initiative_id"],
        Value::Null
    );
    let stock_now = link(&app, &org.leader, id(&stock), &[&paris])
        .await
        .expect(200)
        .body;
    assert_eq!(
        stock_now["counts"],
        json!({"linked": 2, "teams": 2, "customers_waiting": 2})
    );
    for r in [&lyon_2, &paris] {
        let now = request(&app, &org.leader, r).await;
        assert_eq!(now["level"], "service");
        assert_eq!(now["unit_id"], org.service_1.as_str());
        assert_eq!(now["status"], "in_progress");
        assert_eq!(now["initiative_id"], id(&stock));
        let events = timeline(&app, &org.leader, r).await;
        let last = events.last().unwrap();
        assert_eq!(last["type"], "initiative_linked");
        assert_eq!(last["to_level"], "service");
    }
    // Purchasing now sees the requests handed to it.
    request(&app, &org.service1, &paris).await;

    // Suggestions: similar words, same category as the linked requests, only
    // what the caller can see, never one linked to a live initiative.
    let husband = file(
        &app,
        &org.front_a,
        asked(
            "Trousers in size 44 for her husband",
            "Came back twice.",
            "availability",
        ),
    )
    .await;
    let wedding = file(
        &app,
        &org.front_b,
        asked(
            "Size 44 trousers, Paris store",
            "Asked again.",
            "availability",
        ),
    )
    .await;
    let unrelated = file(
        &app,
        &org.front_a,
        asked("Gift wrapping at Christmas", "Would pay for it.", "service"),
    )
    .await;
    // Same words, another category: not suggested once requests are linked.
    let priced = file(
        &app,
        &org.front_a,
        asked(
            "Size 44 trousers too expensive",
            "Found them cheaper online.",
            "price",
        ),
    )
    .await;
    let for_a = suggested(&app, &org.manager_a, id(&stock)).await;
    assert!(for_a.contains(&id(&husband).to_owned()), "{for_a:?}");
    for hidden in [
        &wedding, &lyon_1, &lyon_2, &parking, &unrelated, &paris, &priced,
    ] {
        assert!(!for_a.contains(&id(hidden).to_owned()), "{for_a:?}");
    }
    let for_leader = suggested(&app, &org.leader, id(&stock)).await;
    let mut expected = vec![id(&husband).to_owned(), id(&wedding).to_owned()];
    expected.sort();
    let mut got = for_leader.clone();
    got.sort();
    assert_eq!(got, expected, "the leader sees both stores, nothing else");
    let for_b = suggested(&app, &org.manager_b, id(&stock)).await;
    assert_eq!(for_b, vec![id(&wedding).to_owned()]);

    // Progress: purchasing starts, with a note every customer can read.
    let before = track(&app, &lyon_2).await;
    assert_eq!(
        before["initiative"],
        json!({"status": "planned", "public_note": null})
    );
    let started = patch(
        &app,
        &org.service1,
        id(&stock),
        json!({"status": "in_progress", "public_note": "Ordering from the supplier", "version": 1}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(started["status"], "in_progress");
    assert_eq!(started["version"], 2);
    for (r, filer) in [(&lyon_2, &org.front_a), (&paris, &org.front_b)] {
        let events = timeline(&app, filer, r).await;
        let progress: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "initiative_progress")
            .collect();
        assert_eq!(progress.len(), 1, "{events:?}");
        assert!(
            progress[0]["note"]
                .as_str()
                .unwrap()
                .contains("Ordering from the supplier")
        );
        assert_eq!(progress[0]["internal"], false);
        let told = inbox(&app, filer).await;
        assert!(
            told.iter()
                .any(|i| i["event_type"] == "initiative_progress" && i["request_id"] == r["id"]),
            "{told:?}"
        );
        let page = track(&app, r).await;
        assert_eq!(
            page["initiative"],
            json!({"status": "in_progress", "public_note": "Ordering from the supplier"})
        );
        assert_eq!(page["resolution_note"], Value::Null);
        assert!(page.get("title").is_none() && page["initiative"].get("title").is_none());
    }
    // The request not linked to it heard nothing.
    assert!(
        timeline(&app, &org.front_a, &lyon_1)
            .await
            .iter()
            .all(|e| e["type"] != "initiative_progress")
    );

    // Completion needs its public note in the same PATCH.
    let missing = patch(&app, &org.service1, id(&stock), json!({"status": "done"}))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0]["field"], "public_note");
    // A stale version changes nothing.
    patch(
        &app,
        &org.service1,
        id(&stock),
        json!({"status": "done", "public_note": "In stock", "version": 1}),
    )
    .await
    .expect_problem(409, "version_conflict");
    assert_eq!(
        request(&app, &org.leader, &paris).await["status"],
        "in_progress"
    );
    // One answered request linked as it is hears the news without moving.
    let answered = file(
        &app,
        &org.front_a,
        asked("Size 44 jeans", "Found another model.", "availability"),
    )
    .await;
    app.post(
        &format!("/api/v1/requests/{}/status", id(&answered)),
        &org.manager_a.token,
        json!({"status": "resolved", "note": "Offered another model"}),
    )
    .await
    .expect(200);
    link(&app, &org.manager_a, id(&stock), &[&answered])
        .await
        .expect(200);
    let answered_now = request(&app, &org.manager_a, &answered).await;
    assert_eq!(answered_now["status"], "resolved");
    assert_eq!(answered_now["resolution_note"], "Offered another model");

    let note = "Size 44 is now stocked in every store";
    let done = patch(
        &app,
        &org.service1,
        id(&stock),
        json!({"status": "done", "public_note": note}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(done["status"], "done");
    assert_eq!(done["counts"]["customers_waiting"], 0);
    for (r, filer) in [(&lyon_2, &org.front_a), (&paris, &org.front_b)] {
        let now = request(&app, filer, r).await;
        assert_eq!(now["status"], "resolved");
        assert_eq!(now["level"], "frontline");
        assert_eq!(now["resolved_level"], "service");
        assert_eq!(now["resolution_note"], note);
        assert_eq!(now["unit_id"], now["team_id"]);
        let resolved: Vec<Value> = timeline(&app, filer, r)
            .await
            .into_iter()
            .filter(|e| e["type"] == "resolved")
            .collect();
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0]["note"], note);
        let told = inbox(&app, filer).await;
        assert!(
            told.iter()
                .any(|i| i["event_type"] == "resolved" && i["request_id"] == r["id"])
        );
        let page = track(&app, r).await;
        assert_eq!(page["status"], "resolved");
        assert_eq!(page["resolution_note"], note);
        assert_eq!(
            page["initiative"],
            json!({"status": "done", "public_note": note})
        );
    }
    let answered_after = request(&app, &org.manager_a, &answered).await;
    assert_eq!(
        answered_after["resolution_note"], "Offered another model",
        "an answer already given stays"
    );
    assert_eq!(
        timeline(&app, &org.manager_a, &answered)
            .await
            .last()
            .unwrap()["type"],
        "initiative_progress"
    );
    // Final: nothing more changes it, nothing more joins it.
    patch(&app, &org.service1, id(&stock), json!({"title": "Again"}))
        .await
        .expect_problem(422, "invalid_transition");
    link(&app, &org.manager_a, id(&stock), &[&husband])
        .await
        .expect_problem(422, "invalid_transition");

    // Dropping hands the requests the initiative holds back to their
    // previous owner, new again there.
    let training = initiative(
        &app,
        &org.leader,
        "Train staff on size advice",
        Some(&org.service_2),
    )
    .await;
    link(&app, &org.manager_a, id(&training), &[&husband])
        .await
        .expect(200);
    assert_eq!(
        request(&app, &org.manager_a, &husband).await["unit_id"],
        org.service_2.as_str()
    );
    patch(
        &app,
        &org.service2,
        id(&training),
        json!({"status": "dropped", "public_note": "Not this season"}),
    )
    .await
    .expect(200);
    let back = request(&app, &org.manager_a, &husband).await;
    assert_eq!(back["unit_id"], org.team_a.as_str());
    assert_eq!(back["level"], "manager");
    assert_eq!(back["status"], "new");
    let last = timeline(&app, &org.manager_a, &husband)
        .await
        .pop()
        .unwrap();
    assert_eq!(last["type"], "initiative_dropped");
    assert!(last["note"].as_str().unwrap().contains("Not this season"));
    assert!(
        inbox(&app, &org.front_a)
            .await
            .iter()
            .any(|i| i["event_type"] == "initiative_dropped")
    );
    // A request whose initiative is finished may join a new one.
    let again = initiative(&app, &org.manager_a, "Size 44 by mail order", None).await;
    link(&app, &org.manager_a, id(&again), &[&husband])
        .await
        .expect(200);
    assert_eq!(
        request(&app, &org.manager_a, &husband).await["initiative_id"],
        id(&again)
    );

    roll_ups_hold(&app, &org).await;
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

/// The first page of the initiatives list, as `who` sees it.
async fn listed(app: &TestApp, who: &Member) -> Value {
    app.get("/api/v1/initiatives", &who.token)
        .await
        .expect(200)
        .body
}

fn ids_of(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(id).collect()
}

async fn list_is_ordered_by_demand_and_pages(app: TestApp) {
    let org = org(&app).await;
    let a1 = file(&app, &org.front_a, filing("Size 44")).await;
    let a2 = file(&app, &org.front_a, filing("Size 44 again")).await;
    let b1 = file(&app, &org.front_b, filing("Size 44 in Paris")).await;
    let mut no_consent = filing("Size 46");
    no_consent["customer"]["consent_follow_up"] = json!(false);
    let a3 = file(&app, &org.front_a, no_consent).await;

    let empty = initiative(&app, &org.leader, "Nobody asked yet", Some(&org.service_2)).await;
    let two_teams = initiative(
        &app,
        &org.leader,
        "Across both stores",
        Some(&org.service_1),
    )
    .await;
    let one_team = initiative(
        &app,
        &org.leader,
        "One store, two customers",
        Some(&org.service_2),
    )
    .await;
    let not_waiting = initiative(
        &app,
        &org.leader,
        "One customer, no consent",
        Some(&org.service_1),
    )
    .await;
    link(&app, &org.leader, id(&two_teams), &[&a1, &b1])
        .await
        .expect(200);
    link(&app, &org.leader, id(&one_team), &[&a2])
        .await
        .expect(200);
    link(&app, &org.leader, id(&not_waiting), &[&a3])
        .await
        .expect(200);

    // Both have 2... no: two_teams has 2 linked; one_team and not_waiting 1
    // each, but one_team has a customer waiting; empty comes last.
    let list = listed(&app, &org.manager_b).await;
    let order = ids_of(&list);
    assert_eq!(
        order,
        [id(&two_teams), id(&one_team), id(&not_waiting), id(&empty)]
    );
    let first = &list["items"][0];
    assert_eq!(
        first["counts"],
        json!({"linked": 2, "teams": 2, "customers_waiting": 2})
    );
    assert_eq!(
        list["items"][2]["counts"],
        json!({"linked": 1, "teams": 1, "customers_waiting": 0})
    );
    assert_eq!(list["next_cursor"], Value::Null);

    // Page by page, the same order, no repeats.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/initiatives?limit=1&cursor={c}"),
            None => "/api/v1/initiatives?limit=1".to_owned(),
        };
        let page = app.get(&path, &org.service1.token).await.expect(200).body;
        for item in page["items"].as_array().unwrap() {
            paged.push(id(item).to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(paged.len() <= 4, "the pages never end");
    }
    assert_eq!(paged, order);

    // The order is kept as requests move: the customer of `one_team`'s
    // request is answered, so nobody waits there any more; it ties with
    // `not_waiting`, and the newer of the two comes first.
    app.post(
        &format!("/api/v1/requests/{}/status", id(&a2)),
        &org.service2.token,
        json!({"status": "resolved", "note": "Found one in Marseille"}),
    )
    .await
    .expect(200);
    let list = listed(&app, &org.leader).await;
    let order = ids_of(&list);
    assert_eq!(
        order,
        [id(&two_teams), id(&not_waiting), id(&one_team), id(&empty)]
    );
    // The counts the list sorts by are the initiative's own.
    for item in list["items"].as_array().unwrap() {
        let own = app
            .get(
                &format!("/api/v1/initiatives/{}", id(item)),
                &org.leader.token,
            )
            .await
            .expect(200)
            .body;
        assert_eq!(item["counts"], own["counts"], "{}", id(item));
    }
    app.get("/api/v1/initiatives?cursor=nonsense", &org.leader.token)
        .await
        .expect_problem(422, "validation_failed");
    app.get("/api/v1/initiatives?limit=0", &org.leader.token)
        .await
        .expect_problem(422, "validation_failed");
}

// ---------------------------------------------------------------------------
// Who may
// ---------------------------------------------------------------------------

async fn role_matrix(app: TestApp) {
    let org = org(&app).await;
    let r = file(&app, &org.front_a, filing("Size 44")).await;
    let mine = initiative(&app, &org.manager_a, "Lyon's own", None).await;
    let admin = Member {
        id: String::new(),
        token: org.admin.clone(),
    };
    // Front line and admins: nothing at all.
    for who in [&org.front_a, &admin] {
        app.get("/api/v1/initiatives", &who.token)
            .await
            .expect_problem(403, "forbidden");
        app.get(&format!("/api/v1/initiatives/{}", id(&mine)), &who.token)
            .await
            .expect_problem(403, "forbidden");
        create(&app, who, json!({"title": "Mine"}))
            .await
            .expect_problem(403, "forbidden");
        // Even a bad body is refused for the role first.
        create(&app, who, json!({}))
            .await
            .expect_problem(403, "forbidden");
        patch(&app, who, id(&mine), json!({"title": "Theirs"}))
            .await
            .expect_problem(403, "forbidden");
        link(&app, who, id(&mine), &[&r])
            .await
            .expect_problem(403, "forbidden");
        app.get(
            &format!("/api/v1/initiatives/{}/suggestions", id(&mine)),
            &who.token,
        )
        .await
        .expect_problem(403, "forbidden");
    }
    // Managers and services read every initiative, create for their own unit.
    for who in [&org.manager_b, &org.service1, &org.leader] {
        app.get(&format!("/api/v1/initiatives/{}", id(&mine)), &who.token)
            .await
            .expect(200);
        app.get(
            &format!("/api/v1/initiatives/{}/suggestions", id(&mine)),
            &who.token,
        )
        .await
        .expect(200);
    }
    create(
        &app,
        &org.manager_a,
        json!({"title": "For purchasing", "unit_id": org.service_1}),
    )
    .await
    .expect_problem(403, "forbidden");
    create(
        &app,
        &org.manager_a,
        json!({"title": "For Paris", "unit_id": org.team_b}),
    )
    .await
    .expect_problem(403, "forbidden");
    create(
        &app,
        &org.service1,
        json!({"title": "For training", "unit_id": org.service_2}),
    )
    .await
    .expect_problem(403, "forbidden");
    let purchasing = create(&app, &org.service1, json!({"title": "Purchasing's own"}))
        .await
        .expect(201);
    assert_eq!(purchasing.body["unit_id"], org.service_1.as_str());
    assert_eq!(
        purchasing.header("location").unwrap(),
        format!("/api/v1/initiatives/{}", id(&purchasing.body))
    );
    let handed = create(
        &app,
        &org.leader,
        json!({"title": "For Paris", "unit_id": org.team_b}),
    )
    .await
    .expect(201);
    create(
        &app,
        &org.leader,
        json!({"title": "Nowhere", "unit_id": Uuid::now_v7()}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // Only the owning unit and leaders edit.
    patch(
        &app,
        &org.manager_b,
        id(&mine),
        json!({"title": "Paris's now"}),
    )
    .await
    .expect_problem(403, "forbidden");
    patch(
        &app,
        &org.service1,
        id(&mine),
        json!({"title": "Purchasing's now"}),
    )
    .await
    .expect_problem(403, "forbidden");
    patch(
        &app,
        &org.manager_a,
        id(&mine),
        json!({"title": "Lyon's, renamed"}),
    )
    .await
    .expect(200);
    patch(
        &app,
        &org.leader,
        id(&mine),
        json!({"description": "Leadership cares"}),
    )
    .await
    .expect(200);
    patch(
        &app,
        &org.manager_b,
        id(&handed.body),
        json!({"target_date": "2027-01-31"}),
    )
    .await
    .expect(200);
    // Anyone who may link may link to any initiative what they can see.
    link(&app, &org.manager_a, id(&purchasing.body), &[&r])
        .await
        .expect(200);
    // Unknown initiatives are 404 for every role that may read them.
    let unknown = Uuid::now_v7();
    app.get(&format!("/api/v1/initiatives/{unknown}"), &org.leader.token)
        .await
        .expect_problem(404, "not_found");
    patch(
        &app,
        &org.leader,
        &unknown.to_string(),
        json!({"title": "x"}),
    )
    .await
    .expect_problem(404, "not_found");
    link(&app, &org.leader, &unknown.to_string(), &[&r])
        .await
        .expect_problem(404, "not_found");
}

// ---------------------------------------------------------------------------
// Transitions, validation, versions, idempotency
// ---------------------------------------------------------------------------

async fn transitions_validation_and_versions(app: TestApp) {
    let org = org(&app).await;
    let bad = create(
        &app,
        &org.manager_a,
        json!({"title": " ", "target_date": "31/01/2027"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let fields: HashSet<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, HashSet::from(["title", "target_date"]));
    create(&app, &org.manager_a, json!({"description": "no title"}))
        .await
        .expect_problem(422, "validation_failed");

    // Idempotency-Key: the same answer, one initiative.
    let body = json!({"title": "Size 44", "target_date": "2027-01-31"});
    let headers = [("Idempotency-Key", "init-1")];
    let first = send(
        &app,
        Method::POST,
        "/api/v1/initiatives",
        &org.manager_a.token,
        &headers,
        Some(body.clone()),
    )
    .await
    .expect(201);
    let again = send(
        &app,
        Method::POST,
        "/api/v1/initiatives",
        &org.manager_a.token,
        &headers,
        Some(body),
    )
    .await
    .expect(201);
    assert_eq!(first.body["id"], again.body["id"]);
    assert_eq!(first.body["target_date"], "2027-01-31");
    send(
        &app,
        Method::POST,
        "/api/v1/initiatives",
        &org.manager_a.token,
        &headers,
        Some(json!({"title": "Other"})),
    )
    .await
    .expect_problem(422, "idempotency_key_reused");
    let i = first.body;
    assert_eq!(first.headers.get("etag").unwrap(), "\"1\"");

    // A PATCH that changes nothing keeps the version.
    let same = patch(
        &app,
        &org.manager_a,
        id(&i),
        json!({"title": "Size 44", "status": "planned"}),
    )
    .await
    .expect(200);
    assert_eq!(same.body["version"], 1);
    // Clearing the date, then stale versions.
    let cleared = patch(&app, &org.manager_a, id(&i), json!({"target_date": null}))
        .await
        .expect(200);
    assert_eq!(cleared.body["target_date"], Value::Null);
    assert_eq!(cleared.body["version"], 2);
    patch(
        &app,
        &org.manager_a,
        id(&i),
        json!({"title": "Stale", "version": 1}),
    )
    .await
    .expect_problem(409, "version_conflict");
    send(
        &app,
        Method::PATCH,
        &format!("/api/v1/initiatives/{}", id(&i)),
        &org.manager_a.token,
        &[("If-Match", "\"1\"")],
        Some(json!({"title": "Stale"})),
    )
    .await
    .expect_problem(412, "precondition_failed");
    send(
        &app,
        Method::PATCH,
        &format!("/api/v1/initiatives/{}", id(&i)),
        &org.manager_a.token,
        &[("If-Match", "\"2\"")],
        Some(json!({"title": "Fresh"})),
    )
    .await
    .expect(200);

    // Field errors.
    let wrong = patch(
        &app,
        &org.manager_a,
        id(&i),
        json!({"status": "finished", "target_date": "2027-02-30"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let fields: HashSet<&str> = wrong.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, HashSet::from(["status", "target_date"]));
    let dropped_without_note = patch(&app, &org.manager_a, id(&i), json!({"status": "dropped"}))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        dropped_without_note.body["errors"][0]["field"],
        "public_note"
    );
    patch(&app, &org.manager_a, id(&i), json!({"unknown": 1}))
        .await
        .expect_problem(422, "validation_failed");

    // Transitions: forward only.
    patch(
        &app,
        &org.manager_a,
        id(&i),
        json!({"status": "in_progress"}),
    )
    .await
    .expect(200);
    patch(&app, &org.manager_a, id(&i), json!({"status": "planned"}))
        .await
        .expect_problem(422, "invalid_transition");
    patch(
        &app,
        &org.manager_a,
        id(&i),
        json!({"status": "done", "public_note": "Done"}),
    )
    .await
    .expect(200);
    patch(
        &app,
        &org.manager_a,
        id(&i),
        json!({"status": "dropped", "public_note": "Too late"}),
    )
    .await
    .expect_problem(422, "invalid_transition");
    // Planned may go straight to done.
    let quick = initiative(&app, &org.manager_a, "Quick fix", None).await;
    let finished = patch(
        &app,
        &org.manager_a,
        id(&quick),
        json!({"status": "done", "public_note": "Fixed"}),
    )
    .await
    .expect(200);
    assert_eq!(finished.body["status"], "done");
}

// ---------------------------------------------------------------------------
// Links: all or nothing
// ---------------------------------------------------------------------------

async fn links_are_all_or_nothing(app: TestApp) {
    let org = org(&app).await;
    let here = file(&app, &org.front_a, filing("Size 44")).await;
    let routed = file(&app, &org.front_a, filing("Size 44 again")).await;
    app.post(
        &format!("/api/v1/requests/{}/route", id(&routed)),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_1, "note": "Purchasing decides"}),
    )
    .await
    .expect(200);
    let team = initiative(&app, &org.manager_a, "Lyon's own", None).await;
    // A request already further down than a team's initiative cannot join it,
    // and the whole list is refused.
    let refused = link(&app, &org.manager_a, id(&team), &[&here, &routed])
        .await
        .expect_problem(422, "validation_failed");
    let errors = refused.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["field"], "request_ids[1]");
    let untouched = request(&app, &org.manager_a, &here).await;
    assert_eq!(untouched["initiative_id"], Value::Null);
    assert_eq!(untouched["status"], "new");
    assert_eq!(untouched["version"], here["version"]);
    // Empty lists and bad ids are field errors.
    app.post(
        &format!("/api/v1/initiatives/{}/requests", id(&team)),
        &org.manager_a.token,
        json!({"request_ids": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let bad = app
        .post(
            &format!("/api/v1/initiatives/{}/requests", id(&team)),
            &org.manager_a.token,
            json!({"request_ids": [id(&here), "nope"]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        bad.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("request_ids")
    );
    // An unknown request is 404 like one the caller cannot see.
    app.post(
        &format!("/api/v1/initiatives/{}/requests", id(&team)),
        &org.manager_a.token,
        json!({"request_ids": [Uuid::now_v7()]}),
    )
    .await
    .expect_problem(404, "not_found");

    // Linked once; linking again to the same one is skipped.
    link(&app, &org.manager_a, id(&team), &[&here])
        .await
        .expect(200);
    let again = link(&app, &org.manager_a, id(&team), &[&here, &here])
        .await
        .expect(200);
    assert_eq!(again.body["counts"]["linked"], 1);
    let linked_events = timeline(&app, &org.manager_a, &here)
        .await
        .into_iter()
        .filter(|e| e["type"] == "initiative_linked")
        .count();
    assert_eq!(linked_events, 1);
    // At most one live initiative per request.
    let other = initiative(&app, &org.leader, "Purchasing's", Some(&org.service_1)).await;
    let elsewhere = link(&app, &org.manager_a, id(&other), &[&routed, &here])
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(elsewhere.body["errors"][0]["field"], "request_ids[1]");
    assert_eq!(
        request(&app, &org.manager_a, &routed).await["initiative_id"],
        Value::Null
    );
    link(&app, &org.manager_a, id(&other), &[&routed])
        .await
        .expect(200);
    // Service-held requests hear progress too; the owner unit sees them.
    roll_ups_hold(&app, &org).await;
}

// ---------------------------------------------------------------------------
// A thousand at once
// ---------------------------------------------------------------------------

const MANY: usize = 1000;

async fn a_thousand_linked_requests_complete_at_once(app: TestApp) {
    let org = org(&app).await;
    // Arrange: a thousand requests from two teams, filed concurrently.
    let mut filed: Vec<Value> = Vec::with_capacity(MANY);
    for batch in 0..MANY / 50 {
        let calls = (0..50).map(|n| {
            let who = if n % 2 == 0 {
                &org.front_a
            } else {
                &org.front_b
            };
            let body = filing(&format!("Size 44, customer {}", batch * 50 + n));
            app.post("/api/v1/requests", &who.token, body)
        });
        for answer in futures_util::future::join_all(calls).await {
            filed.push(answer.expect(201).body);
        }
    }
    let stock = initiative(
        &app,
        &org.leader,
        "Stock size 44 in every store",
        Some(&org.service_1),
    )
    .await;
    let refs: Vec<&Value> = filed.iter().collect();
    // Leadership listens for answers: the completion must also write one
    // webhook outbox row per request, in the same transaction.
    app.post(
        "/api/v1/webhooks",
        &org.leader.token,
        json!({"url": "https://hooks.example.com/upturn", "events": ["resolved"]}),
    )
    .await
    .expect(201);

    // Act: link them all in one call, then complete.
    let started = Instant::now();
    let linked = link(&app, &org.leader, id(&stock), &refs)
        .await
        .expect(200)
        .body;
    let link_time = started.elapsed();
    assert_eq!(linked["counts"]["linked"], MANY);
    assert_eq!(linked["counts"]["teams"], 2);
    let started = Instant::now();
    let done = patch(
        &app,
        &org.service1,
        id(&stock),
        json!({"status": "done", "public_note": "In stock everywhere"}),
    )
    .await
    .expect(200)
    .body;
    let done_time = started.elapsed();
    println!(
        "{:?}: linking {MANY} requests took {link_time:?}, completing them {done_time:?} (debug build, for information)",
        app.backend
    );
    assert_eq!(
        done["counts"],
        json!({"linked": MANY, "teams": 2, "customers_waiting": 0})
    );

    // Assert: every one resolved, one event each, every filer's team told.
    let n = |sql: String| {
        let app = &app;
        async move { app.count(&sql).await }
    };
    let initiative_id = id(&stock);
    // The only initiative with links in this database: no uuid literal
    // (stored as a blob on SQLite, a uuid on PostgreSQL) is needed.
    let linked_ids = "SELECT request_id FROM initiative_requests";
    assert_eq!(
        n(format!("SELECT COUNT(*) AS n FROM ({linked_ids}) AS l")).await,
        MANY as i64
    );
    assert_eq!(
        n(format!(
            "SELECT COUNT(*) AS n FROM requests WHERE status = 'resolved' AND level = 'frontline' \
             AND resolved_level = 'service' AND resolution_note = 'In stock everywhere' \
             AND id IN ({linked_ids})"
        ))
        .await,
        MANY as i64
    );
    assert_eq!(
        n(format!(
            "SELECT COUNT(DISTINCT request_id) AS n FROM events WHERE type = 'resolved' AND request_id IN ({linked_ids})"
        ))
        .await,
        MANY as i64
    );
    assert_eq!(
        n(format!("SELECT COUNT(*) AS n FROM events WHERE type = 'resolved' AND request_id IN ({linked_ids})")).await,
        MANY as i64,
        "one resolved event each"
    );
    assert_eq!(
        n(format!(
            "SELECT COUNT(*) AS n FROM webhook_outbox o JOIN events e ON e.id = o.event_id \
             WHERE e.type = 'resolved' AND o.request_id IN ({linked_ids})"
        ))
        .await,
        MANY as i64,
        "one outbox row for each answer"
    );
    for email in ["front.a@test.upturn", "front.b@test.upturn"] {
        assert_eq!(
            n(format!(
                "SELECT COUNT(*) AS n FROM inbox_items WHERE event_type = 'resolved' \
                 AND member_id IN (SELECT id FROM members WHERE email = '{email}')"
            ))
            .await,
            (MANY / 2) as i64,
            "{email}"
        );
    }
    // The HTTP view agrees, a page at a time.
    let mut resolved = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/requests?status=resolved&limit=200&cursor={c}"),
            None => "/api/v1/requests?status=resolved&limit=200".to_owned(),
        };
        let page = app.get(&path, &org.leader.token).await.expect(200).body;
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["initiative_id"], initiative_id);
            resolved += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(resolved, MANY);
    roll_ups_hold(&app, &org).await;
}

// ---------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initiative_routes_are_documented() {
    let app = common::spawn_app(common::Backend::Sqlite).await;
    let doc = app.get_public("/api/openapi.json").await.expect(200).body;
    for (method, path) in [
        ("get", "/api/v1/initiatives"),
        ("post", "/api/v1/initiatives"),
        ("get", "/api/v1/initiatives/{id}"),
        ("patch", "/api/v1/initiatives/{id}"),
        ("post", "/api/v1/initiatives/{id}/requests"),
        ("get", "/api/v1/initiatives/{id}/suggestions"),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} undocumented");
        assert_eq!(operation["tags"][0], "initiatives", "{method} {path}");
        assert!(
            !operation["description"].as_str().unwrap_or("").is_empty()
                || !operation["summary"].as_str().unwrap_or("").is_empty(),
            "{method} {path} has no description"
        );
        assert!(
            operation["responses"]["403"].is_object(),
            "{method} {path} documents 403"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "InitiativeResponse",
        "PatchInitiativeBody",
        "LinkBody",
        "SuggestionList",
    ] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
    // Done or dropped says what the customers are told; nothing else needs a note.
    let patch = &schemas["PatchInitiativeBody"];
    assert_eq!(patch["required"], Value::Null, "{patch}");
    assert_eq!(
        patch["if"]["properties"]["status"]["enum"],
        json!(["done", "dropped"])
    );
    assert_eq!(patch["then"]["required"], json!(["public_note"]));
    assert_eq!(patch["then"]["properties"]["public_note"]["type"], "string");
    assert!(schemas["RequestResponse"]["properties"]["initiative_id"].is_object());
    assert!(schemas["TrackResponse"]["properties"]["initiative"].is_object());
}

// ---------------------------------------------------------------------------
// Release-mode timing (information, never asserted)
// ---------------------------------------------------------------------------

/// `cargo test --release --test api_initiatives timing -- --ignored --nocapture`
/// (with `UPTURN_TEST_POSTGRES_URL` for the PostgreSQL one): three rounds of
/// linking a thousand requests to an initiative and completing it, beside
/// the latency of `GET /healthz` on the same server as a floor.
mod timing {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "release-mode timing: run with --release -- --ignored --nocapture"]
    async fn sqlite() {
        super::timing(crate::common::spawn_app(crate::common::Backend::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "release-mode timing: run with --release -- --ignored --nocapture, with UPTURN_TEST_POSTGRES_URL"]
    async fn postgres() {
        super::timing(crate::common::spawn_app(crate::common::Backend::Postgres).await).await;
    }
}

async fn timing(app: TestApp) {
    let org = org(&app).await;
    let mut healthz: Vec<std::time::Duration> = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let answer = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert!(answer.status().is_success());
        answer.bytes().await.unwrap();
        healthz.push(started.elapsed());
    }
    healthz.sort();
    println!(
        "{:?}: GET /healthz median {:?}, p90 {:?}",
        app.backend, healthz[100], healthz[180]
    );
    for round in 0..3 {
        let mut filed: Vec<Value> = Vec::with_capacity(MANY);
        for batch in 0..MANY / 50 {
            let calls = (0..50).map(|n| {
                let who = if n % 2 == 0 {
                    &org.front_a
                } else {
                    &org.front_b
                };
                let body = filing(&format!(
                    "Size 44, round {round}, customer {}",
                    batch * 50 + n
                ));
                app.post("/api/v1/requests", &who.token, body)
            });
            for answer in futures_util::future::join_all(calls).await {
                filed.push(answer.expect(201).body);
            }
        }
        let stock = initiative(&app, &org.leader, "Stock size 44", Some(&org.service_1)).await;
        let refs: Vec<&Value> = filed.iter().collect();
        let started = Instant::now();
        link(&app, &org.leader, id(&stock), &refs).await.expect(200);
        let link_time = started.elapsed();
        let started = Instant::now();
        let done = patch(
            &app,
            &org.service1,
            id(&stock),
            json!({"status": "done", "public_note": "In stock"}),
        )
        .await
        .expect(200)
        .body;
        let done_time = started.elapsed();
        assert_eq!(done["counts"]["linked"], MANY);
        println!(
            "{:?} round {round}: POST /initiatives/{{id}}/requests with {MANY} ids {link_time:?}; PATCH done over {MANY} linked {done_time:?}",
            app.backend
        );
    }
}
