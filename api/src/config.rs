//! One typed `Settings`, read from an optional TOML file (`UPTURN_CONFIG`)
//! and the environment (`UPTURN_…`, which wins). Secrets are wrapped so they
//! never reach a log line.

use std::fmt;
use std::path::PathBuf;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use upturn_domain::customer_data::KeepDays;
use upturn_domain::metrics::SilentMultiplier;
use upturn_domain::model::DEFAULT_CATEGORIES;
use upturn_domain::pulse::MinGroup;
use upturn_domain::webhook::{Backoff, UrlPolicy};

use crate::client_address::TrustedProxies;

/// A string that prints as `<redacted>`.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything the service is configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `sqlite://path?mode=rwc` (default) or `postgres://user@host/db`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// Address to listen on, `host:port`.
    pub bind: String,
    /// HS256 signing secret, at least 32 bytes. When unset a random one is
    /// made at start, so tokens do not survive a restart (and replicas
    /// would not accept each other's tokens).
    pub jwt_secret: Option<Secret>,
    pub jwt_ttl_seconds: i64,
    pub bootstrap_admin_email: Option<String>,
    pub bootstrap_admin_password: Option<Secret>,
    /// The `tracing` filter, e.g. `info` or `upturn_api=debug,info`.
    pub log: String,
    pub log_format: LogFormat,
    /// The organisation's categories, comma-separated in the environment.
    pub categories: String,
    /// Login attempts allowed per minute for one email from one address.
    pub login_attempts_per_minute: u32,
    /// Public tracking-page lookups allowed per minute from one address.
    pub track_lookups_per_minute: u32,
    /// Comma-separated CIDRs or addresses of the load balancers whose
    /// `X-Forwarded-For` names the client for those limits; empty (the
    /// default): none, the connection's peer is the client.
    pub trusted_proxies: String,
    /// Password hashes computed at once (argon2id takes about 19 MiB each);
    /// unset: one per core. More logins wait in line.
    pub password_hash_concurrency: Option<u32>,
    /// Seconds between SLA sweeps (passed deadlines flagged and told).
    pub sla_sweep_seconds: u64,
    /// Seconds between full SQLite WAL checkpoints that truncate the log
    /// (SQLite also checkpoints every 1,000 pages on its own).
    pub wal_checkpoint_seconds: u64,
    /// Expressed dissatisfaction × this = the estimated silent
    /// dissatisfaction (a rule of thumb; at least 1).
    pub silent_multiplier: u32,
    /// Pulse groups with fewer answers show no figures (at least 3).
    pub pulse_min_group: u64,
    /// Webhooks may point at this machine, over http too (development, tests).
    pub webhook_allow_http_loopback: bool,
    /// Webhooks may point at private networks (https only).
    pub webhook_allow_private_networks: bool,
    /// The first wait after a failed delivery, doubling up to an hour (1–3600).
    pub webhook_retry_base_seconds: i64,
    /// A PEM file of root certificates trusted for webhook delivery besides
    /// the built-in webpki roots (receivers behind an internal CA).
    pub webhook_ca_file: Option<PathBuf>,
    /// Days a customer's name and contact are kept after their request is
    /// closed, then erased (0: at the first hourly run after closing; at
    /// most 3660).
    pub customer_data_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://upturn.db?mode=rwc".to_owned(),
            database_max_connections: 10,
            bind: "127.0.0.1:8080".to_owned(),
            jwt_secret: None,
            jwt_ttl_seconds: 8 * 3600,
            bootstrap_admin_email: None,
            bootstrap_admin_password: None,
            log: "info".to_owned(),
            log_format: LogFormat::Pretty,
            categories: DEFAULT_CATEGORIES.join(","),
            login_attempts_per_minute: 10,
            track_lookups_per_minute: 60,
            trusted_proxies: String::new(),
            password_hash_concurrency: None,
            wal_checkpoint_seconds: 30,
            sla_sweep_seconds: 30,
            silent_multiplier: SilentMultiplier::DEFAULT.get(),
            pulse_min_group: MinGroup::DEFAULT.get(),
            webhook_allow_http_loopback: false,
            webhook_allow_private_networks: false,
            webhook_retry_base_seconds: 1,
            webhook_ca_file: None,
            customer_data_days: KeepDays::DEFAULT.get(),
        }
    }
}

