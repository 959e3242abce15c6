//! Background work, in one place with one lifecycle: every job starts with
//! the server ([`Background::start`]) and stops with it
//! ([`Background::stop`]: the run in flight finishes, then the job ends).
//! Each run is counted for Prometheus (`upturn_job_*`, see `prom.rs`) and
//! logged when it did something or failed. All are safe with several
//! replicas on one database (docs/operations.md, "Background jobs").

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use upturn_domain::customer_data::KeepDays;
use upturn_persistence::Backend;

use crate::prom::Job;
use crate::startup::AppState;

/// How often the rate limiters forget keys back at a full quota.
const LIMITER_CLEAN_UP: Duration = Duration::from_secs(60);
/// Retention and customer data erasure: first a minute after start (not in
/// the rush of a start), then hourly.
const HOURLY_FIRST: Duration = Duration::from_secs(60);
const HOURLY: Duration = Duration::from_secs(3_600);
/// How long [`Background::stop`] waits for the jobs (a webhook round in
/// flight ends within one attempt's timeout).
const STOP_WITHIN: Duration = Duration::from_secs(15);

/// How often the periodic jobs run.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub sla_sweep_seconds: u64,
    pub wal_checkpoint_seconds: u64,
    pub customer_data: KeepDays,
}

/// The running jobs.
pub struct Background {
    stop: watch::Sender<bool>,
    jobs: Vec<(&'static str, JoinHandle<()>)>,
}

impl Background {
    /// Starts every job. `stop` is the sender whose `true` also ends the live
    /// streams (`AppState::shutdown` is its receiver).
    pub fn start(
        state: Arc<AppState>,
        schedule: Schedule,
        deliverer: Arc<crate::delivery::Deliverer>,
        stop: watch::Sender<bool>,
    ) -> Background {
        crate::prom::register_jobs();
        let mut jobs = Vec::new();
        let every = |first: Duration, period: Duration| (stop.subscribe(), first, period);

        let sweep = Duration::from_secs(schedule.sla_sweep_seconds.max(1));
        let s = Arc::clone(&state);
        jobs.push((
            Job::SlaSweep.as_str(),
            periodic(every(Duration::ZERO, sweep), move || {
                let s = Arc::clone(&s);
                async move { sweep_sla(&s).await }
            }),
        ));

        if state.store.backend() == Backend::Sqlite {
            let period = Duration::from_secs(schedule.wal_checkpoint_seconds.max(1));
            let s = Arc::clone(&state);
            jobs.push((
                Job::WalCheckpoint.as_str(),
                periodic(every(period, period), move || {
                    let s = Arc::clone(&s);
                    async move { checkpoint(&s).await }
                }),
            ));
        }

        let s = Arc::clone(&state);
        jobs.push((
            "rate_limit_clean_up",
            periodic(every(LIMITER_CLEAN_UP, LIMITER_CLEAN_UP), move || {
                s.login_limiter.shrink();
                s.track_limiter.shrink();
                std::future::ready(())
            }),
        ));

        let s = Arc::clone(&state);
        let keep = schedule.customer_data;
        jobs.push((
            "hourly",
            periodic(every(HOURLY_FIRST, HOURLY), move || {
                let s = Arc::clone(&s);
                async move {
                    prune(&s).await;
                    erase_customer_data(&s, keep).await;
                }
            }),
        ));

        jobs.push((
            Job::WebhookDelivery.as_str(),
            crate::delivery::spawn(state.store.clone(), deliverer, stop.subscribe()),
        ));
        Background { stop, jobs }
    }

    /// Tells every job to stop and waits for them: a run in flight finishes
    /// first; a job still running after 15 s is left to the runtime's end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let deadline = Instant::now() + STOP_WITHIN;
        for (name, job) in self.jobs {
            if tokio::time::timeout_at(deadline, job).await.is_err() {
                tracing::warn!(job = name, "A background job did not stop in time");
            }
        }
    }
}

/// Runs `run` after `first`, then every `period`, until `stop` turns true
/// (or its sender is gone). A run is never cut short; runs never overlap,
/// and one that overran is followed by the next at once, not by a burst.
fn periodic<F, Fut>(
    (mut stop, first, period): (watch::Receiver<bool>, Duration, Duration),
    mut run: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(Instant::now() + first, period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let due = tokio::select! {
                biased;
                _ = stop.wait_for(|stopping| *stopping) => false,
                _ = tick.tick() => true,
            };
            if !due {
                return;
            }
            run().await;
        }
    })
}

