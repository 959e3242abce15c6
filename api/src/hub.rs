//! Wakes live streams when their member has new inbox items: from this
//! process's commits (the store's wake-ups) and, on PostgreSQL, from the
//! other replicas' commits (`LISTEN upturn_inbox`). A wake-up only says
//! "look"; each stream then reads its member's items after its own cursor,
//! so a missed or duplicated wake-up never loses or repeats an item.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use upturn_persistence::{Backend, Store};
use uuid::Uuid;

/// The live streams of this process, by member.
#[derive(Default)]
pub struct Hub {
    streams: Mutex<HashMap<Uuid, Vec<Weak<Notify>>>>,
}

impl Hub {
    /// Registers a stream of `member`; it stays registered while the
    /// returned handle lives.
    pub fn subscribe(&self, member: Uuid) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        if let Ok(mut streams) = self.streams.lock() {
            let entry = streams.entry(member).or_default();
            entry.retain(|w| w.strong_count() > 0);
            entry.push(Arc::downgrade(&notify));
        }
        notify
    }

    /// Wakes the streams of `members` (a permit is kept if a stream is busy).
    pub fn wake(&self, members: &[Uuid]) {
        if let Ok(mut streams) = self.streams.lock() {
            for member in members {
                if let Some(entry) = streams.get_mut(member) {
                    entry.retain(|w| w.strong_count() > 0);
                    for stream in entry.iter().filter_map(Weak::upgrade) {
                        stream.notify_one();
                    }
                    if entry.is_empty() {
                        streams.remove(member);
                    }
                }
            }
        }
    }

    /// Wakes every stream (after a wake-up may have been missed).
    pub fn wake_all(&self) {
        if let Ok(mut streams) = self.streams.lock() {
            streams.retain(|_, entry| {
                entry.retain(|w| w.strong_count() > 0);
                for stream in entry.iter().filter_map(Weak::upgrade) {
                    stream.notify_one();
                }
                !entry.is_empty()
            });
        }
    }

    /// How many streams are open.
    pub fn open_streams(&self) -> usize {
        self.streams
            .lock()
            .map(|s| {
                s.values()
                    .map(|e| e.iter().filter(|w| w.strong_count() > 0).count())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// Feeds the hub from this process's commits and, on PostgreSQL, from the
/// other replicas'.
pub fn spawn_feeds(hub: Arc<Hub>, store: &Store, database_url: &str) {
    let mut local = store.wakeups();
    let local_hub = Arc::clone(&hub);
    tokio::spawn(async move {
        loop {
            match local.recv().await {
                Ok(members) => local_hub.wake(&members),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => local_hub.wake_all(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    if store.backend() == Backend::Postgres {
        let url = database_url.to_owned();
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = listen(&hub, &store, &url).await {
                    tracing::warn!(error = %error, "Lost the inbox notification channel; reconnecting");
                }
                // Whatever was said while we were away: every stream looks.
                hub.wake_all();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

async fn listen(hub: &Hub, store: &Store, url: &str) -> anyhow::Result<()> {
    use upturn_persistence::inbox::{InboxListener, News};
    let mut listener = InboxListener::connect(url).await?;
    hub.wake_all();
    store.forget_settings();
    loop {
        match listener.recv().await? {
            News::Members(members) => hub.wake(&members),
            News::Everyone => hub.wake_all(),
            News::Settings => store.forget_settings(),
        }
    }
}
