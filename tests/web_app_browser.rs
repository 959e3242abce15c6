//! The web app in a real browser (Debian's Chromium): the whole walk —
//! the front line files on a phone, a manager routes, a service resolves,
//! the front line sees it arrive live and records the follow-up, the
//! customer's tracking page shows it, leadership's dashboard counts it —
//! in French and in English, with axe-core on every page; filing with the
//! network cut; another team's request. Skipped with a message where
//! Chromium is missing (see `browser_test!`).
//!
//! `UPTURN_SCREENS=docs/screens cargo test --test web_app_browser -- --ignored screens`
//! writes the README's screenshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::browser::Browser;
use common::{Backend, Org, PASSWORD, TestApp, org, spawn_app};

const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 800);

/// The words the walk looks for, in one language.
struct Words {
    accept: &'static str,
    closed: &'static str,
    complete: &'static str,
    filed: &'static str,
}

const FRENCH: Words = Words {
    accept: "fr-FR",
    closed: "Clôturée",
    complete: "Votre demande est terminée",
    filed: "Enregistrée. Merci !",
};

const ENGLISH: Words = Words {
    accept: "en-GB",
    closed: "Closed",
    complete: "Your request is complete",
    filed: "Filed. Thank you!",
};

async fn sign_in(app: &TestApp, (width, height): (u32, u32), lang: &str, email: &str) -> Browser {
    let browser = Browser::start(width, height, lang).await;
    browser.goto(&app.url("/")).await;
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    browser
        .wait_for("main#main h1, main#main nav, #intake, .board, .figures")
        .await;
    browser
}

/// axe-core finds nothing, and at 200 % zoom nothing is wider than the
/// window (WCAG 1.4.4 and 1.4.10); the zoom is undone afterwards.
async fn check_page(browser: &Browser, page: &str) {
    browser.assert_no_axe_violations(page).await;
    let overflow = browser
        .execute(
            "document.body.style.zoom = '2';
             const wider = document.documentElement.scrollWidth - document.documentElement.clientWidth;
             const out = [];
             if (wider > 1) { for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect(); if (r.right > document.documentElement.clientWidth + 1) out.push(el.tagName + '.' + el.className + '#' + el.id + ':' + Math.round(r.right)); } }
             document.body.style.zoom = '';
             return wider > 1 ? out.slice(0, 12).join(' | ') : wider;",
            vec![],
        )
        .await;
    assert!(
        overflow.is_i64() && overflow.as_i64().unwrap_or(0) <= 1,
        "{page} at 200 % zoom is wider than the window; too wide: {overflow}"
    );
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = " ";

/// Types into whatever has the focus, as a keyboard does.
async fn press(browser: &Browser, keys: &str) {
    let focused = browser.client().active_element().await.unwrap();
    focused.send_keys(keys).await.unwrap();
}

/// Presses Tab until the element `id` has the focus (at most 40 times).
async fn tab_to(browser: &Browser, id: &str) {
    for _ in 0..40 {
        let focused = browser
            .execute(
                "return document.activeElement && document.activeElement.id",
                vec![],
            )
            .await;
        if focused == id {
            return;
        }
        press(browser, TAB).await;
    }
    panic!("Tab never reached #{id} on {}", browser.current_url().await);
}

/// Fills the intake form as a front-line member would.
async fn fill_intake(front: &Browser, expectation: &str) {
    front.wait_for("#customer_expectation").await;
    front.fill("#customer_expectation", expectation).await;
    front.click("input[name=kind][value=unmet_need]").await;
    front.select("#category", "availability").await;
    front.click("details > summary").await;
    front.fill("#customer_name", "Mme Lefèvre").await;
    front.fill("#customer_contact", "+33 6 12 34 56 78").await;
    front.click("input[name=consent]").await;
}

