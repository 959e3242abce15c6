//! The black-box harness: a real server on port 0 with a fresh database
//! (an SQLite file in a temporary folder, or a new PostgreSQL database),
//! a small HTTP client, and an organisation to act in.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod pages;
pub mod sse;

use std::path::PathBuf;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use upturn_api::config::{Secret, Settings};
use upturn_api::startup::Application;
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@test.upturn";
pub const PASSWORD: &str = "a-long-test-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body against SQLite, and against PostgreSQL when
/// the suite was built with `UPTURN_TEST_POSTGRES_URL`.
///
/// `on_both_backends!(with tweak; a, b)` starts each server with settings
/// adjusted by `tweak` (a function or closure on `&mut Settings`, resolved
/// in the calling file).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $crate::on_both_backends!(with |_| {}; $($name),+);
    };
    (with $tweak:expr; $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let backend = $crate::common::Backend::Sqlite;
                super::$name($crate::common::spawn_app_with(backend, $tweak).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(upturn_postgres),
                ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
            )]
            async fn postgres() {
                let backend = $crate::common::Backend::Postgres;
                super::$name($crate::common::spawn_app_with(backend, $tweak).await).await;
            }
        }
    )+};
}

/// Where a test's database lives, removed when the test ends.
pub enum Scratch {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Scratch::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Scratch::Database { admin_url, name } => {
                let admin_url = admin_url.clone();
                let name = name.clone();
                // Drop runs inside the test's runtime: use a thread of our own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        if let Ok(db) = sea_orm::Database::connect(&admin_url).await {
                            use sea_orm::ConnectionTrait;
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub database_url: String,
    pub client: reqwest::Client,
    pub store: upturn_persistence::Store,
    pub server: tokio::task::JoinHandle<()>,
    pub _scratch: Scratch,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An HTTP client builder for tests. reqwest is built with rustls and no
/// crypto provider of its own (the server's webhook client brings ring, see
/// `api/src/delivery.rs`), so a plain client needs ring installed as the
/// process default first.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A plain HTTP client for tests.
pub fn client() -> reqwest::Client {
    client_builder().build().unwrap()
}

pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("upturn-test-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh database for one test: its URL and what removes it afterwards.
pub async fn fresh_database(backend: Backend) -> (String, Scratch) {
    match backend {
        Backend::Sqlite => {
            let dir = scratch_dir();
            let url = format!("sqlite://{}?mode=rwc", dir.join("upturn.db").display());
            (url, Scratch::Dir(dir))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("UPTURN_TEST_POSTGRES_URL")
                .expect("UPTURN_TEST_POSTGRES_URL must be set at run time too");
            let name = format!("upturn_test_{}", Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(&admin_url)
                .await
                .expect("PostgreSQL is not reachable");
            use sea_orm::ConnectionTrait;
            db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            db.close().await.unwrap();
            let base = admin_url.split('?').next().unwrap();
            let (server, _) = base.rsplit_once('/').unwrap();
            (
                format!("{server}/{name}"),
                Scratch::Database { admin_url, name },
            )
        }
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        database_url: database_url.to_owned(),
        database_max_connections: 5,
        bind: "127.0.0.1:0".to_owned(),
        jwt_secret: Some(Secret::new("test-secret-test-secret-test-secret-0123")),
        bootstrap_admin_email: Some(ADMIN_EMAIL.to_owned()),
        bootstrap_admin_password: Some(Secret::new(PASSWORD)),
        login_attempts_per_minute: 1000,
        ..Settings::default()
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a server with settings adjusted by `tweak`.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        upturn_api::telemetry::init("info", upturn_api::config::LogFormat::Pretty);
    }
    let (database_url, scratch) = fresh_database(backend).await;
    let mut settings = test_settings(&database_url);
    tweak(&mut settings);
    let application = Application::build(settings)
        .await
        .expect("the application starts");
    let base = format!("http://127.0.0.1:{}", application.port());
    let store = application.store().clone();
    let server = tokio::spawn(async move {
        let _ = application.run_until_stopped().await;
    });
    TestApp {
        base,
        backend,
        database_url,
        client: client(),
        store,
        server,
        _scratch: scratch,
    }
}

/// An answer: status, headers and the JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The problem's `code`, for error answers.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("an id in the body")
            .to_owned()
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status, status, "unexpected answer: {:#}", self.body);
        self
    }

    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Resp {
        assert_eq!(self.status, status, "unexpected answer: {:#}", self.body);
        assert_eq!(self.code(), code, "unexpected problem: {:#}", self.body);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "problems are problem+json"
        );
        assert!(
            self.body["request_id"].is_string(),
            "problems carry the request id: {:#}",
            self.body
        );
        self
    }
}

