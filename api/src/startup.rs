//! Wires the application together: settings → store → HTTP server, plus
//! the background chores (bootstrap admin, WAL checkpoints).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use tracing_actix_web::TracingLogger;
use upturn_domain::model::Role;
use upturn_domain::values::{Email, Password};
use upturn_persistence::{NewMember, Store, StoreError, StoreOptions};

use crate::auth::{Limiter, Tokens, hash_password};
use crate::config::{Secret, Settings};
use crate::error::ApiError;
use crate::http::MAX_BODY_BYTES;

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub tokens: Tokens,
    pub categories: Vec<String>,
    pub multiplier: upturn_domain::metrics::SilentMultiplier,
    pub min_group: upturn_domain::pulse::MinGroup,
    pub login_limiter: Limiter,
    pub track_limiter: Limiter,
    /// Whose `X-Forwarded-For` names the client for those limits.
    pub trusted_proxies: crate::client_address::TrustedProxies,
    pub prometheus: PrometheusHandle,
    pub scrape_gauges: crate::prom::ScrapeGauges,
    pub members: crate::auth::MemberCache,
    pub hub: Arc<crate::hub::Hub>,
    /// Turns `true` when the server shuts down: live streams end.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Webhook URL policy and retry settings.
    pub webhooks: crate::delivery::DeliverySettings,
    /// Set by `upturn demo`: the sign-in page lists these logins.
    pub demo_logins: std::sync::OnceLock<Vec<crate::demo::Login>>,
    /// The dashboard's figures of the last minute.
    pub dashboard: crate::web::KeptFigures,
}

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    shutdown: tokio::sync::watch::Sender<bool>,
    state: web::Data<AppState>,
    /// Stopped after the server.
    background: crate::background::Background,
}

/// Connects to the database (running migrations) as the settings say.
pub async fn connect(settings: &Settings) -> anyhow::Result<Store> {
    Store::connect(&StoreOptions {
        url: settings.database_url.clone(),
        max_connections: settings.database_max_connections,
    })
    .await
}

fn random_secret() -> Secret {
    Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// Creates the first admin from `UPTURN_BOOTSTRAP_ADMIN_*` when nobody exists yet.
pub async fn bootstrap_admin(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let (Some(email), Some(password)) = (
        &settings.bootstrap_admin_email,
        &settings.bootstrap_admin_password,
    ) else {
        return Ok(());
    };
    if store.count_members().await? > 0 {
        return Ok(());
    }
    let email = Email::parse("UPTURN_BOOTSTRAP_ADMIN_EMAIL", email)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
    let password = Password::parse("UPTURN_BOOTSTRAP_ADMIN_PASSWORD", password.expose())
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
    let created = store
        .create_member(
            None,
            NewMember {
                name: "Administrator".to_owned(),
                email: email.as_str().to_owned(),
                role: Role::Admin,
                unit_id: None,
                password_hash: hash_password(password.expose().to_owned()).await?,
            },
            None,
        )
        .await;
    match created {
        Ok(member) => tracing::info!(member = %member.id, "Bootstrap admin created"),
        // Another replica created it first.
        Err(StoreError::EmailTaken) => {}
        Err(error) => {
            return Err(anyhow::anyhow!(error).context("Failed to create the bootstrap admin"));
        }
    }
    Ok(())
}

/// A query string that does not fit its operation, with the parameter named
/// where serde names it ("unknown field `from`, expected one of …").
fn query_error(error: actix_web::error::QueryPayloadError) -> ApiError {
    let message = match &error {
        actix_web::error::QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').nth(1))
            .map(str::to_owned)
    };
    if let Some(name) = named("unknown field") {
        let expected = message
            .split_once(", expected ")
            .map(|(_, list)| format!("; expected {}", list.replace('`', "")))
            .unwrap_or_default();
        return ApiError::field(
            name,
            format!("is not a parameter of this operation{expected}"),
        );
    }
    if let Some(name) = named("duplicate field") {
        return ApiError::field(name, "is given more than once");
    }
    if let Some(name) = named("missing field") {
        return ApiError::field(name, "is required");
    }
    ApiError::field("query", format!("could not be read: {message}"))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = connect(&settings).await?;
        Application::build_with_store(settings, store).await
    }

    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Application> {
        crate::auth::bound_hashing(settings.hash_concurrency());
        bootstrap_admin(&store, &settings).await?;
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.clone(),
            None => {
                tracing::warn!(
                    "UPTURN_JWT_SECRET is not set: using a random secret; tokens will not survive a restart \
                     and replicas will not accept each other's tokens"
                );
                random_secret()
            }
        };
        let dummy_hash = hash_password(random_secret().expose().to_owned()).await?;
        let webhooks = settings.webhook_delivery()?;
        let (shutdown, shutdown_signal) = tokio::sync::watch::channel(false);
        let hub = Arc::new(crate::hub::Hub::default());
        crate::hub::spawn_feeds(Arc::clone(&hub), &store, &settings.database_url);
        let state = web::Data::new(AppState {
            store: store.clone(),
            tokens: Tokens::new(&secret, settings.jwt_ttl_seconds, dummy_hash),
            categories: settings.category_list(),
            multiplier: settings.multiplier()?,
            min_group: settings.min_group()?,
            login_limiter: Limiter::per_minute(settings.login_attempts_per_minute),
            track_limiter: Limiter::per_minute(settings.track_lookups_per_minute),
            trusted_proxies: settings.proxies()?,
            prometheus: crate::prom::recorder()?,
            scrape_gauges: crate::prom::ScrapeGauges::default(),
            members: crate::auth::MemberCache::default(),
            hub,
            shutdown: shutdown_signal,
            webhooks: webhooks.clone(),
            demo_logins: std::sync::OnceLock::new(),
            dashboard: crate::web::recent::Recent::new(crate::web::FIGURES_KEPT_FOR, 256),
        });
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("Failed to bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let background = crate::background::Background::start(
            state.clone().into_inner(),
            crate::background::Schedule {
                sla_sweep_seconds: settings.sla_sweep_seconds,
                wal_checkpoint_seconds: settings.wal_checkpoint_seconds,
                customer_data: settings.customer_data_days()?,
            },
            Arc::new(crate::delivery::Deliverer::new(webhooks)?),
            shutdown.clone(),
        );
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let state = app_state.clone();
            App::new()
                .wrap(from_fn(crate::prom::record))
                .wrap(from_fn(crate::error::problem_details))
                .wrap(TracingLogger::<crate::telemetry::RootSpan>::new())
                // Outermost, so error answers rendered inside get them too.
                .wrap(from_fn(crate::headers::security_headers))
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()),
                )
                .configure(crate::routes::configure)
                .configure(crate::web::configure)
                .default_service(web::to(crate::web::not_found))
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Application {
            port,
            server,
            store,
            shutdown,
            state,
            background,
        })
    }

    /// The application's shared state (tests look at the live streams).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until SIGINT/SIGTERM, then ends the live streams, finishes
    /// the requests in flight and stops the background jobs.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let shutdown = self.shutdown;
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("Shutting down: ending live streams, finishing requests in flight");
            let _ = shutdown.send(true);
            handle.stop(true).await;
        });
        self.server.await.context("The HTTP server failed")?;
        self.background.stop().await;
        self.store.close().await
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