impl Settings {
    /// Defaults, then the file named by `UPTURN_CONFIG` if any, then `UPTURN_*`.
    pub fn load() -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Ok(path) = std::env::var("UPTURN_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        let settings: Settings = figment
            .merge(Env::prefixed("UPTURN_").ignore(&["config"]))
            .extract()
            .context("Failed to read the configuration")?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.jwt_secret {
            anyhow::ensure!(
                secret.expose().len() >= 32,
                "UPTURN_JWT_SECRET must be at least 32 bytes long"
            );
        }
        anyhow::ensure!(
            !self.category_list().is_empty(),
            "UPTURN_CATEGORIES must name at least one category"
        );
        anyhow::ensure!(
            self.jwt_ttl_seconds > 0,
            "UPTURN_JWT_TTL_SECONDS must be positive"
        );
        self.multiplier()?;
        self.min_group()?;
        self.customer_data_days()?;
        self.webhook_delivery()?;
        self.proxies()?;
        anyhow::ensure!(
            self.password_hash_concurrency != Some(0),
            "UPTURN_PASSWORD_HASH_CONCURRENCY must be at least 1"
        );
        Ok(())
    }

    /// `UPTURN_TRUSTED_PROXIES` parsed; an entry that is not an address or
    /// a CIDR refuses to start.
    pub fn proxies(&self) -> anyhow::Result<TrustedProxies> {
        TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("UPTURN_TRUSTED_PROXIES: {e}"))
    }

    /// How many password hashes run at once: the setting, else the cores.
    pub fn hash_concurrency(&self) -> usize {
        self.password_hash_concurrency
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
            })
    }

    /// The `UPTURN_WEBHOOK_*` settings as the domain's values; a retry base
    /// out of 1–3600, or a CA file that cannot be read or holds no valid
    /// certificate, refuses to start.
    pub fn webhook_delivery(&self) -> anyhow::Result<crate::delivery::DeliverySettings> {
        let backoff = Backoff::new(
            "UPTURN_WEBHOOK_RETRY_BASE_SECONDS",
            self.webhook_retry_base_seconds,
        )
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
        let extra_roots = match &self.webhook_ca_file {
            Some(path) => crate::delivery::ExtraRoots::from_pem_file(path).with_context(|| {
                format!("UPTURN_WEBHOOK_CA_FILE: cannot use {}", path.display())
            })?,
            None => crate::delivery::ExtraRoots::default(),
        };
        Ok(crate::delivery::DeliverySettings {
            policy: UrlPolicy {
                allow_http_loopback: self.webhook_allow_http_loopback,
                allow_private_networks: self.webhook_allow_private_networks,
            },
            backoff,
            extra_roots,
        })
    }

    /// `UPTURN_SILENT_MULTIPLIER` as the domain value.
    pub fn multiplier(&self) -> anyhow::Result<SilentMultiplier> {
        SilentMultiplier::new(self.silent_multiplier)
            .context("UPTURN_SILENT_MULTIPLIER is out of range")
    }

    /// `UPTURN_PULSE_MIN_GROUP` as the domain value; below 3 refuses to start.
    pub fn min_group(&self) -> anyhow::Result<MinGroup> {
        MinGroup::new(self.pulse_min_group).context("UPTURN_PULSE_MIN_GROUP is out of range")
    }

    /// `UPTURN_CUSTOMER_DATA_DAYS` as the domain value; over 3660 refuses
    /// to start.
    pub fn customer_data_days(&self) -> anyhow::Result<KeepDays> {
        KeepDays::new(self.customer_data_days).context("UPTURN_CUSTOMER_DATA_DAYS is out of range")
    }

    /// The categories requests may be filed under.
    pub fn category_list(&self) -> Vec<String> {
        self.categories
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
