//! The browser harness itself, in Debian's Chromium against the real server
//! on SQLite: a page loads and renders, a screenshot is taken, the network
//! can be cut and restored, the language reaches `Accept-Language`, and
//! axe-core runs in a page. The pages are `/docs` (the only HTML the server
//! has today) and a one-line echo server for the request headers.
//!
//! Ignored, with the reason, where `chromium` and `chromium-driver` are not
//! installed (see `browser_test!`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::Browser;
use common::{Backend, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// True once RapiDoc has fetched the OpenAPI document and drawn it in its
/// shadow root.
const DOCS_RENDERED: &str = "
    const doc = document.querySelector('rapi-doc');
    return !!(doc && doc.shadowRoot && doc.shadowRoot.textContent.includes('/api/v1/requests'));
";

browser_test! {
    async fn the_docs_render_in_chromium_and_a_screenshot_is_taken() {
        let app = spawn_app(Backend::Sqlite).await;
        let browser = Browser::start(1280, 800, "en-GB").await;

        browser.goto(&app.url("/docs")).await;

        browser.wait_for("rapi-doc").await;
        browser.wait_until(DOCS_RENDERED, "RapiDoc shows the API").await;
        assert_eq!(browser.client().title().await.unwrap(), "Upturn API");
        // RapiDoc adds a fragment as it renders.
        let url = browser.current_url().await;
        assert!(url.starts_with(&app.url("/docs")), "{url}");
        assert_eq!(browser.execute("return navigator.language", vec![]).await, "en-GB");
        let size = browser
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await;
        assert_eq!(size, serde_json::json!([1280, 800]), "the viewport is as asked");
        let dir = common::scratch_dir();
        let path = dir.join("docs.png");
        browser.screenshot(&path).await;
        let png = std::fs::read(&path).unwrap();
        assert!(png.len() > 1000, "a real picture, not {} bytes", png.len());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        std::fs::remove_dir_all(dir).unwrap();
    }

    async fn going_offline_makes_a_navigation_fail_and_going_online_restores_it() {
        let app = spawn_app(Backend::Sqlite).await;
        let browser = Browser::start(800, 600, "en-GB").await;
        browser.goto(&app.url("/docs")).await;
        browser.wait_until(DOCS_RENDERED, "RapiDoc shows the API").await;

        browser.set_offline(true).await;
        browser
            .wait_until("return navigator.onLine === false", "the page sees it is offline")
            .await;
        let refused = browser.try_goto(&app.url("/docs?while=offline")).await;
        let error = refused.expect_err("offline, the page cannot load");
        assert!(error.contains("ERR_INTERNET_DISCONNECTED"), "{error}");
        assert!(browser.is_error_page().await, "Chromium shows its error page");

        browser.set_offline(false).await;
        browser.goto(&app.url("/docs?while=online")).await;
        assert!(!browser.is_error_page().await, "online again, the page loads");
        browser.wait_until(DOCS_RENDERED, "RapiDoc shows the API again").await;
        assert_eq!(browser.execute("return navigator.onLine", vec![]).await, true);
    }

    async fn the_browser_language_is_the_accept_language_pages_are_asked_with() {
        let echo = echo_accept_language().await;
        // A phone: the viewport is as asked there too.
        let browser = Browser::start(390, 844, "fr-FR").await;

        browser.goto(&echo).await;

        let header = browser.text("#accept-language").await;
        assert!(header.starts_with("fr-FR"), "Accept-Language: {header}");
        assert_eq!(browser.execute("return navigator.language", vec![]).await, "fr-FR");
        let size = browser
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await;
        assert_eq!(size, serde_json::json!([390, 844]), "the viewport is as asked");
    }

    async fn axe_core_runs_in_a_page_and_answers_its_violations() {
        let app = spawn_app(Backend::Sqlite).await;
        let browser = Browser::start(1280, 800, "en-GB").await;
        browser.goto(&app.url("/docs")).await;
        browser.wait_until(DOCS_RENDERED, "RapiDoc shows the API").await;

        let violations = browser.axe().await;

        // RapiDoc is a third-party page: what it breaks is listed, not judged.
        println!("axe-core on /docs: {} violation(s)", violations.len());
        for violation in &violations {
            let impact = violation.impact.as_deref().unwrap_or("-");
            println!("  {} ({impact}): {} element(s)", violation.id, violation.nodes.len());
        }
        assert_eq!(browser.execute("return axe.version", vec![]).await, "4.14.1");
        for violation in &violations {
            assert!(!violation.id.is_empty() && !violation.nodes.is_empty(), "{violation:?}");
        }

        // A page that breaks no rule passes the assertion pages will use.
        browser.goto(&echo_accept_language().await).await;
        browser.assert_no_axe_violations("the echo page").await;
    }
}

/// A server on a free loopback port that answers every request with a page
/// showing the request's `Accept-Language`; answers its address.
async fn echo_accept_language() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let language = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("accept-language")
                            .then(|| value.trim().to_owned())
                    })
                    .unwrap_or_default();
                let body = format!(
                    "<!doctype html><html lang=\"en\"><title>echo</title>\
                     <p id=\"accept-language\">{language}</p></html>"
                );
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{address}/")
}
