//! Group commit for filings. Under load, many front-line phones file at
//! once; each filing in a transaction of its own pays a full round of
//! `BEGIN`, inserts and `COMMIT` behind SQLite's single writer. Here one
//! task takes every filing waiting in the queue and writes them in one
//! transaction with multi-row inserts: each still gets its request, its
//! `filed` event and its idempotency answer atomically, and its `201` only
//! after the commit. If a batch fails (say two filings share an
//! idempotency key), each of its filings is retried alone, so one bad
//! filing never fails another.

use anyhow::Context;
use sea_orm::EntityTrait;
use tokio::sync::{mpsc, oneshot};
use upturn_domain::Actor;
use upturn_domain::lifecycle::{Event, NewRequest, Request};

use crate::entities::{event, idempotency_key, request, request_unit};
use crate::error::StoreError;
use crate::idempotency::{Idem, idempotency_row};
use crate::inbox::{Notice, fan_out};
use crate::requests::{event_row, request_to_row};
use crate::store::Store;
use sea_orm::ActiveValue::Set;

/// Filings taken into one transaction at most.
const MAX_BATCH: usize = 64;

pub(crate) struct Job {
    actor: Actor,
    input: NewRequest,
    idem: Option<Idem<Request>>,
    reply: oneshot::Sender<Result<Request, StoreError>>,
}

/// The queue in front of the filing task.
pub(crate) type Queue = mpsc::Sender<Job>;

/// Starts the filing tasks for `store` and returns their queue: one on
/// SQLite (one writer anyway), a few on PostgreSQL (which commits in
/// parallel). The tasks end when every queue handle is dropped.
pub(crate) fn start(store: Store) -> Queue {
    let (sender, receiver) = mpsc::channel::<Job>(1024);
    let receiver = std::sync::Arc::new(tokio::sync::Mutex::new(receiver));
    let tasks = match store.backend() {
        crate::store::Backend::Sqlite => 1,
        crate::store::Backend::Postgres => 4,
    };
    for _ in 0..tasks {
        let store = store.clone();
        let receiver = std::sync::Arc::clone(&receiver);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            loop {
                let received = receiver.lock().await.recv_many(&mut batch, MAX_BATCH).await;
                if received == 0 {
                    break;
                }
                store.file_batch(std::mem::take(&mut batch)).await;
            }
        });
    }
    sender
}

impl Store {
    /// Files a request: numbers it, gives it deadlines and (with the
    /// customer's consent) a tracking code, and writes its `filed` event,
    /// all in one transaction (shared with other filings under load).
    #[tracing::instrument(skip_all, fields(actor = %actor.id))]
    pub async fn file_request(
        &self,
        actor: &Actor,
        input: NewRequest,
        idem: Option<Idem<Request>>,
    ) -> Result<Request, StoreError> {
        let Some(queue) = &self.filings else {
            return self.file_one(actor, input, idem).await;
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            actor: *actor,
            input,
            idem,
            reply,
        };
        queue
            .send(job)
            .await
            .map_err(|_| anyhow::anyhow!("the filing task has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the filing task dropped a filing"))?
    }

    async fn file_batch(&self, jobs: Vec<Job>) {
        if jobs.len() == 1 {
            for job in jobs {
                let answer = self.file_one(&job.actor, job.input, job.idem).await;
                let _ = job.reply.send(answer);
            }
            return;
        }
        match self.try_batch(&jobs).await {
            Ok(filed) => {
                for (job, answer) in jobs.into_iter().zip(filed) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(error) => {
                tracing::debug!(error = %error, size = jobs.len(), "Batch failed; filing one by one");
                self.forget_last_number();
                for job in jobs {
                    let answer = self.file_one(&job.actor, job.input, job.idem).await;
                    let _ = job.reply.send(answer);
                }
            }
        }
    }

    /// Writes a batch in one transaction; per filing, the request or the
    /// domain's refusal. Any database error fails the whole batch.
    async fn try_batch(&self, jobs: &[Job]) -> anyhow::Result<Vec<Result<Request, StoreError>>> {
        let tx = self.write().await?;
        let mut answers = Vec::with_capacity(jobs.len());
        let mut requests = Vec::new();
        let mut events = Vec::new();
        let mut remembered = Vec::new();
        let numbers = self.next_request_numbers(&*tx, jobs.len()).await?;
        let rules = self.routing_rules().await?;
        let mut routed = Vec::new();
        let mut notices = Vec::new();
        for (job, number) in jobs.iter().zip(numbers) {
            let policy = self.sla_policy(job.input.urgency).await?;
            let filing = self.filing(number, policy, &job.input, &rules);
            match upturn_domain::file(&job.actor, job.input.clone(), filing) {
                Ok((filed, event)) => {
                    requests.push(request_to_row(&filed));
                    let (event_id, row) = event_row(filed.id, &event);
                    events.push(row);
                    notices.push(Event {
                        id: event_id,
                        request_id: filed.id,
                        event,
                    });
                    if filed.unit_id != filed.team_id {
                        routed.push(request_unit::ActiveModel {
                            request_id: Set(filed.id),
                            unit_id: Set(filed.unit_id),
                        });
                    }
                    if let Some(idem) = &job.idem {
                        remembered.push(idempotency_row(idem, &filed, self.now())?);
                    }
                    answers.push(Ok(filed));
                }
                Err(refusal) => answers.push(Err(StoreError::Refused(refusal))),
            }
        }
        if !requests.is_empty() {
            request::Entity::insert_many(requests)
                .exec_without_returning(&*tx)
                .await
                .context("Failed to insert a batch of requests")?;
            event::Entity::insert_many(events)
                .exec_without_returning(&*tx)
                .await
                .context("Failed to insert a batch of events")?;
        }
        if !routed.is_empty() {
            request_unit::Entity::insert_many(routed)
                .exec_without_returning(&*tx)
                .await
                .context("Failed to record routings on filing")?;
        }
        let filed: Vec<&Request> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
        crate::search::index(&*tx, &filed).await?;
        let contributions: Vec<_> = filed
            .iter()
            .map(|r| crate::metrics::Contribution::filed(r, &[]))
            .collect();
        crate::metrics::record(&*tx, self.backend(), &contributions, true).await?;
        let notices: Vec<Notice<'_>> = filed
            .iter()
            .zip(&notices)
            .map(|(request, event)| Notice {
                request,
                event,
                deadline: None,
            })
            .collect();
        let told = fan_out(&*tx, self.backend(), &notices).await?;
        if !remembered.is_empty() {
            idempotency_key::Entity::insert_many(remembered)
                .exec_without_returning(&*tx)
                .await
                .context("Failed to store a batch of idempotency keys")?;
        }
        tx.commit().await?;
        self.wake(told);
        Ok(answers)
    }
}