pub async fn read(response: reqwest::Response) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        read(
            self.client
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get_public(&self, path: &str) -> Resp {
        read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        read(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        read(
            self.client
                .patch(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A POST with extra headers, e.g. `If-Match` or `Idempotency-Key`.
    pub async fn post_with(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Resp {
        let mut request = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.unwrap()).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        read(
            self.client
                .post(self.url("/api/v1/auth/login"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn token(&self, email: &str) -> String {
        let answer = self.login(email, PASSWORD).await.expect(200);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Every page of a keyset-paginated list, `limit` items a page,
    /// following `next_cursor` until there is none.
    pub async fn pages(&self, path: &str, token: &str, limit: u32) -> Vec<Vec<Value>> {
        let join = if path.contains('?') { '&' } else { '?' };
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            assert!(pages.len() < 1000, "paging {path} never ends");
            let page_path = match &cursor {
                None => format!("{path}{join}limit={limit}"),
                Some(c) => format!("{path}{join}limit={limit}&cursor={c}"),
            };
            let page = self.get(&page_path, token).await.expect(200);
            pages.push(page.body["items"].as_array().unwrap().clone());
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return pages,
            }
        }
    }

    /// A raw SQL count (a column named `n`), to check effects on the
    /// database without a thousand HTTP calls.
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&self.database_url)
            .await
            .unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        db.close().await.unwrap();
        n
    }

    pub async fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL).await
    }

    pub async fn create_unit(&self, admin: &str, name: &str, kind: &str) -> String {
        self.post("/api/v1/units", admin, json!({"name": name, "kind": kind}))
            .await
            .expect(201)
            .id()
    }

    /// Creates a member and logs them in.
    pub async fn member(&self, admin: &str, email: &str, role: &str, unit_id: &str) -> Member {
        let body = json!({"name": email, "email": email, "role": role, "unit_id": unit_id, "password": PASSWORD});
        let id = self
            .post("/api/v1/members", admin, body)
            .await
            .expect(201)
            .id();
        Member {
            id,
            token: self.token(email).await,
        }
    }

    /// Files a plain request as `who`; answers the created request.
    pub async fn file(&self, who: &Member) -> Value {
        self.post(
            "/api/v1/requests",
            &who.token,
            filing("Trousers in size 44"),
        )
        .await
        .expect(201)
        .body
    }
}

/// Percent-encodes a query-string value.
pub fn enc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A valid filing body.
pub fn filing(title: &str) -> Value {
    json!({
        "kind": "unmet_need",
        "category": "availability",
        "urgency": "high",
        "channel": "in_person",
        "title": title,
        "description": "She left without them.",
        "customer_expectation": "Find size 44 in store",
        "customer": {"name": "Mme Lefèvre", "contact": "+33 6 12 34 56 78", "consent_follow_up": true}
    })
}

#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub token: String,
}

/// A small pyramid: two teams, two services, leadership, and a member of each role.
pub struct Org {
    pub admin: String,
    pub team_a: String,
    pub team_b: String,
    pub service_1: String,
    pub service_2: String,
    pub leadership: String,
    pub front_a: Member,
    pub manager_a: Member,
    pub front_b: Member,
    pub manager_b: Member,
    pub service1: Member,
    pub service2: Member,
    pub leader: Member,
}

pub async fn org(app: &TestApp) -> Org {
    let admin = app.admin_token().await;
    let team_a = app.create_unit(&admin, "Lyon store", "team").await;
    let team_b = app.create_unit(&admin, "Paris store", "team").await;
    let service_1 = app.create_unit(&admin, "Purchasing", "service").await;
    let service_2 = app.create_unit(&admin, "Training", "service").await;
    let leadership = app.create_unit(&admin, "Leadership", "leadership").await;
    Org {
        front_a: app
            .member(&admin, "front.a@test.upturn", "frontline", &team_a)
            .await,
        manager_a: app
            .member(&admin, "manager.a@test.upturn", "manager", &team_a)
            .await,
        front_b: app
            .member(&admin, "front.b@test.upturn", "frontline", &team_b)
            .await,
        manager_b: app
            .member(&admin, "manager.b@test.upturn", "manager", &team_b)
            .await,
        service1: app
            .member(&admin, "service.1@test.upturn", "service", &service_1)
            .await,
        service2: app
            .member(&admin, "service.2@test.upturn", "service", &service_2)
            .await,
        leader: app
            .member(&admin, "leader@test.upturn", "leader", &leadership)
            .await,
        admin,
        team_a,
        team_b,
        service_1,
        service_2,
        leadership,
    }
}
