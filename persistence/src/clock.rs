//! The store's clock: the system clock, or one a test sets by hand so that
//! every timestamp it writes (filing, acknowledgement, resolution…) is known
//! in advance and figures computed from them can be checked exactly.
//!
//! Every timestamp persistence stores comes from here (`Store::now`), and
//! the background jobs ask it what time it is. Three readings stay on the
//! wall clock because someone outside checks them against real time: a
//! token's issue and expiry (jsonwebtoken validates them with the system
//! clock), a webhook signature's `t=` (receivers refuse stale ones), and the
//! `remaining_seconds` an answer shows beside a deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};

/// `i64::MIN` microseconds means "follow the system clock".
const SYSTEM: i64 = i64::MIN;

/// Shared by every clone of a [`crate::Store`]. Cheap to read.
#[derive(Clone, Debug)]
pub struct Clock(Arc<AtomicI64>);

impl Default for Clock {
    fn default() -> Self {
        Clock(Arc::new(AtomicI64::new(SYSTEM)))
    }
}

impl Clock {
    /// Now, truncated to microseconds so both databases store the same instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self.0.load(Ordering::Relaxed) {
            SYSTEM => Utc::now().trunc_subsecs(6),
            micros => DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now),
        }
    }

    /// Stops the clock at `at` (microseconds kept) until set again.
    pub fn set(&self, at: DateTime<Utc>) {
        self.0.store(at.timestamp_micros(), Ordering::Relaxed);
    }

    /// Moves a stopped clock on by `by` (from the system time if running).
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }

    /// Back to the system clock.
    pub fn follow_system(&self) {
        self.0.store(SYSTEM, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_stands_still_and_advances_by_hand() {
        let clock = Clock::default();
        let at = DateTime::from_timestamp(1_795_000_000, 123_456_000).unwrap_or_default();
        clock.set(at);
        assert_eq!(clock.now(), at);
        assert_eq!(clock.now(), at);
        clock.advance(chrono::Duration::seconds(90));
        assert_eq!(clock.now(), at + chrono::Duration::seconds(90));
        clock.follow_system();
        assert!(clock.now() > at);
    }
}
