//! The pages that change the organisation and its settings, through the
//! real server as a browser without script uses them, on both backends:
//! admins' units and members, leadership's routing rules and webhooks (the
//! secret shown once), initiatives from creation to done, the audit trail
//! of who changed what — each with the same refusals as the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pages::Visitor;
use common::{TestApp, org};

fn created_id(location: &str, prefix: &str) -> String {
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} is not under {prefix}"))
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned()
}

async fn admins_run_the_organisation_from_its_page(app: TestApp) {
    let o = org(&app).await;
    let mut admin = Visitor::signed_in(&app, common::ADMIN_EMAIL, "en").await;
    let page = admin.get("/app/org").await.expect(200);
    assert!(page.html.contains("Lyon store"), "the units are listed");
    let made = admin
        .post(
            "/app/org/units",
            &[("name", "Marseille store"), ("kind", "team")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let units = app
        .get("/api/v1/units?limit=200", &o.admin)
        .await
        .expect(200);
    let marseille = units.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Marseille store")
        .expect("the unit exists")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin.get("/app/org").await.expect(200);
    let member = admin
        .post(
            "/app/org/members",
            &[
                ("name", "Léa"),
                ("email", "lea@test.upturn"),
                ("role", "frontline"),
                ("unit", marseille.as_str()),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(member.status, 303, "{}", member.html);
    let mut lea = Visitor::signed_in(&app, "lea@test.upturn", "fr-FR").await;
    lea.get("/app/file").await.expect(200);
    // The same refusals as the API: a taken email, a role that does not fit.
    admin.get("/app/org").await.expect(200);
    let taken = admin
        .post(
            "/app/org/members",
            &[
                ("name", "Other"),
                ("email", "lea@test.upturn"),
                ("role", "frontline"),
                ("unit", marseille.as_str()),
                ("password", common::PASSWORD),
            ],
        )
        .await
        .expect(409);
    assert!(
        taken.html.contains("already used by another member"),
        "{}",
        taken.html
    );
    // Only admins manage the organisation.
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "en").await;
    leader.get("/app/org").await.expect(403);
    let csrf = leader.csrf.clone();
    leader
        .post_raw(
            "/app/org/units",
            &[("name", "Sneaky"), ("kind", "team")],
            Some(&csrf),
            &[],
        )
        .await
        .expect(403);
}

async fn leadership_edits_rules_and_registers_webhooks_from_pages(app: TestApp) {
    let o = org(&app).await;
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "en").await;
    leader.get("/app/rules").await.expect(200);
    let rule = leader
        .post(
            "/app/rules",
            &[
                ("name", "Stock to Purchasing"),
                ("position", "1"),
                ("target", o.service_1.as_str()),
                ("categories", "availability"),
                ("keywords", ""),
                ("active", "yes"),
            ],
        )
        .await;
    assert_eq!(rule.status, 303, "{}", rule.html);
    let rules = app
        .get("/api/v1/routing-rules", &o.leader.token)
        .await
        .expect(200);
    let rules = rules.body["items"].as_array().unwrap().clone();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["target_unit_id"], o.service_1.as_str());
    assert_eq!(rules[0]["match"]["categories"][0], "availability");

    leader.get("/app/webhooks").await.expect(200);
    let created = leader
        .post(
            "/app/webhooks",
            &[
                ("url", "https://hooks.example.com/upturn"),
                ("events", "filed"),
                ("events", "resolved"),
                ("description", "Our ticketing"),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.html);
    let start = created
        .html
        .find("id=\"secret\"")
        .expect("the secret is shown");
    let secret = created.html[start..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert!(secret.len() >= 32, "{secret}");
    let list = leader.get("/app/webhooks").await.expect(200);
    assert!(list.html.contains("hooks.example.com"));
    assert!(
        !list.html.contains(&secret),
        "the secret is shown once only"
    );
    let refused = leader
        .post(
            "/app/webhooks",
            &[("url", "https:///x"), ("events", "filed")],
        )
        .await
        .expect(422);
    assert!(refused.html.contains("Some fields need another look."));
    // A manager may do neither.
    let mut manager = Visitor::signed_in(&app, "manager.a@test.upturn", "en").await;
    manager.get("/app/rules").await.expect(403);
    manager.get("/app/webhooks").await.expect(403);
}

async fn an_initiative_gathers_requests_and_answers_them_all(app: TestApp) {
    let o = org(&app).await;
    let first = app.file(&o.front_a).await;
    let second = app.file(&o.front_a).await;
    let mut manager = Visitor::signed_in(&app, "manager.a@test.upturn", "en").await;
    manager.get("/app/initiatives").await.expect(200);
    let made = manager
        .post(
            "/app/initiatives",
            &[
                ("title", "Stock size 44 in every store"),
                ("description", ""),
                ("unit", o.team_a.as_str()),
                ("target_date", ""),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let path = made.header("location").unwrap();
    let id = created_id(&path, "/app/initiatives/");
    let page = manager.get(&path).await.expect(200);
    assert!(page.html.contains("Stock size 44 in every store"));
    for request in [&first, &second] {
        let linked = manager
            .post(
                &format!("{path}/link"),
                &[("request", request["id"].as_str().unwrap())],
            )
            .await;
        assert_eq!(linked.status, 303, "{}", linked.html);
        manager.get(&path).await.expect(200);
    }
    let initiative = app
        .get(&format!("/api/v1/initiatives/{id}"), &o.manager_a.token)
        .await
        .expect(200);
    assert_eq!(initiative.body["counts"]["linked"], 2);
    let version = initiative.body["version"].to_string();
    let done = manager
        .post(
            &path,
            &[
                ("status", "done"),
                ("public_note", "Size 44 is in every store from Friday"),
                ("version", version.as_str()),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    for request in [&first, &second] {
        let r = app
            .get(
                &format!("/api/v1/requests/{}", request["id"].as_str().unwrap()),
                &o.front_a.token,
            )
            .await
            .expect(200);
        assert_eq!(r.body["status"], "resolved", "{:#}", r.body);
    }
    // The front line may not run initiatives.
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    front.get("/app/initiatives").await.expect(403);
}

async fn admins_and_leaders_read_who_changed_what(app: TestApp) {
    // Arrange: the admin built the organisation; the leader changes a rule.
    let o = org(&app).await;
    let rule = serde_json::json!({"name": "Availability", "position": 10,
        "match": {"categories": ["availability"]}, "target_unit_id": o.service_1});
    app.post("/api/v1/routing-rules", &o.leader.token, rule)
        .await
        .expect(201);
    app.patch(
        &format!("/api/v1/units/{}", o.team_a),
        &o.admin,
        serde_json::json!({"name": "Lyon Part-Dieu"}),
    )
    .await
    .expect(200);

    // The admin: every change, newest first, each a sentence with what changed.
    let mut admin = Visitor::signed_in(&app, common::ADMIN_EMAIL, "en").await;
    let page = admin.get("/app/audit").await.expect(200);
    let html = &page.html;
    assert!(
        html.contains(r#"href="/app/audit""#),
        "the nav links the page"
    );
    assert!(html.contains(r#"<label for="a-entity">"#), "{html}");
    assert!(html.contains(r#"<th scope="col">Who</th>"#), "{html}");
    let renamed = html
        .find("Changed the unit Lyon Part-Dieu")
        .expect("the rename");
    let rule_added = html
        .find("Added the routing rule Availability")
        .expect("the rule");
    let created = html
        .find("Created the unit Lyon store")
        .expect("the creation");
    assert!(renamed < rule_added && rule_added < created, "newest first");
    assert!(html.contains("Name: Lyon store → Lyon Part-Dieu"), "{html}");
    assert!(html.contains("Sends to: – → Purchasing"), "units by name");
    assert!(html.contains("leader@test.upturn"), "who, by name");
    assert!(!html.contains(common::PASSWORD));

    // Filtered by kind and by member, paged.
    let units = admin.get("/app/audit?entity=unit").await.expect(200);
    assert!(units.html.contains("Lyon Part-Dieu"));
    assert!(!units.html.contains("Added the routing rule"));
    let by_leader = admin
        .get(&format!("/app/audit?entity=&actor_id={}", o.leader.id))
        .await
        .expect(200);
    assert!(
        by_leader
            .html
            .contains("Added the routing rule Availability")
    );
    assert!(!by_leader.html.contains("Created the unit"));
    admin.get("/app/audit?entity=castle").await.expect(422);

    // The leader reads it too, in French.
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "fr-FR").await;
    let page = leader.get("/app/audit").await.expect(200);
    assert!(
        page.html.contains("Journal des modifications"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("Ajout de la règle de routage Availability")
    );
    assert!(page.html.contains("Nom : Lyon store → Lyon Part-Dieu"));

    // A manager is refused, and not shown the link.
    let mut manager = Visitor::signed_in(&app, "manager.a@test.upturn", "en").await;
    manager.get("/app/audit").await.expect(403);
    let board = manager.get("/app/requests").await.expect(200);
    assert!(!board.html.contains(r#"href="/app/audit""#));
}

on_both_backends!(
    admins_run_the_organisation_from_its_page,
    leadership_edits_rules_and_registers_webhooks_from_pages,
    an_initiative_gathers_requests_and_answers_them_all,
    admins_and_leaders_read_who_changed_what,
);
