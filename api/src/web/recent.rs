//! Figures a page keeps for a minute (decision 0016). Leadership's
//! dashboard sums a period's roll-ups for every unit, category and week:
//! tens of milliseconds at a million requests, asked again by every leader
//! who opens the same period. The first reader of a period computes it;
//! readers within the minute get the same figures, with the time they
//! were computed; a reader who arrives while someone else computes newer
//! figures gets the last ones rather than waiting.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// A value and the time it was computed at.
pub struct Kept<V> {
    pub at: DateTime<Utc>,
    pub value: Arc<V>,
}

impl<V> Clone for Kept<V> {
    fn clone(&self) -> Self {
        Kept {
            at: self.at,
            value: Arc::clone(&self.value),
        }
    }
}

struct Slot<V> {
    kept: Mutex<Option<Kept<V>>>,
    /// Held by the one reader computing this key's figures.
    computing: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<V> Slot<V> {
    /// The kept value if it was computed less than `within` before `now`.
    fn within(&self, now: DateTime<Utc>, within: Duration) -> Option<Kept<V>> {
        lock(&self.kept)
            .as_ref()
            .filter(|kept| kept.at <= now && now - kept.at < within)
            .cloned()
    }
}

/// Values by key, each kept for `ttl` after it was computed.
pub struct Recent<K, V> {
    ttl: Duration,
    /// Past this many keys, those whose values have expired are dropped.
    max_keys: usize,
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K: Eq + Hash + Clone, V> Recent<K, V> {
    pub fn new(ttl: Duration, max_keys: usize) -> Self {
        Recent {
            ttl,
            max_keys,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key` computed less than `ttl` before `now`, or the one
    /// `compute` gives now (kept if it is `Ok`). While another reader
    /// computes the same key, a value up to five times `ttl` old is given
    /// rather than waiting for it; an older one is not.
    pub async fn get_or_compute<E, F, Fut>(
        &self,
        key: K,
        now: DateTime<Utc>,
        compute: F,
    ) -> Result<Kept<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = self.slot(key, now);
        if let Some(kept) = slot.within(now, self.ttl) {
            return Ok(kept);
        }
        let _computing = match slot.computing.try_lock() {
            Ok(guard) => guard,
            Err(_) => match slot.within(now, self.ttl * 5) {
                Some(kept) => return Ok(kept),
                None => slot.computing.lock().await,
            },
        };
        // Computed by the reader this one waited for.
        if let Some(kept) = slot.within(now, self.ttl) {
            return Ok(kept);
        }
        let kept = Kept {
            at: now,
            value: Arc::new(compute().await?),
        };
        *lock(&slot.kept) = Some(kept.clone());
        Ok(kept)
    }

    fn slot(&self, key: K, now: DateTime<Utc>) -> Arc<Slot<V>> {
        let mut slots = lock(&self.slots);
        if slots.len() >= self.max_keys && !slots.contains_key(&key) {
            let ttl = self.ttl;
            slots.retain(|_, slot| slot.within(now, ttl).is_some());
        }
        Arc::clone(slots.entry(key).or_insert_with(|| {
            Arc::new(Slot {
                kept: Mutex::new(None),
                computing: tokio::sync::Mutex::new(()),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    async fn counted(
        recent: &Recent<&'static str, u32>,
        key: &'static str,
        now: i64,
        calls: &AtomicU32,
    ) -> Kept<u32> {
        let result: Result<Kept<u32>, ()> = recent
            .get_or_compute(key, at(now), || async {
                Ok(calls.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await;
        result.unwrap_or_else(|()| panic!("computing failed"))
    }

    #[tokio::test]
    async fn a_value_is_kept_for_its_time_then_computed_again() {
        let recent = Recent::new(Duration::seconds(60), 8);
        let calls = AtomicU32::new(0);
        let first = counted(&recent, "30 days", 0, &calls).await;
        assert_eq!((*first.value, first.at), (1, at(0)));
        let again = counted(&recent, "30 days", 59, &calls).await;
        assert_eq!((*again.value, again.at), (1, at(0)));
        let other = counted(&recent, "7 days", 59, &calls).await;
        assert_eq!(*other.value, 2);
        let later = counted(&recent, "30 days", 60, &calls).await;
        assert_eq!((*later.value, later.at), (3, at(60)));
        // A clock set back does not make an old value look fresh.
        let back = counted(&recent, "30 days", 30, &calls).await;
        assert_eq!((*back.value, back.at), (4, at(30)));
    }

    #[tokio::test]
    async fn a_failure_is_not_kept() {
        let recent: Recent<&str, u32> = Recent::new(Duration::seconds(60), 8);
        let failed: Result<Kept<u32>, &str> = recent
            .get_or_compute("key", at(0), || async { Err("the database is away") })
            .await;
        assert!(failed.is_err());
        let calls = AtomicU32::new(0);
        let next = counted(&recent, "key", 1, &calls).await;
        assert_eq!(*next.value, 1);
    }

    #[tokio::test]
    async fn expired_keys_make_room() {
        let recent = Recent::new(Duration::seconds(60), 2);
        let calls = AtomicU32::new(0);
        counted(&recent, "a", 0, &calls).await;
        counted(&recent, "b", 0, &calls).await;
        counted(&recent, "c", 61, &calls).await;
        assert_eq!(lock(&recent.slots).len(), 1);
    }

    #[tokio::test]
    async fn a_reader_arriving_during_a_computation_gets_the_last_value() {
        let recent = Arc::new(Recent::new(Duration::seconds(60), 8));
        let calls = AtomicU32::new(0);
        counted(&recent, "key", 0, &calls).await;
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (finish, finished) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let recent = Arc::clone(&recent);
            tokio::spawn(async move {
                let kept: Result<Kept<u32>, ()> = recent
                    .get_or_compute("key", at(70), || async move {
                        let _ = started.send(());
                        let _ = finished.await;
                        Ok(2)
                    })
                    .await;
                kept.map(|k| *k.value)
            })
        };
        let _ = wait.await;
        let meanwhile = counted(&recent, "key", 71, &calls).await;
        assert_eq!((*meanwhile.value, meanwhile.at), (1, at(0)));
        let _ = finish.send(());
        assert_eq!(slow.await.ok(), Some(Ok(2)));
        let after = counted(&recent, "key", 72, &calls).await;
        assert_eq!((*after.value, after.at), (2, at(70)));
    }
}
