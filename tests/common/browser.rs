//! A real browser for the black-box suite: Debian's Chromium, headless,
//! driven through Debian's `chromedriver` (W3C WebDriver) with `fantoccini`,
//! against a server from `spawn_app_with`. Each `Browser` has its own
//! chromedriver on a free port and its own profile in a temporary folder,
//! both gone when it is dropped, so browser tests run side by side.
//!
//! Every helper fails the test with a message that names the selector and
//! the page, and every wait is bounded (`WAIT`): a missing element fails in
//! seconds instead of hanging the suite.
//!
//! A browser test is written with `browser_test!`, which shows it as
//! ignored, with the reason, where Chromium is not installed (the root
//! `build.rs` sets `cfg(upturn_browser)`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};

/// The paths `build.rs` checks for `cfg(upturn_browser)`.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a wait (`wait_for`, `wait_for_text`, chromedriver's start) lasts
/// before it fails the test.
pub const WAIT: Duration = Duration::from_secs(10);

/// axe-core, run in pages by `Browser::axe` (see `tests/browser/vendor/README.md`).
const AXE_SOURCE: &str = include_str!("../browser/vendor/axe.min.js");

/// The WCAG levels `Browser::axe` checks: 2.0, 2.1 and 2.2, A and AA.
const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// A browser test: a multi-threaded tokio test, ignored with the reason when
/// Debian's `chromium` and `chromium-driver` are not installed.
///
/// ```ignore
/// browser_test! {
///     async fn the_docs_load() {
///         let app = spawn_app(Backend::Sqlite).await;
///         let browser = Browser::start(1280, 800, "en-GB").await;
///         browser.goto(&app.url("/docs")).await;
///     }
/// }
/// ```
#[macro_export]
macro_rules! browser_test {
    ($($(#[$meta:meta])* async fn $name:ident() $body:block)+) => {$(
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        // A test already `#[ignore]`d by hand keeps its own reason; without
        // Chromium the second `ignore` below is then unused.
        #[allow(unused_attributes)]
        #[cfg_attr(
            not(upturn_browser),
            ignore = "Browser suite skipped: install Debian's chromium and chromium-driver to run it"
        )]
        async fn $name() $body
    )+};
}

/// One accessibility failure found by axe-core in a page.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for, in a sentence.
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<ViolationNode>,
}

/// An element that breaks a rule.
#[derive(Debug, Clone, Deserialize)]
pub struct ViolationNode {
    /// A CSS selector for it (` >> ` between frames or shadow roots).
    pub target: String,
    /// Its opening tag, as axe-core quotes it.
    pub html: String,
    /// What to fix, as axe-core words it.
    pub summary: String,
}