async fn walk(words: Words) {
    let app = spawn_app(Backend::Sqlite).await;
    let o: Org = org(&app).await;

    // The front line files on a phone; the receipt shows the code and QR code.
    let front = sign_in(&app, PHONE, words.accept, "front.a@test.upturn").await;
    assert!(front.current_url().await.ends_with("/app/file"));
    check_page(&front, "intake").await;
    fill_intake(&front, "Trousers in size 44, today").await;
    front.click("#intake button[type=submit]").await;
    front.wait_for("#tracking-code").await;
    front.wait_for_text("#receipt-title", words.filed).await;
    front.wait_for(".qr-box svg").await;
    check_page(&front, "receipt").await;
    let code = front.text("#tracking-code").await;
    let url = front.current_url().await;
    let id = url
        .split("/app/requests/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 1);

    // The front line watches its team's requests (live).
    front.goto(&app.url("/app/requests")).await;
    front.wait_for(".board").await;
    check_page(&front, "team requests").await;
    assert!(!front.is_present(".call-back").await);

    // The manager acknowledges and routes it down to Purchasing.
    let manager = sign_in(&app, DESKTOP, words.accept, "manager.a@test.upturn").await;
    manager.wait_for(".board").await;
    check_page(&manager, "board").await;
    manager
        .click(&format!("a[href='/app/requests/{id}']"))
        .await;
    manager.wait_for("#do-acknowledge").await;
    check_page(&manager, "request (manager)").await;
    manager.click("#do-acknowledge").await;
    manager
        .wait_until(
            "return !document.querySelector('#do-acknowledge') && !!document.querySelector('#route-to')",
            "acknowledged, the page shown again",
        )
        .await;
    manager.select("#route-to", &o.service_1).await;
    manager.fill("#route-note", "Stock is Purchasing's").await;
    manager.click("#do-route").await;
    manager
        .wait_until("return !document.querySelector('#do-route')", "routed away")
        .await;

    // Purchasing acknowledges and resolves it.
    let service = sign_in(&app, DESKTOP, words.accept, "service.1@test.upturn").await;
    service.goto(&app.url(&format!("/app/requests/{id}"))).await;
    service.click("#do-acknowledge").await;
    service
        .wait_until(
            "return !document.querySelector('#do-acknowledge') && !!document.querySelector('#answer-note')",
            "acknowledged, the page shown again",
        )
        .await;
    service
        .fill("#answer-note", "Size 44 is back in every store on Friday")
        .await;
    service.click("#do-resolve").await;
    service.wait_for("#resolution-note").await;

    // It arrives live on the front line's phone, without a reload.
    front.wait_for(".call-back").await;
    front
        .wait_until(
            "return Number(document.querySelector('#unread').textContent) >= 1",
            "the unread count grows",
        )
        .await;
    front.click(".call-back a").await;
    front.wait_for("#do-follow-up").await;
    check_page(&front, "request (follow-up)").await;
    front.click("input[name=satisfaction][value='5']").await;
    front.select("#would_recommend", "9").await;
    front.click("#do-follow-up").await;
    front.wait_for_text("#status", words.closed).await;
    let request = app
        .get(&format!("/api/v1/requests/{id}"), &o.front_a.token)
        .await
        .expect(200);
    assert_eq!(request.body["status"], "closed");

    // The customer's page, on their phone, in their language.
    let customer = Browser::start(PHONE.0, PHONE.1, words.accept).await;
    customer.goto(&app.url(&format!("/t/{code}"))).await;
    customer.wait_for_text("h1", words.complete).await;
    customer
        .wait_for_text(".card .prewrap", "Size 44 is back in every store on Friday")
        .await;
    check_page(&customer, "tracking").await;
    let text = customer.text("main").await;
    for staff in ["Stock is Purchasing's", "test.upturn", "Lefèvre"] {
        assert!(!text.contains(staff), "the tracking page shows {staff}");
    }

    // Leadership's dashboard counts it.
    let leader = sign_in(&app, DESKTOP, words.accept, "leader@test.upturn").await;
    leader.wait_for(".figures").await;
    assert_eq!(leader.text("#volume-total").await, "1");
    check_page(&leader, "dashboard").await;
    leader.goto(&app.url("/app/inbox")).await;
    check_page(&leader, "inbox").await;
}

async fn offline_filing(app: &TestApp) {
    let front = sign_in(app, PHONE, "fr-FR", "front.a@test.upturn").await;
    front.wait_for("#intake").await;
    front.set_offline(true).await;
    fill_intake(&front, "Un pantalon en 44").await;
    front.click("#intake button[type=submit]").await;
    // Kept on the phone, and the page says so.
    front.wait_for_text("#outbox-count", "1").await;
    front.wait_for_text("#outbox", "Pas de réseau").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 0);
    check_page(&front, "intake, waiting").await;
    // The network is back: sent once, and the page links to the receipt
    // (it does not navigate away: the next customer may be being typed in).
    front.set_offline(false).await;
    front.wait_for("#outbox a[href^='/app/requests/']").await;
    front.wait_for_text("#outbox", "Envoyée").await;
    assert!(
        !front.is_present("#outbox-count").await,
        "nothing waits any more"
    );
    front.click("#outbox a").await;
    front.wait_for("#tracking-code").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 1);
    let stored = front
        .execute("return localStorage.getItem('upturn-outbox')", vec![])
        .await;
    assert_eq!(stored, "[]", "nothing left waiting");
}

