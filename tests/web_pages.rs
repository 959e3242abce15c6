//! The web app through the real HTTP server, as a browser without script
//! uses it (forms, cookies, redirects), on both backends: the walk down the
//! pyramid and back up through the pages, sessions and CSRF, the security
//! headers, the same visibility as the API (another team's request: `404`),
//! languages, and filing retried with one `Idempotency-Key`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pages::Visitor;
use common::{TestApp, org};

/// The request id in a receipt's address (`/app/requests/{id}?filed=1`).
fn receipt_id(location: &str) -> String {
    location
        .trim_start_matches("/app/requests/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

const FILING: &[(&str, &str)] = &[
    ("customer_expectation", "Trousers in size 44, today"),
    ("kind", "unmet_need"),
    ("category", "availability"),
    ("urgency", "high"),
    ("channel", "in_person"),
    ("customer_name", "Mme Lefèvre"),
    ("customer_contact", "+33 6 12 34 56 78"),
    ("consent", "yes"),
];

async fn file_through_the_page(front: &mut Visitor<'_>) -> String {
    front.get("/app/file").await.expect(200);
    let filed = front.post("/app/file", FILING).await;
    assert_eq!(filed.status, 303, "{}", filed.html);
    let location = filed.header("location").unwrap();
    assert!(location.starts_with("/app/requests/"), "{location}");
    receipt_id(&location)
}

async fn signing_in_opens_each_members_home(app: TestApp) {
    let o = org(&app).await;
    let _ = o;
    for (email, home) in [
        ("front.a@test.upturn", "/app/file"),
        ("manager.a@test.upturn", "/app/requests"),
        ("service.1@test.upturn", "/app/requests"),
        ("leader@test.upturn", "/app/dashboard"),
        (common::ADMIN_EMAIL, "/app/org"),
    ] {
        let mut visitor = Visitor::new(&app, "en");
        visitor.get("/").await.expect(200);
        let page = visitor
            .post(
                "/sign-in",
                &[("email", email), ("password", common::PASSWORD)],
            )
            .await;
        assert_eq!(page.status, 303, "{email}: {}", page.html);
        assert_eq!(page.header("location").as_deref(), Some(home), "{email}");
        let session = page
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("upturn_session="))
            .expect("a session cookie");
        assert!(session.contains("HttpOnly"), "{session}");
        assert!(session.contains("SameSite=Lax"), "{session}");
        assert!(!session.contains("Secure"), "plain http: {session}");
        // Signed in, `/` opens the home too.
        let again = visitor.get("/").await;
        assert_eq!(again.status, 303);
        assert_eq!(again.header("location").as_deref(), Some(home));
    }
}

async fn a_wrong_password_is_told_in_words_and_a_signed_out_visitor_is_sent_to_sign_in(
    app: TestApp,
) {
    let _o = org(&app).await;
    let mut visitor = Visitor::new(&app, "fr-FR,fr;q=0.9");
    visitor.get("/").await.expect(200);
    let page = visitor
        .post(
            "/sign-in",
            &[
                ("email", "front.a@test.upturn"),
                ("password", "not the one"),
            ],
        )
        .await
        .expect(401);
    assert!(page.html.contains("<html lang=\"fr\">"), "{}", page.html);
    assert!(
        page.html.contains("E-mail inconnu ou mot de passe erroné."),
        "{}",
        page.html
    );
    assert!(
        page.set_cookies()
            .iter()
            .all(|c| !c.starts_with("upturn_session=")),
        "no session for a wrong password"
    );
    let page = visitor.get("/app/requests?status=new").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.header("location").as_deref(),
        Some("/?next=%2Fapp%2Frequests%3Fstatus%3Dnew")
    );
}