/// A headless Chromium with its chromedriver; both are stopped, and the
/// profile removed, when it is dropped.
pub struct Browser {
    client: Client,
    session_id: String,
    /// `http://127.0.0.1:{port}`, chromedriver's address.
    driver_url: String,
    driver: Child,
    /// The profile (`profile/`) and chromedriver's output (`chromedriver.log`).
    scratch: PathBuf,
    /// For chromedriver's vendor commands, which fantoccini has no method for.
    http: reqwest::Client,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose viewport (what a
    /// page sees as `innerWidth`×`innerHeight`) is `width`×`height` and whose
    /// language is `lang` (`"fr-FR"`, `"en-GB"`): the interface language and
    /// the `Accept-Language` pages are asked with.
    pub async fn start(width: u32, height: u32, lang: &str) -> Browser {
        let scratch = super::scratch_dir();
        let profile = scratch.join("profile");
        let log = scratch.join("chromedriver.log");
        let http = super::client_builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        // Owned from here on: a failure below still stops chromedriver.
        let mut guard = DriverGuard {
            driver: None,
            scratch: scratch.clone(),
        };
        let driver_url = start_driver(&http, &log, &mut guard).await;

        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"),
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": { "intl.accept_languages": lang },
            },
            // A page that never loads, or a script that never answers, fails
            // the command instead of hanging the test.
            "timeouts": { "pageLoad": 20_000, "script": 30_000, "implicit": 0 },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver did not open a Chromium session: {e}\n{}",
                    tail(&log)
                )
            });
        let session_id = client.session_id().await.unwrap().expect("a session id");
        let driver = guard.driver.take().expect("the driver");
        let browser = Browser {
            client,
            session_id,
            driver_url,
            driver,
            scratch,
            http,
        };
        browser.fit_viewport(width, height).await;
        browser
    }

    /// Makes the page's viewport `width`×`height`: headless Chromium keeps
    /// part of `--window-size` for a window frame nobody sees (143 px of the
    /// height with Chromium 156), which would make a phone-sized window
    /// shorter than the phone.
    async fn fit_viewport(&self, width: u32, height: u32) {
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await;
        let (Some(inner_width), Some(inner_height)) = (inner[0].as_u64(), inner[1].as_u64()) else {
            panic!("the window has no size: {inner}");
        };
        let frame_width = u64::from(width).saturating_sub(inner_width);
        let frame_height = u64::from(height).saturating_sub(inner_height);
        if frame_width == 0 && frame_height == 0 {
            return;
        }
        let outer_width = u32::try_from(u64::from(width) + frame_width).unwrap();
        let outer_height = u32::try_from(u64::from(height) + frame_height).unwrap();
        self.client
            .set_window_size(outer_width, outer_height)
            .await
            .unwrap_or_else(|e| panic!("the window cannot be resized: {e}"));
    }

    /// The WebDriver client itself, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits until it has loaded (its `load` event); fails
    /// the test if it cannot.
    pub async fn goto(&self, url: &str) {
        if let Err(e) = self.try_goto(url).await {
            panic!("the browser did not open {url}: {e}");
        }
    }

    /// Opens `url` and waits until it has loaded, or answers why not.
    /// chromedriver answers a navigation the network refuses with an error
    /// naming Chromium's code (`net::ERR_INTERNET_DISCONNECTED` offline,
    /// `net::ERR_CONNECTION_REFUSED`), and the tab then shows Chromium's
    /// error page (see `is_error_page`).
    pub async fn try_goto(&self, url: &str) -> Result<(), String> {
        self.client.goto(url).await.map_err(|e| e.to_string())
    }

    /// The address the browser shows.
    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Whether the tab shows Chromium's own error page (no connection,
    /// refused, name not resolved) instead of the page it was sent to.
    pub async fn is_error_page(&self) -> bool {
        let url = self.execute("return document.URL", vec![]).await;
        url.as_str()
            .is_some_and(|u| u.starts_with("chrome-error://"))
    }

    /// The first element that matches `css`, now; fails if there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!(
                "no element matches `{css}` on {}: {e}",
                self.current_url().await
            ),
        }
    }

    /// Every element that matches `css`, now (none is not a failure).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    /// Whether some element matches `css` now.
    pub async fn is_present(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Clicks the first element that matches `css`.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        if let Err(e) = element.click().await {
            panic!(
                "`{css}` cannot be clicked on {}: {e}",
                self.current_url().await
            );
        }
    }

    /// Empties the field that matches `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        if let Err(e) = element.clear().await {
            panic!("`{css}` cannot be cleared: {e}");
        }
        if let Err(e) = element.send_keys(text).await {
            panic!("`{css}` cannot be typed into: {e}");
        }
    }

    /// Chooses the option whose `value` is `value` in the `<select>` that
    /// matches `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        if let Err(e) = element.select_by_value(value).await {
            panic!("`{css}` has no option with value {value:?}: {e}");
        }
    }

    /// The rendered text of the first element that matches `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits (at most `WAIT`) until an element matches `css`, and answers it.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(CmdError::WaitTimeout) => panic!(
                "no element matched `{css}` within {WAIT:?} on {}",
                self.current_url().await
            ),
            Err(e) => panic!("waiting for `{css}` failed: {e}"),
        }
    }

    /// Waits (at most `WAIT`) until the first element that matches `css`
    /// has a text that contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.contains(needle) {
                    return;
                }
                last = Some(text);
            }
            if Instant::now() >= deadline {
                let seen = match last {
                    Some(text) => format!("its text was {text:?}"),
                    None => "no element matched".to_owned(),
                };
                panic!(
                    "`{css}` did not show {needle:?} within {WAIT:?} on {}: {seen}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (at most `WAIT`) until `script` (a function body, as for
    /// `execute`) returns something truthy; `what` names the condition in
    /// the failure message. For what selectors cannot see: a shadow root's
    /// content, a service worker, a variable the page sets.
    pub async fn wait_until(&self, script: &str, what: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.client.execute(script, vec![]).await;
            if let Ok(value) = &value
                && truthy(value)
            {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{what}: not so within {WAIT:?} on {} (last answer: {value:?})",
                    self.current_url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` as the body of a function in the page (`arguments`
    /// holds `args`) and answers what it returns; a returned promise is
    /// awaited.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client.execute(script, args).await {
            Ok(value) => value,
            Err(e) => panic!("the script failed: {e}\n{}", excerpt(script)),
        }
    }

    /// Saves what the window shows as a PNG at `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Cuts the browser off the network (`true`) or puts it back (`false`),
    /// through chromedriver's network emulation; the page sees `offline` and
    /// `online` events.
    pub async fn set_offline(&self, offline: bool) {
        let url = format!(
            "{}/session/{}/chromium/network_conditions",
            self.driver_url, self.session_id
        );
        let body = json!({"network_conditions": {
            "offline": offline,
            "latency": 0,
            "download_throughput": -1,
            "upload_throughput": -1,
        }});
        let response = self.http.post(&url).json(&body).send().await.unwrap();
        let status = response.status();
        let answer = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "chromedriver refused the network conditions ({status}): {answer}"
        );
    }

    /// Runs axe-core's WCAG 2.x A and AA rules in the current page and
    /// answers what they found (rules tagged `wcag22aa`, such as
    /// `target-size`, run too, though axe-core leaves them off by default).
    /// axe-core is injected through WebDriver, not as a `<script>` the page
    /// loads, so a strict Content-Security-Policy does not stop it.
    pub async fn axe(&self) -> Vec<Violation> {
        if self.execute("return !window.axe", vec![]).await == json!(true) {
            self.execute(AXE_SOURCE, vec![]).await;
        }
        let script = r#"
            const [tags, done] = arguments;
            axe.run(document, { runOnly: { type: 'tag', values: tags } })
                .then(results => done({ violations: results.violations.map(v => ({
                    id: v.id,
                    impact: v.impact,
                    help: v.help,
                    helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({
                        target: n.target.map(t => Array.isArray(t) ? t.join(' >> ') : t).join(' >> '),
                        html: n.html,
                        summary: n.failureSummary || '',
                    })),
                })) }))
                .catch(e => done({ error: String(e && e.stack || e) }));
        "#;
        let answer = match self
            .client
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
        {
            Ok(answer) => answer,
            Err(e) => panic!("axe-core did not run: {e}"),
        };
        if let Some(error) = answer.get("error") {
            panic!("axe-core failed: {error}");
        }
        serde_json::from_value(answer["violations"].clone())
            .unwrap_or_else(|e| panic!("axe-core answered something unexpected: {e}: {answer}"))
    }

    /// Fails the test, listing each violation, unless axe-core finds none
    /// in the current page (`page` names it in the message).
    pub async fn assert_no_axe_violations(&self, page: &str) {
        let violations = self.axe().await;
        if violations.is_empty() {
            return;
        }
        let url = self.current_url().await;
        panic!(
            "{page} ({url}) has {} accessibility violation(s):\n{}",
            violations.len(),
            describe(&violations)
        );
    }
}

/// Violations as a reader wants them: rule, impact, what to do, and where.
pub fn describe(violations: &[Violation]) -> String {
    let mut out = String::new();
    for v in violations {
        let impact = v.impact.as_deref().unwrap_or("unknown impact");
        out.push_str(&format!(
            "- {} ({impact}): {}\n  {}\n",
            v.id, v.help, v.help_url
        ));
        for node in &v.nodes {
            out.push_str(&format!("    at {}  {}\n", node.target, node.html));
            for line in node.summary.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
    }
    out
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close Chromium cleanly; the
        // client's own goodbye would need the runtime, which may be gone.
        let _ = blocking_delete(&self.driver_url, &format!("/session/{}", self.session_id));
        stop_group(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Stops chromedriver (and its folder) if `Browser::start` fails half-way.
struct DriverGuard {
    driver: Option<Child>,
    scratch: PathBuf,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(driver) = &mut self.driver {
            stop_group(driver);
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }
}

/// Kills a process and every process of its group (it leads the group,
/// see `process_group(0)`), then reaps it.
fn stop_group(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// A free loopback port: bind port 0, note the port, let it go.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts chromedriver on a free port (into `guard`) and waits until it is
/// ready; answers its address. Another test may take the port between
/// `free_port` and chromedriver's bind: then chromedriver stops at once and
/// another port is tried.
async fn start_driver(http: &reqwest::Client, log: &Path, guard: &mut DriverGuard) -> String {
    for _ in 0..3 {
        let port = free_port();
        let driver_url = format!("http://127.0.0.1:{port}");
        let log_file = std::fs::File::create(log).unwrap();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            // Its own process group, which Chromium's processes join: `Drop`
            // ends the group, so a test that panics leaves no browser behind.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} does not start: {e}"));
        if let Some(mut stopped) = guard.driver.replace(driver) {
            let _ = stopped.wait();
        }
        let driver = guard.driver.as_mut().expect("just put there");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(response) = http.get(format!("{driver_url}/status")).send().await
                && let Ok(status) = response.json::<Value>().await
                && status["value"]["ready"] == json!(true)
            {
                return driver_url;
            }
            if let Ok(Some(_)) = driver.try_wait() {
                // Most likely the port was taken: try another.
                break;
            }
            if Instant::now() >= deadline {
                panic!("chromedriver was not ready within {WAIT:?}:\n{}", tail(log));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("chromedriver stopped three times:\n{}", tail(log));
}

/// A `DELETE` to chromedriver without the async runtime, for `Drop`.
fn blocking_delete(driver_url: &str, path: &str) -> std::io::Result<()> {
    let host = driver_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    write!(
        stream,
        "DELETE {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver says `Connection: close` but does not close the socket
    // after answering: read the head and the body's length, not to the end.
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        answer.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if body.len() >= length {
                return Ok(());
            }
        }
    }
}

/// The last lines of chromedriver's output, for failure messages.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(30);
    let lines: Vec<String> = lines[start..].iter().map(|line| excerpt(line)).collect();
    format!(
        "chromedriver's output ({}):\n{}",
        log.display(),
        lines.join("\n")
    )
}

/// The start of a script or a line, for failure messages (axe-core is 650 kB).
fn excerpt(script: &str) -> String {
    let end = script
        .char_indices()
        .nth(300)
        .map_or(script.len(), |(i, _)| i);
    script[..end].to_owned()
}

/// JavaScript's truthiness, for `wait_until`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