/// Flags passed SLA deadlines (each exactly once, see the sweeper).
async fn sweep_sla(state: &AppState) {
    let swept = state.store.sweep_sla(state.store.clock().now()).await;
    crate::prom::job_ran(Job::SlaSweep, &swept);
    match swept {
        Ok(0) => {}
        Ok(flagged) => tracing::info!(flagged, "SLA deadlines passed"),
        Err(error) => tracing::warn!(error = %error, "SLA sweep failed"),
    }
}

/// Folds the SQLite WAL back into the database so it stays bounded.
async fn checkpoint(state: &AppState) {
    let checkpoint = state.store.checkpoint().await;
    crate::prom::job_ran(Job::WalCheckpoint, &checkpoint);
    if let Err(error) = checkpoint {
        tracing::warn!(error = %error, "WAL checkpoint failed");
    }
}

/// Deletes what is past its retention (`upturn_persistence::retention`).
async fn prune(state: &AppState) {
    let pruned = state.store.prune(state.store.clock().now()).await;
    crate::prom::job_ran(Job::Retention, &pruned);
    match pruned {
        Ok(pruned) if pruned.is_empty() => {}
        Ok(pruned) => tracing::info!(
            delivered_events = pruned.delivered_events,
            delivery_attempts = pruned.delivery_attempts,
            idempotency_keys = pruned.idempotency_keys,
            "Pruned what is past its retention"
        ),
        Err(error) => tracing::warn!(error = %error, "Pruning failed"),
    }
}

/// Erases the customer data closed requests kept for `keep` days (each
/// request once, with one event, whichever replica gets there first).
async fn erase_customer_data(state: &AppState, keep: KeepDays) {
    let now = state.store.clock().now();
    let erased = state.store.erase_due_customer_data(keep, now).await;
    crate::prom::job_ran(Job::CustomerDataErasure, &erased);
    match erased {
        Ok(0) => {}
        Ok(erased) => tracing::info!(
            erased,
            days = keep.get(),
            "Erased the customer data of requests closed long enough ago"
        ),
        Err(error) => tracing::warn!(error = %error, "Customer data erasure failed"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A job that takes five seconds a run, counting runs begun and ended.
    fn slow_job(
        stop: &watch::Sender<bool>,
        first: Duration,
        period: Duration,
    ) -> (JoinHandle<()>, Arc<(AtomicUsize, AtomicUsize)>) {
        let runs = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let counted = Arc::clone(&runs);
        let job = periodic((stop.subscribe(), first, period), move || {
            let counted = Arc::clone(&counted);
            async move {
                counted.0.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                counted.1.fetch_add(1, Ordering::SeqCst);
            }
        });
        (job, runs)
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_first_runs_after_its_delay_then_every_period() {
        let (stop, _) = watch::channel(false);
        let (_job, runs) = slow_job(&stop, Duration::from_secs(60), Duration::from_secs(3_600));
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert_eq!(
            runs.0.load(Ordering::SeqCst),
            0,
            "not before its first delay"
        );
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(runs.1.load(Ordering::SeqCst), 1, "once at one minute");
        tokio::time::sleep(Duration::from_secs(3_500)).await;
        assert_eq!(
            runs.0.load(Ordering::SeqCst),
            1,
            "not again within the hour"
        );
        tokio::time::sleep(Duration::from_secs(100)).await;
        assert_eq!(runs.1.load(Ordering::SeqCst), 2, "again an hour later");
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_lets_the_run_in_flight_finish_and_starts_no_other() {
        let (stop, _) = watch::channel(false);
        let (job, runs) = slow_job(&stop, Duration::ZERO, Duration::from_secs(1));
        tokio::time::sleep(Duration::from_secs(12)).await;
        let begun = runs.0.load(Ordering::SeqCst);
        assert!(begun >= 2, "runs follow each other: {begun}");
        assert_eq!(runs.1.load(Ordering::SeqCst), begun - 1, "one in flight");
        stop.send(true).unwrap();
        job.await.unwrap();
        assert_eq!(
            runs.0.load(Ordering::SeqCst),
            begun,
            "none begun after stop"
        );
        assert_eq!(
            runs.1.load(Ordering::SeqCst),
            begun,
            "the one in flight ended"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_whose_stop_sender_is_gone_ends() {
        let (stop, _) = watch::channel(false);
        let (job, _) = slow_job(
            &stop,
            Duration::from_secs(3_600),
            Duration::from_secs(3_600),
        );
        drop(stop);
        tokio::time::timeout(Duration::from_secs(1), job)
            .await
            .expect("ended at once")
            .unwrap();
    }
}