async fn every_form_needs_its_own_csrf_token(app: TestApp) {
    let _o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    let mut other = Visitor::signed_in(&app, "front.b@test.upturn", "en").await;
    front.get("/app/file").await.expect(200);
    other.get("/app/file").await.expect(200);
    let theirs = other.csrf.clone();
    for csrf in [None, Some("not-a-token"), Some(theirs.as_str())] {
        let page = front.post_raw("/app/file", FILING, csrf, &[]).await;
        assert_eq!(page.status, 403, "csrf {csrf:?}: {}", page.html);
        assert!(
            page.html.contains("the form has expired") || page.html.contains("reload the page")
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 0);
    // Signing in needs the visitor's token too.
    let mut stranger = Visitor::new(&app, "en");
    stranger.get("/").await.expect(200);
    let page = stranger
        .post_raw(
            "/sign-in",
            &[
                ("email", "front.a@test.upturn"),
                ("password", common::PASSWORD),
            ],
            None,
            &[],
        )
        .await;
    assert_eq!(page.status, 403);
}

async fn pages_carry_a_strict_policy_and_no_inline_script_or_style(app: TestApp) {
    let o = org(&app).await;
    let request = app.file(&o.front_a).await;
    let id = request["id"].as_str().unwrap();
    let code = request["tracking_code"].as_str().unwrap();
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "en").await;
    let mut pages = Vec::new();
    for path in ["/app/file", "/app/requests", "/app/inbox"] {
        pages.push((path.to_owned(), front.get(path).await.expect(200)));
    }
    pages.push((
        format!("/app/requests/{id}"),
        front.get(&format!("/app/requests/{id}")).await.expect(200),
    ));
    pages.push((
        "/app/dashboard".to_owned(),
        leader.get("/app/dashboard").await.expect(200),
    ));
    pages.push((
        format!("/t/{code}"),
        Visitor::new(&app, "en")
            .get(&format!("/t/{code}"))
            .await
            .expect(200),
    ));
    pages.push((
        "/".to_owned(),
        Visitor::new(&app, "en").get("/").await.expect(200),
    ));
    for (path, page) in pages {
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            page.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            page.header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        for script in page.html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            assert!(
                tag.contains("src=\"/assets/"),
                "{path}: inline script <script{tag}>"
            );
        }
        assert!(!page.html.contains(" style=\""), "{path}: inline style");
        // The frame is whole: a plain title, a plain page name.
        let title = page
            .html
            .split("<title>")
            .nth(1)
            .unwrap()
            .split("</title>")
            .next()
            .unwrap();
        assert!(
            !title.contains('<') && title.ends_with(" · Upturn"),
            "{path}: title {title:?}"
        );
        let name = page
            .html
            .split("<body data-page=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{path}: page {name:?}"
        );
        assert!(!page.html.contains("onclick"), "{path}: inline handler");
    }
    // Over https (behind a proxy that says so), the session cookie is `Secure`.
    let mut secure = Visitor::new(&app, "en");
    secure.get("/").await.expect(200);
    let csrf = secure.csrf.clone();
    let page = secure
        .post_raw(
            "/sign-in",
            &[
                ("email", "front.a@test.upturn"),
                ("password", common::PASSWORD),
            ],
            Some(&csrf),
            &[("x-forwarded-proto", "https")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(
        page.set_cookies()
            .iter()
            .any(|c| c.starts_with("upturn_session=") && c.contains("Secure")),
        "{:?}",
        page.set_cookies()
    );
}

async fn a_page_of_another_teams_request_is_404_like_the_api(app: TestApp) {
    let o = org(&app).await;
    let mut front_a = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    let id = file_through_the_page(&mut front_a).await;
    let path = format!("/app/requests/{id}");
    front_a.get(&path).await.expect(200);
    for email in [
        "front.b@test.upturn",
        "manager.b@test.upturn",
        "service.1@test.upturn",
        common::ADMIN_EMAIL,
    ] {
        let mut stranger = Visitor::signed_in(&app, email, "en").await;
        let page = stranger.get(&path).await;
        assert_eq!(page.status, 404, "{email} sees {path}");
        assert!(page.html.contains("There is nothing here"), "{}", page.html);
        assert!(!page.html.contains("Trousers"), "{email}: nothing leaks");
        stranger.get("/app/requests").await;
        let page = stranger
            .post(&format!("{path}/acknowledge"), &[("version", "1")])
            .await;
        assert_eq!(page.status, 404, "{email} acts on {path}");
        let list = stranger.get("/app/requests").await;
        assert!(!list.html.contains(&id), "{email}'s list shows it");
    }
    // The API agrees.
    app.get(&format!("/api/v1/requests/{id}"), &o.front_b.token)
        .await
        .expect(404);
    // Unknown ids and malformed ones are 404 too, and so is a page that
    // does not exist (in words; the API's unknown paths stay problem+json).
    let missing = front_a.get("/app/no-such-page").await.expect(404);
    assert!(missing.html.contains("There is nothing here"));
    app.get_public("/api/v1/no-such-thing")
        .await
        .expect_problem(404, "not_found");
    front_a.get("/app/requests/not-an-id").await.expect(404);
    front_a
        .get(&format!("/app/requests/{}", uuid::Uuid::now_v7()))
        .await
        .expect(404);
}

async fn the_walk_down_and_back_up_through_the_pages(app: TestApp) {
    let o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "fr-FR").await;
    let id = file_through_the_page(&mut front).await;

    // The receipt: the tracking code, large, with its QR code.
    let receipt = front
        .get(&format!("/app/requests/{id}?filed=1"))
        .await
        .expect(200);
    let request = app
        .get(&format!("/api/v1/requests/{id}"), &o.front_a.token)
        .await
        .expect(200);
    let code = request.body["tracking_code"].as_str().unwrap().to_owned();
    assert!(
        receipt
            .html
            .contains(&format!("id=\"tracking-code\">{code}<")),
        "{}",
        receipt.html
    );
    assert!(receipt.html.contains("<svg role=\"img\""), "a QR code");
    assert!(
        receipt.html.contains(&format!("/t/{code}")),
        "the QR code's target"
    );
    assert!(receipt.html.contains("Enregistrée. Merci !"), "in French");
    assert_eq!(
        request.body["title"], "Trousers in size 44, today",
        "the title comes from the expectation"
    );
    assert_eq!(request.body["kind"], "unmet_need");
    assert_eq!(request.body["customer"]["consent_follow_up"], true);

    // The manager acknowledges and routes it down to Purchasing.
    let mut manager = Visitor::signed_in(&app, "manager.a@test.upturn", "en").await;
    let board = manager.get("/app/requests").await.expect(200);
    assert!(
        board.html.contains(&format!("/app/requests/{id}")),
        "on the board"
    );
    // The inbox link counts what the inbox holds unread.
    let inbox = app
        .get("/api/v1/inbox", &o.manager_a.token)
        .await
        .expect(200);
    let unread = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["read"] == false)
        .count();
    assert!(unread >= 1, "{}", inbox.body);
    assert!(board.html.contains("id=\"unread\""), "{}", board.html);
    let badge = board.html.split("id=\"unread\"").nth(1).unwrap();
    let shown = badge.split('>').nth(1).unwrap().split('<').next().unwrap();
    assert_eq!(shown, unread.to_string());
    let page = manager
        .get(&format!("/app/requests/{id}"))
        .await
        .expect(200);
    assert!(page.html.contains("id=\"do-acknowledge\""));
    assert!(
        page.html.contains(&o.service_1),
        "Purchasing is a route target"
    );
    manager
        .post(
            &format!("/app/requests/{id}/acknowledge"),
            &[("version", "1")],
        )
        .await;
    let routed = manager
        .post(
            &format!("/app/requests/{id}/route"),
            &[
                ("to", o.service_1.as_str()),
                ("note", "Stock is yours"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(routed.status, 303, "{}", routed.html);
    let request = app
        .get(&format!("/api/v1/requests/{id}"), &o.front_a.token)
        .await
        .expect(200);
    assert_eq!(request.body["level"], "service");
    assert_eq!(request.body["unit_id"], o.service_1.as_str());

    // A stale version is told in words, nothing changes.
    let stale = manager
        .post(
            &format!("/app/requests/{id}/status"),
            &[("status", "in_progress"), ("version", "1")],
        )
        .await;
    assert!(
        stale.status == 409 || stale.status == 403,
        "{}",
        stale.status
    );

    // Purchasing resolves it, with a note; without one it is refused in words.
    let mut service = Visitor::signed_in(&app, "service.1@test.upturn", "en").await;
    service
        .get(&format!("/app/requests/{id}"))
        .await
        .expect(200);
    service
        .post(&format!("/app/requests/{id}/acknowledge"), &[])
        .await;
    let refused = service
        .post(
            &format!("/app/requests/{id}/status"),
            &[("status", "resolved"), ("note", "")],
        )
        .await
        .expect(422);
    assert!(
        refused.html.contains("Some fields need another look."),
        "{}",
        refused.html
    );
    let resolved = service
        .post(
            &format!("/app/requests/{id}/status"),
            &[
                ("status", "resolved"),
                ("note", "Size 44 is back on Friday"),
            ],
        )
        .await;
    assert_eq!(resolved.status, 303, "{}", resolved.html);

    // Back up: the front line has it to call back, and records the follow-up.
    let list = front.get("/app/requests").await.expect(200);
    assert!(list.html.contains("À rappeler"), "{}", list.html);
    assert!(list.html.contains(&format!("/app/requests/{id}#follow-up")));
    let inbox = front.get("/app/inbox").await.expect(200);
    assert!(
        inbox.html.contains("Résolue"),
        "the inbox in French: {}",
        inbox.html
    );
    let followed = front
        .post(
            &format!("/app/requests/{id}/follow-up"),
            &[
                ("reached", "yes"),
                ("satisfaction", "5"),
                ("would_recommend", "9"),
                ("note", "Ravie"),
            ],
        )
        .await;
    assert_eq!(followed.status, 303, "{}", followed.html);
    let request = app
        .get(&format!("/api/v1/requests/{id}"), &o.front_a.token)
        .await
        .expect(200);
    assert_eq!(request.body["status"], "closed");

    // The customer's page, in their language, with nothing of the staff's.
    let mut customer = Visitor::new(&app, "fr-FR");
    let tracked = customer
        .get(&format!("/t/{}", code.to_lowercase()))
        .await
        .expect(200);
    assert!(
        tracked.html.contains("Votre demande est terminée"),
        "{}",
        tracked.html
    );
    assert!(tracked.html.contains("Size 44 is back on Friday"));
    for staff in ["Stock is yours", "test.upturn", "Ravie", "Lefèvre", "+33"] {
        assert!(
            !tracked.html.contains(staff),
            "the tracking page shows {staff}"
        );
    }
    let mut english = Visitor::new(&app, "en-GB");
    let tracked = english.get(&format!("/t/{code}")).await.expect(200);
    assert!(tracked.html.contains("Your request is complete"));
    english.get("/t/NOPE-NOPE").await.expect(404);

    // Leadership's dashboard counts it.
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "en").await;
    let dashboard = leader.get("/app/dashboard").await.expect(200);
    assert!(
        dashboard.html.contains("id=\"volume-total\">1<"),
        "{}",
        dashboard.html
    );
    assert!(
        dashboard.html.contains("id=\"frontline-share\">0%<"),
        "resolved by a service"
    );
    assert!(
        dashboard.html.contains("estimate"),
        "silent dissatisfaction is an estimate"
    );
    // The front line may not read it, as in the API.
    front.get("/app/dashboard").await.expect(403);
}

async fn filing_sent_again_with_its_key_is_filed_once(app: TestApp) {
    let _o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    front.get("/app/file").await.expect(200);
    let scripted = [
        ("accept", "application/json"),
        ("idempotency-key", "k-0001-offline"),
    ];
    let csrf = front.csrf.clone();
    let first = front
        .post_raw("/app/file", FILING, Some(&csrf), &scripted)
        .await;
    assert_eq!(first.status, 201, "{}", first.html);
    let receipt: serde_json::Value = serde_json::from_str(&first.html).unwrap();
    // The answer never arrived: the phone sends it again, after signing in
    // again (a new session, so a new CSRF token: tokens are signed with
    // their issue time in seconds).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut again = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    again.get("/app/file").await.expect(200);
    let csrf = again.csrf.clone();
    assert_ne!(csrf, front.csrf);
    let second = again
        .post_raw("/app/file", FILING, Some(&csrf), &scripted)
        .await;
    assert_eq!(second.status, 201, "{}", second.html);
    let replayed: serde_json::Value = serde_json::from_str(&second.html).unwrap();
    assert_eq!(receipt, replayed);
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 1);
    // The same key with other content is refused, nothing is filed.
    let other: Vec<(&str, &str)> = FILING
        .iter()
        .map(|(k, v)| {
            if *k == "category" {
                (*k, "price")
            } else {
                (*k, *v)
            }
        })
        .collect();
    let third = again
        .post_raw("/app/file", &other, Some(&csrf), &scripted)
        .await;
    assert_eq!(third.status, 422, "{}", third.html);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 1);
}

