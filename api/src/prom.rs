//! Prometheus metrics (request counts and latencies by route and status)
//! and one access-log line per request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const DURATION: &str = "http_request_duration_seconds";

/// Installs the global recorder once and returns its handle. Under a lock:
/// servers started at once in one process (tests) would otherwise both try
/// to install it, and the second would fail before the first had kept its
/// handle.
pub fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: std::sync::Mutex<Option<PrometheusHandle>> = std::sync::Mutex::new(None);
    let mut handle = HANDLE
        .lock()
        .map_err(|_| anyhow::anyhow!("the metrics recorder's lock is poisoned"))?;
    if let Some(installed) = &*handle {
        return Ok(installed.clone());
    }
    let installed = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(DURATION.to_owned()),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ],
        )?
        .install_recorder()?;
    *handle = Some(installed.clone());
    Ok(installed)
}

/// Middleware: counts and times every request by its route pattern.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.call(request).await?;
    let elapsed = started.elapsed();
    tracing::info!(
        http.method = %method,
        http.route = %route,
        http.status = response.status().as_u16(),
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "Request handled"
    );
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(elapsed.as_secs_f64());
    Ok(response)
}

/// The background jobs an operator can watch run (`upturn_job_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    SlaSweep,
    WebhookDelivery,
    WalCheckpoint,
    Retention,
    CustomerDataErasure,
}

impl Job {
    pub const ALL: [Job; 5] = [
        Job::SlaSweep,
        Job::WebhookDelivery,
        Job::WalCheckpoint,
        Job::Retention,
        Job::CustomerDataErasure,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Job::SlaSweep => "sla_sweep",
            Job::WebhookDelivery => "webhook_delivery",
            Job::WalCheckpoint => "wal_checkpoint",
            Job::Retention => "retention",
            Job::CustomerDataErasure => "customer_data_erasure",
        }
    }
}

/// Registers every job's counters at zero, so that "did not run for five
/// minutes" can be seen from the start (a series that never appeared
/// cannot be watched).
pub fn register_jobs() {
    for job in Job::ALL {
        // `increment(0)`, not `absolute(0)`: tests run several servers in
        // one process, sharing one recorder.
        metrics::counter!("upturn_job_runs_total", "task" => job.as_str()).increment(0);
        metrics::counter!("upturn_job_failures_total", "task" => job.as_str()).increment(0);
    }
}

/// Counts one run of `job` that ended with `outcome`, and stamps when.
pub fn job_ran<T, E>(job: Job, outcome: &Result<T, E>) {
    let name = job.as_str();
    metrics::counter!("upturn_job_runs_total", "task" => name).increment(1);
    if outcome.is_err() {
        metrics::counter!("upturn_job_failures_total", "task" => name).increment(1);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    metrics::gauge!("upturn_job_last_run_timestamp_seconds", "task" => name).set(now);
}

/// How often the database-wide gauges are read, at most, however many
/// scrapers ask.
const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The gauges read at scrape time. The database-wide ones (open and overdue
/// requests by level, the webhook backlog) are the same in every replica
/// (aggregate them with `max`); they are read at most every five seconds,
/// by one scrape while the others wait, so `/metrics` cannot be used to
/// load the database.
#[derive(Default)]
pub struct ScrapeGauges(tokio::sync::Mutex<Option<Instant>>);

impl ScrapeGauges {
    pub async fn refresh(&self, store: &upturn_persistence::Store, live_streams: usize) {
        metrics::gauge!("upturn_live_streams").set(live_streams as f64);
        let pool = store.pool_use();
        metrics::gauge!("upturn_db_pool_connections", "state" => "in_use").set(pool.in_use);
        metrics::gauge!("upturn_db_pool_connections", "state" => "idle").set(pool.idle);
        metrics::gauge!("upturn_db_pool_max_connections").set(pool.max);
        let mut sampled = self.0.lock().await;
        if sampled.is_some_and(|at| at.elapsed() < SAMPLE_EVERY) {
            return;
        }
        *sampled = Some(Instant::now());
        match store.webhook_backlog().await {
            Ok(owed) => metrics::gauge!("upturn_webhook_backlog").set(owed as f64),
            Err(error) => tracing::warn!(error = %error, "Failed to count the webhook backlog"),
        }
        match store.open_by_level(store.clock().now()).await {
            Ok(levels) => {
                for at in levels {
                    let level = at.level.as_str();
                    metrics::gauge!("upturn_requests_open", "level" => level).set(at.open as f64);
                    metrics::gauge!("upturn_requests_overdue", "level" => level)
                        .set(at.overdue as f64);
                }
            }
            Err(error) => tracing::warn!(error = %error, "Failed to count open requests"),
        }
    }
}
