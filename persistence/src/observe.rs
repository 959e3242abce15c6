//! What an operator watches (Prometheus, through the `metrics` facade):
//! the request events each process commits, counted after the commit, and
//! the database-wide figures read at scrape time. The names are listed in
//! docs/operations.md ("Monitoring and alerts").

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use upturn_domain::lifecycle::Deadline;
use upturn_domain::{EventType, Level, Status};

use crate::entities::request;
use crate::inbox::Notice;
use crate::requests::{OPEN, overdue_at};
use crate::store::{Backend, Store};

/// One request event a change wrote, as counted once it is committed.
#[derive(Debug)]
pub(crate) struct Written {
    event: EventType,
    /// For `filed`: the request's kind and category.
    filed: Option<(&'static str, String)>,
    /// For `sla_breached`: the deadline that passed.
    deadline: Option<Deadline>,
}

impl Written {
    pub(crate) fn of(notice: &Notice<'_>) -> Written {
        let event = notice.event.event.kind;
        Written {
            event,
            filed: (event == EventType::Filed).then(|| {
                (
                    notice.request.kind.as_str(),
                    notice.request.category.clone(),
                )
            }),
            deadline: notice.deadline,
        }
    }
}

/// Counts committed events: `upturn_request_events_total{type}`,
/// `upturn_requests_filed_total{kind,category}` and
/// `upturn_sla_breaches_total{deadline}`.
pub(crate) fn count(written: &[Written]) {
    for w in written {
        metrics::counter!("upturn_request_events_total", "type" => w.event.as_str()).increment(1);
        if let Some((kind, category)) = &w.filed {
            metrics::counter!(
                "upturn_requests_filed_total",
                "kind" => *kind,
                "category" => category.clone()
            )
            .increment(1);
        }
        if w.event == EventType::SlaBreached {
            let deadline = w.deadline.unwrap_or(Deadline::Resolve).as_str();
            metrics::counter!("upturn_sla_breaches_total", "deadline" => deadline).increment(1);
        }
    }
}

/// Requests still being worked on at one level, and how many of them are
/// past a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAtLevel {
    pub level: Level,
    pub open: u64,
    pub overdue: u64,
}

/// The connection pool of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

impl Store {
    /// Open and overdue requests by level, across the whole database (every
    /// level that holds requests, with zeros): two grouped counts over the
    /// open rows, which the status index finds.
    pub async fn open_by_level(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<OpenAtLevel>> {
        let open = self
            .count_by_level(
                request::Column::Status
                    .is_in(OPEN.map(Status::as_str))
                    .into(),
            )
            .await
            .context("Failed to count open requests")?;
        let overdue = self
            .count_by_level(overdue_at(now))
            .await
            .context("Failed to count overdue requests")?;
        Ok([Level::Manager, Level::Service, Level::Leadership]
            .into_iter()
            .map(|level| OpenAtLevel {
                level,
                open: open.get(level.as_str()).copied().unwrap_or(0),
                overdue: overdue.get(level.as_str()).copied().unwrap_or(0),
            })
            .collect())
    }

    async fn count_by_level(
        &self,
        condition: sea_orm::Condition,
    ) -> Result<std::collections::HashMap<String, u64>, sea_orm::DbErr> {
        let rows: Vec<(String, i64)> = request::Entity::find()
            .select_only()
            .column(request::Column::Level)
            .column_as(request::Column::Id.count(), "n")
            .filter(condition)
            .group_by(request::Column::Level)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(level, n)| (level, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// Connections of this process's pool in use and idle.
    pub fn pool_use(&self) -> PoolUse {
        let (size, idle, max) = match self.backend() {
            Backend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            Backend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        PoolUse {
            in_use: size.saturating_sub(idle),
            idle,
            max,
        }
    }
}