async fn a_refused_form_keeps_what_was_typed_and_names_the_fields(app: TestApp) {
    let _o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "fr-FR").await;
    front.get("/app/file").await.expect(200);
    let page = front
        .post(
            "/app/file",
            &[
                ("customer_expectation", "Un pantalon en 44"),
                ("kind", "need"),
                ("category", "no-such-category"),
                ("channel", "in_person"),
                ("on_the_spot", "yes"),
            ],
        )
        .await
        .expect(422);
    assert!(
        page.html.contains("Certains champs sont à revoir."),
        "{}",
        page.html
    );
    assert!(page.html.contains("<li>Catégorie</li>"), "{}", page.html);
    assert!(
        page.html.contains("<li>Ce que j&#39;ai fait</li>") || page.html.contains("Ce que j"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains(">Un pantalon en 44</textarea>"),
        "kept: {}",
        page.html
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 0);
}

async fn the_language_switch_is_remembered_for_the_member(app: TestApp) {
    let _o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "fr-FR").await;
    let page = front.get("/app/file").await.expect(200);
    assert!(page.html.contains("<html lang=\"fr\">"));
    let switched = front
        .post("/language", &[("lang", "en"), ("back", "/app/file")])
        .await;
    assert_eq!(switched.status, 303);
    assert_eq!(switched.header("location").as_deref(), Some("/app/file"));
    let page = front.get("/app/file").await.expect(200);
    assert!(page.html.contains("<html lang=\"en\">"));
    // Another device whose browser speaks French: the member's choice wins.
    let mut phone = Visitor::signed_in(&app, "front.a@test.upturn", "fr-FR").await;
    let page = phone.get("/app/file").await.expect(200);
    assert!(
        page.html.contains("<html lang=\"en\">"),
        "{}",
        &page.html[..200]
    );
    // Never somewhere else after switching.
    let away = phone
        .post("/language", &[("lang", "fr"), ("back", "//evil.example/x")])
        .await;
    assert_eq!(away.header("location").as_deref(), Some("/"));
}

