//! `upturn serve` as a child process, for the tests that need the real
//! binary: its own runtime, pool and background tasks, killed with SIGKILL
//! or SIGTERM like a process in production.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port: bind port 0, note the port, let it go.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `upturn serve`, with only what the test sets: no stray `UPTURN_*` (or
/// config file) from the environment the suite runs in.
pub fn serve_command() -> Command {
    let mut command = upturn_command();
    command.arg("serve");
    command
}

/// The `upturn` binary with no arguments yet and no stray `UPTURN_*`.
pub fn upturn_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upturn"));
    for (variable, _) in std::env::vars_os() {
        if variable.to_string_lossy().starts_with("UPTURN_") {
            command.env_remove(variable);
        }
    }
    command
}

/// What a finished `upturn` command did.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    #[track_caller]
    pub fn assert_success(&self) -> &Ran {
        assert_eq!(self.code, Some(0), "upturn failed: {self:#?}");
        self
    }

    #[track_caller]
    pub fn assert_refused(&self, saying: &str) -> &Ran {
        assert_eq!(self.code, Some(1), "upturn did not refuse: {self:#?}");
        assert!(
            self.stderr.contains(saying),
            "upturn refused without saying {saying:?}: {self:#?}"
        );
        self
    }
}

/// Runs `upturn {args}` on `database_url` to the end, without blocking the
/// test's runtime (servers and clients keep running meanwhile).
pub async fn run_upturn(database_url: &str, args: &[&str]) -> Ran {
    let mut command = tokio::process::Command::from(upturn_command());
    let output = command
        .args(args)
        .env("UPTURN_DATABASE_URL", database_url)
        .env("UPTURN_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("upturn runs");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A new log file name in the temporary folder: `{prefix}-{uuid}.log`.
pub fn log_path(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{}.log", uuid::Uuid::new_v4().simple()))
}

/// Where a process's output goes.
pub enum Log<'a> {
    /// A file of its own: printed if the test fails, removed when the
    /// process is dropped.
    Own(PathBuf),
    /// A file the test keeps (across a restart, say): appended to, and
    /// left for the test to read and remove.
    Kept(&'a Path),
}

/// `upturn serve` as a child process; killed (SIGKILL) and reaped when
/// dropped, so a failing test leaves no server behind.
pub struct Serve {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
    /// For plain calls (a stuck call fails the test instead of hanging it).
    pub client: reqwest::Client,
    /// What messages call it: `upturn serve`, or `upturn serve (A)` for one
    /// of several.
    name: String,
    /// Whether the log is its own (see `Log::Own`).
    owns_log: bool,
}

impl Serve {
    /// Starts `upturn serve` on `database_url` and a free port, with the
    /// `UPTURN_*` settings in `env`, and waits until it is ready.
    pub async fn start(
        name: &str,
        database_url: &str,
        env: &[(&str, &str)],
        log: Log<'_>,
    ) -> Serve {
        let port = free_port();
        let (log, owns_log) = match log {
            Log::Own(path) => (path, true),
            Log::Kept(path) => (path.to_owned(), false),
        };
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = serve_command()
            .env("UPTURN_DATABASE_URL", database_url)
            .env("UPTURN_BIND", format!("127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("upturn starts");
        let mut serve = Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            client: crate::common::client_builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap(),
            name: name.to_owned(),
            owns_log,
        };
        serve.wait_until_ready().await;
        serve
    }

    /// Polls `/readyz` until it answers 200; panics with the log if the
    /// process exits first or is not ready within 30 s.
    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "{} exited ({status}) before it was ready:\n{}",
                    self.name,
                    self.log_text()
                );
            }
            if let Ok(answer) = self
                .client
                .get(self.url("/readyz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                && answer.status().as_u16() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} was not ready within 30 s:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Panics unless the process is still running.
    #[track_caller]
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited ({status}):\n{}", self.name, self.log_text());
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no final
    /// checkpoint, no pool close.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_log {
            if std::thread::panicking() {
                eprintln!("--- log of {} ---\n{}", self.name, self.log_text());
            }
            let _ = std::fs::remove_file(&self.log);
        }
    }
}