browser_test! {
    async fn the_walk_in_french() {
        walk(FRENCH).await;
    }

    async fn the_walk_in_english() {
        walk(ENGLISH).await;
    }

    async fn a_request_filed_without_network_is_sent_once_when_it_is_back() {
        let app = spawn_app(Backend::Sqlite).await;
        let _o = org(&app).await;
        offline_filing(&app).await;
    }

    async fn at_intake_how_it_was_solved_before_fills_the_note_with_one_tap() {
        let app = spawn_app(Backend::Sqlite).await;
        let o = org(&app).await;
        // Another store solved it last week, and the customer was pleased.
        let note = "Lecteur de carte remplacé à la caisse 2 ; les paiements passent de nouveau.";
        let past = app
            .post(
                "/api/v1/requests",
                &o.front_b.token,
                serde_json::json!({"kind": "improvement", "category": "service", "channel": "in_person",
                    "title": "Paiement par carte refusé à la caisse 2",
                    "customer_expectation": "Payer par carte sans souci",
                    "resolved_on_the_spot": {"note": note}}),
            )
            .await
            .expect(201);
        let id = past.body["id"].as_str().unwrap();
        app.post(
            &format!("/api/v1/requests/{id}/follow-up"),
            &o.front_b.token,
            serde_json::json!({"customer_reached": true, "satisfaction": 5, "note": "Ravie"}),
        )
        .await
        .expect(200);
        let screens = std::env::var_os("UPTURN_SCREENS").map(std::path::PathBuf::from);
        for (size, window) in [("phone", PHONE), ("desktop", DESKTOP)] {
            let front = sign_in(&app, window, "fr-FR", "front.a@test.upturn").await;
            front.goto(&app.url("/app/file")).await;
            front.wait_for("#customer_expectation").await;
            // Typed, without accents, a word half written.
            front.fill("#customer_expectation", "payer par carte, refuse en caiss").await;
            front.wait_for("#knowledge li button[data-use-note]").await;
            front.wait_for_text("#knowledge", "Résolue par la première ligne").await;
            check_page(&front, "intake with past resolutions").await;
            if let Some(dir) = &screens {
                front.screenshot(&dir.join(format!("knowledge-{size}-fr.png"))).await;
            }
            front.click("#knowledge li button[data-use-note]").await;
            let taken = front
                .execute(
                    "return [document.getElementById('on_the_spot').checked, document.getElementById('on_the_spot_note').value]",
                    vec![],
                )
                .await;
            assert_eq!(taken, serde_json::json!([true, note]), "one tap fills what I did");
        }
    }

    async fn another_teams_request_is_not_found_in_the_browser_either() {
        let app = spawn_app(Backend::Sqlite).await;
        let o = org(&app).await;
        let request = app.file(&o.front_a).await;
        let id = request["id"].as_str().unwrap();
        let other = sign_in(&app, PHONE, "en-GB", "front.b@test.upturn").await;
        other.goto(&app.url(&format!("/app/requests/{id}"))).await;
        other.wait_for_text("h1", "There is nothing here").await;
        assert!(!other.text("main").await.contains("Trousers"));
        check_page(&other, "not found").await;
    }

    async fn every_other_page_passes_axe_and_200_percent_zoom_at_both_sizes() {
        let app = spawn_app(Backend::Sqlite).await;
        let o = org(&app).await;
        let filed = app.file(&o.front_a).await;
        let request_id = filed["id"].as_str().unwrap().to_owned();
        let initiative = app
            .post(
                "/api/v1/initiatives",
                &o.manager_a.token,
                serde_json::json!({"title": "Stock size 44 in every store"}),
            )
            .await
            .expect(201)
            .id();
        app.post(
            &format!("/api/v1/initiatives/{initiative}/requests"),
            &o.manager_a.token,
            serde_json::json!({"request_ids": [request_id]}),
        )
        .await
        .expect(200);
        app.post(
            "/api/v1/webhooks",
            &o.leader.token,
            serde_json::json!({"url": "https://hooks.example.com/upturn", "events": ["filed"]}),
        )
        .await
        .expect(201);
        let pages: &[(&str, &[&str])] = &[
            (common::ADMIN_EMAIL, &["/app/org", "/app/audit"]),
            (
                "leader@test.upturn",
                &[
                    "/app/rules",
                    "/app/webhooks",
                    "/app/audit",
                    "/app/initiatives",
                    "/app/pulse",
                ],
            ),
            ("manager.a@test.upturn", &["/app/initiatives", "/app/inbox"]),
        ];
        for (size, lang) in [(PHONE, "fr-FR"), (DESKTOP, "en-GB")] {
            for (email, paths) in pages {
                let browser = sign_in(&app, size, lang, email).await;
                for path in *paths {
                    browser.goto(&app.url(path)).await;
                    check_page(&browser, path).await;
                }
                if email.starts_with("manager") {
                    let path = format!("/app/initiatives/{initiative}");
                    browser.goto(&app.url(&path)).await;
                    browser.wait_for("#progress").await;
                    check_page(&browser, "an initiative").await;
                }
                if email.starts_with("leader") {
                    // The request as leadership sees it, its customer
                    // erasure step opened.
                    let path = format!("/app/requests/{request_id}");
                    browser.goto(&app.url(&path)).await;
                    browser.click("#erase-customer summary").await;
                    browser.wait_for("#do-erase-customer").await;
                    check_page(&browser, "a request, as a leader").await;
                }
                if email.starts_with("admin") {
                    browser.goto(&app.url(&format!("/app/org/members/{}", o.front_a.id))).await;
                    check_page(&browser, "a member").await;
                    browser.goto(&app.url(&format!("/app/org/units/{}", o.team_a))).await;
                    check_page(&browser, "a unit").await;
                }
            }
        }
    }

    async fn the_front_line_signs_in_and_files_with_the_keyboard_alone() {
        let app = spawn_app(Backend::Sqlite).await;
        let _o = org(&app).await;
        let browser = Browser::start(PHONE.0, PHONE.1, "en-GB").await;
        browser.goto(&app.url("/")).await;
        tab_to(&browser, "email").await;
        press(&browser, "front.a@test.upturn").await;
        press(&browser, TAB).await;
        press(&browser, PASSWORD).await;
        press(&browser, ENTER).await;
        browser
            .wait_until("return location.pathname === '/app/file'", "signed in")
            .await;
        tab_to(&browser, "customer_expectation").await;
        press(&browser, "A size 44 in blue").await;
        // The kinds are radio buttons: arrows move the choice within them.
        tab_to(&browser, "category").await;
        press(&browser, "Availability").await;
        tab_to(&browser, "on_the_spot").await;
        press(&browser, SPACE).await;
        tab_to(&browser, "on_the_spot_note").await;
        press(&browser, "Found one in the stockroom").await;
        press(&browser, TAB).await;
        press(&browser, ENTER).await;
        browser.wait_for("#receipt-title").await;
        let request = browser.text("#request-title").await;
        assert_eq!(request, "A size 44 in blue");
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests WHERE status = 'resolved'").await, 1);
    }

    async fn the_sign_in_page_passes_axe_at_both_sizes_and_200_percent_zoom() {
        let app = spawn_app(Backend::Sqlite).await;
        for (width, height) in [PHONE, DESKTOP] {
            let browser = Browser::start(width, height, "fr-FR").await;
            browser.goto(&app.url("/")).await;
            check_page(&browser, "sign-in").await;
            // 200 % zoom: nothing wider than the window.
            browser.execute("document.body.style.zoom = '2'", vec![]).await;
            let overflow = browser
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                    vec![],
                )
                .await;
            assert!(overflow.as_i64().unwrap_or(0) <= 1, "{width}px at 200%: {overflow}px wider");
        }
    }

    #[ignore = "writes the README's screenshots: UPTURN_SCREENS=docs/screens cargo test --test web_app_browser -- --ignored screens"]
    async fn screens() {
        let Some(dir) = std::env::var_os("UPTURN_SCREENS") else {
            panic!("set UPTURN_SCREENS to the folder to write the screenshots to");
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let app = spawn_app(Backend::Sqlite).await;
        let o = org(&app).await;
        for n in 0..3 {
            let filed = app.file(&o.front_a).await;
            if n == 0 {
                let id = filed["id"].as_str().unwrap();
                app.post(&format!("/api/v1/requests/{id}/acknowledge"), &o.manager_a.token, serde_json::json!({})).await.expect(200);
            }
        }
        let filed = app.file(&o.front_a).await;
        let id = filed["id"].as_str().unwrap().to_owned();
        let code = filed["tracking_code"].as_str().unwrap().to_owned();
        for (size, (width, height)) in [("phone", PHONE), ("desktop", DESKTOP)] {
            for (lang, accept) in [("fr", "fr-FR"), ("en", "en-GB")] {
                let shot = |name: &str| dir.join(format!("{name}-{size}-{lang}.png"));
                let visitor = Browser::start(width, height, accept).await;
                visitor.goto(&app.url("/")).await;
                visitor.screenshot(&shot("sign-in")).await;
                visitor.goto(&app.url(&format!("/t/{code}"))).await;
                visitor.screenshot(&shot("tracking")).await;
                let front = sign_in(&app, (width, height), accept, "front.a@test.upturn").await;
                front.screenshot(&shot("intake")).await;
                front.goto(&app.url(&format!("/app/requests/{id}?filed=1"))).await;
                front.screenshot(&shot("receipt")).await;
                let manager = sign_in(&app, (width, height), accept, "manager.a@test.upturn").await;
                manager.screenshot(&shot("board")).await;
                manager.goto(&app.url(&format!("/app/requests/{id}"))).await;
                manager.screenshot(&shot("request")).await;
                let leader = sign_in(&app, (width, height), accept, "leader@test.upturn").await;
                leader.screenshot(&shot("dashboard")).await;
                leader.goto(&app.url("/app/rules")).await;
                leader.screenshot(&shot("rules")).await;
                leader.goto(&app.url("/app/initiatives")).await;
                leader.screenshot(&shot("initiatives")).await;
                let admin = sign_in(&app, (width, height), accept, common::ADMIN_EMAIL).await;
                admin.screenshot(&shot("organisation")).await;
            }
        }
    }
}