async fn the_pulse_is_answered_once_from_its_page(app: TestApp) {
    let o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    let page = front.get("/app/pulse").await.expect(200);
    assert!(
        page.html.contains("id=\"pulse\""),
        "the form: {}",
        page.html
    );
    assert!(page.html.contains("never kept with your name"));
    let answer = [
        ("happiness", "4"),
        ("pleasure", "5"),
        ("engagement", "3"),
        ("comment", ""),
    ];
    let missing = front
        .post("/app/pulse", &[("happiness", "4"), ("pleasure", "5")])
        .await
        .expect(422);
    assert!(missing.html.contains("Some fields need another look."));
    let sent = front.post("/app/pulse", &answer).await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    let page = front.get("/app/pulse?thanks=1").await.expect(200);
    assert!(page.html.contains("id=\"pulse-thanks\""));
    assert!(
        !page.html.contains("id=\"pulse\""),
        "answered: no form any more"
    );
    let again = front.post("/app/pulse", &answer).await.expect(409);
    assert!(again.html.contains("You have already answered this week."));
    let current = app
        .get("/api/v1/pulse/current", &o.front_a.token)
        .await
        .expect(200);
    assert_eq!(current.body["answered"], true);
    // Admins belong to no unit: refused as by the API.
    let mut admin = Visitor::signed_in(&app, common::ADMIN_EMAIL, "en").await;
    admin.get("/app/pulse").await.expect(403);
    // Leadership reads the pulse beside the customers' outcomes, by category too.
    app.file(&o.front_a).await;
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "en").await;
    let dashboard = leader.get("/app/dashboard").await.expect(200);
    assert!(
        dashboard.html.contains("id=\"pulse-title\""),
        "{}",
        dashboard.html
    );
    assert!(
        dashboard
            .html
            .contains("<th scope=\"row\">Availability</th>")
    );
    // A manager reads their team's figures, without the pulse (leaders only).
    let mut manager = Visitor::signed_in(&app, "manager.a@test.upturn", "en").await;
    let dashboard = manager.get("/app/dashboard").await.expect(200);
    assert!(!dashboard.html.contains("id=\"pulse-title\""));
}

async fn a_leader_erases_the_customers_data_from_the_request_page(app: TestApp) {
    // Arrange: a request filed through the page, for a customer.
    let o = org(&app).await;
    let mut front = Visitor::signed_in(&app, "front.a@test.upturn", "en").await;
    let id = file_through_the_page(&mut front).await;
    let path = format!("/app/requests/{id}");
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "fr").await;
    let mut manager = Visitor::signed_in(&app, "manager.a@test.upturn", "en").await;

    // Only the leader is offered the erasure, behind a step that says
    // what it does.
    let page = leader.get(&path).await.expect(200);
    assert!(page.html.contains("Lefèvre"), "{}", page.html);
    assert!(
        page.html.contains("id=\"do-erase-customer\""),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("Effacer les données personnelles du client")
    );
    assert!(
        page.html.contains("code de suivi"),
        "the step explains what stays"
    );
    let page = manager.get(&path).await.expect(200);
    assert!(!page.html.contains("erase-customer"), "{}", page.html);

    // A manager who posts it anyway is told no, in words; nothing changes.
    let version = app
        .get(&format!("/api/v1/requests/{id}"), &o.leader.token)
        .await
        .body["version"]
        .to_string();
    let refused = manager
        .post(
            &format!("{path}/erase-customer"),
            &[("version", version.as_str())],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(refused.html.contains("Lefèvre"));

    // Act: the leader confirms.
    leader.get(&path).await.expect(200);
    let done = leader
        .post(
            &format!("{path}/erase-customer"),
            &[("version", version.as_str())],
        )
        .await;

    // Assert: back to the request, without the customer, with the event in
    // the timeline and no button left.
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.header("location").as_deref(), Some(path.as_str()));
    let page = leader.get(&path).await.expect(200);
    assert!(!page.html.contains("Lefèvre"), "{}", page.html);
    assert!(!page.html.contains("+33 6 12 34 56 78"));
    assert!(
        page.html.contains("Données du client effacées"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("id=\"do-erase-customer\""));
    let page = front.get(&path).await.expect(200);
    assert!(page.html.contains("Customer data erased"), "{}", page.html);
    assert!(!page.html.contains("Lefèvre"));
}

/// When the dashboard's figures were computed (`<time>` after `id="as-of"`).
fn as_of(html: &str) -> String {
    let from = html.find("id=\"as-of\"").expect("the dashboard says when");
    let rest = &html[from..];
    let start = rest.find("datetime=\"").unwrap() + "datetime=\"".len();
    rest[start..].split('"').next().unwrap().to_owned()
}

async fn the_dashboard_keeps_its_figures_for_a_minute(app: TestApp) {
    // Arrange: one request filed, the clock stopped.
    let o = org(&app).await;
    let clock = app.store.clock();
    clock.set(clock.now());
    app.file(&o.front_a).await;
    let mut leader = Visitor::signed_in(&app, "leader@test.upturn", "en").await;

    // Act and assert: figures computed once, shown with their time.
    let first = leader.get("/app/dashboard").await.expect(200);
    assert!(
        first.html.contains("id=\"volume-total\">1<"),
        "{}",
        first.html
    );
    // Filed within the minute: the same figures, of the same time.
    clock.advance(chrono::Duration::seconds(59));
    app.file(&o.front_a).await;
    let kept = leader.get("/app/dashboard").await.expect(200);
    assert!(kept.html.contains("id=\"volume-total\">1<"));
    assert_eq!(as_of(&kept.html), as_of(&first.html));
    // Another period is computed for itself.
    let week = leader.get("/app/dashboard?days=7").await.expect(200);
    assert!(week.html.contains("id=\"volume-total\">2<"));
    // A minute after they were computed: computed again.
    clock.advance(chrono::Duration::seconds(1));
    let again = leader.get("/app/dashboard").await.expect(200);
    assert!(again.html.contains("id=\"volume-total\">2<"));
    assert_ne!(as_of(&again.html), as_of(&first.html));
    // Another team's manager gets their own team's figures, not the leader's.
    let mut manager = Visitor::signed_in(&app, "manager.b@test.upturn", "en").await;
    let theirs = manager.get("/app/dashboard").await.expect(200);
    assert!(
        theirs.html.contains("id=\"volume-total\">0<"),
        "{}",
        theirs.html
    );
}

on_both_backends!(
    the_dashboard_keeps_its_figures_for_a_minute,
    a_leader_erases_the_customers_data_from_the_request_page,
    the_pulse_is_answered_once_from_its_page,
    signing_in_opens_each_members_home,
    a_wrong_password_is_told_in_words_and_a_signed_out_visitor_is_sent_to_sign_in,
    every_form_needs_its_own_csrf_token,
    pages_carry_a_strict_policy_and_no_inline_script_or_style,
    a_page_of_another_teams_request_is_404_like_the_api,
    the_walk_down_and_back_up_through_the_pages,
    filing_sent_again_with_its_key_is_filed_once,
    a_refused_form_keeps_what_was_typed_and_names_the_fields,
    the_language_switch_is_remembered_for_the_member,
);
