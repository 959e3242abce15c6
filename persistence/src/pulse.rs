//! The team pulse: one answer per member and ISO week, stored so that it
//! cannot be linked back to the member, and each week's tallies per unit.
//!
//! Two tables that share nothing: `pulse_answers` (random id, unit, week,
//! scores, comment) and `pulse_participation` (member, week). Both rows are
//! written in one transaction, so an answer exists exactly when its
//! participation does.
//!
//! On PostgreSQL, rows written by one transaction carry its id (`xmin`,
//! readable by any SQL user) and sit in the heap in insertion order
//! (`ctid`, and the order of a plain `SELECT`): either would pair an answer
//! with the participation written beside it. So every answer rewrites its
//! unit's answers of the week — deleted and inserted again in id order —
//! under a lock on the unit row: afterwards the unit's answers of that week
//! all carry the latest transaction id and their positions follow their
//! random ids, not the order of answering; the only participation row that
//! shares that id is the latest one, which tells no more than that its
//! member belongs to the unit. On SQLite the
//! tables are `WITHOUT ROWID` (stored in key order) and the rewrite changes
//! nothing visible; it runs there too so that both backends take one path.
//! What remains (dead row versions until vacuum, the write-ahead log, a
//! watcher reading the database while people answer) is in docs/metrics.md.

use std::collections::BTreeMap;

use anyhow::Context;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use upturn_domain::pulse::{Period, PulseAnswer, Tally};
use upturn_domain::values::PulseComment;
use uuid::Uuid;

use crate::entities::{pulse_answer, pulse_participation, unit};
use crate::error::{StoreError, is_unique_violation};
use crate::store::{Backend, Store};

/// A week's answers per unit: the tally and the comments, sorted (never in
/// the order they were stored). Units without answers are absent.
pub type PulseWeek = BTreeMap<Uuid, (Tally, Vec<String>)>;

/// Rows per insert statement: well under PostgreSQL's 65,535 binds.
const CHUNK: usize = 1_000;

fn row(answer: pulse_answer::Model) -> pulse_answer::ActiveModel {
    pulse_answer::ActiveModel {
        id: Set(answer.id),
        unit_id: Set(answer.unit_id),
        period: Set(answer.period),
        happiness: Set(answer.happiness),
        pleasure: Set(answer.pleasure),
        engagement: Set(answer.engagement),
        comment: Set(answer.comment),
    }
}

fn count(value: i64) -> anyhow::Result<u64> {
    u64::try_from(value).context("Failed to read a pulse sum")
}

impl Store {
    /// Records that `member_id` answered `period` and, apart, the answer
    /// under `unit_id`, in one transaction. A second answer of the same
    /// member and week is [`StoreError::AlreadyAnswered`] and stores nothing.
    #[tracing::instrument(name = "answer the pulse", skip_all, fields(period = %period))]
    pub async fn answer_pulse(
        &self,
        member_id: Uuid,
        unit_id: Uuid,
        period: Period,
        answer: PulseAnswer,
        comment: Option<PulseComment>,
    ) -> Result<(), StoreError> {
        let week = period.to_string();
        let tx = self.write().await?;
        if self.backend() == Backend::Postgres {
            // One answer of a unit at a time: the rewrite below reads the
            // unit's week and writes it back whole. (SQLite has one writer.)
            // `NO KEY UPDATE` leaves filings, whose foreign keys share-lock
            // the unit, free to go on.
            unit::Entity::find_by_id(unit_id)
                .select_only()
                .column(unit::Column::Id)
                .lock(LockType::NoKeyUpdate)
                .into_tuple::<Uuid>()
                .one(&*tx)
                .await
                .context("Failed to lock a unit for a pulse answer")?
                .ok_or(StoreError::NotFound)?;
        }
        let participation = pulse_participation::Entity::insert(pulse_participation::ActiveModel {
            member_id: Set(member_id),
            period: Set(week.clone()),
        })
        .exec_without_returning(&*tx)
        .await;
        match participation {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error, "pulse_participation") => {
                return Err(StoreError::AlreadyAnswered);
            }
            Err(error) => {
                return Err(anyhow::Error::new(error)
                    .context("Failed to record a pulse participation")
                    .into());
            }
        }
        let of_unit_week = || {
            Condition::all()
                .add(pulse_answer::Column::UnitId.eq(unit_id))
                .add(pulse_answer::Column::Period.eq(week.clone()))
        };
        let mut answers = pulse_answer::Entity::find()
            .filter(of_unit_week())
            .all(&*tx)
            .await
            .context("Failed to read a unit's pulse answers")?;
        pulse_answer::Entity::delete_many()
            .filter(of_unit_week())
            .exec(&*tx)
            .await
            .context("Failed to clear a unit's pulse answers")?;
        answers.push(pulse_answer::Model {
            // Random, not time-ordered: the id says nothing about when.
            id: Uuid::new_v4(),
            unit_id,
            period: week.clone(),
            happiness: i16::from(answer.happiness.get()),
            pleasure: i16::from(answer.pleasure.get()),
            engagement: i16::from(answer.engagement.get()),
            comment: comment.map(PulseComment::into_inner),
        });
        answers.sort_by_key(|a| a.id);
        let mut rows = answers.into_iter().map(row).peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
            pulse_answer::Entity::insert_many(chunk)
                .exec_without_returning(&*tx)
                .await
                .context("Failed to store a unit's pulse answers")?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether `member_id` has answered the pulse of `period`.
    pub async fn pulse_answered(
        &self,
        member_id: Uuid,
        period: Period,
    ) -> Result<bool, StoreError> {
        let found = pulse_participation::Entity::find_by_id((member_id, period.to_string()))
            .count(&self.db)
            .await
            .context("Failed to look up a pulse participation")?;
        Ok(found > 0)
    }

    /// Every unit's answers of `period`: a tally and the comments.
    pub async fn pulse_week(&self, period: Period) -> Result<PulseWeek, StoreError> {
        let week = period.to_string();
        let tx = crate::metrics::snapshot(self).await?;
        let sums: Vec<(Uuid, i64, i64, i64, i64)> = pulse_answer::Entity::find()
            .select_only()
            .column(pulse_answer::Column::UnitId)
            .column_as(pulse_answer::Column::Id.count(), "answers")
            .column_as(pulse_answer::Column::Happiness.sum(), "happiness")
            .column_as(pulse_answer::Column::Pleasure.sum(), "pleasure")
            .column_as(pulse_answer::Column::Engagement.sum(), "engagement")
            .filter(pulse_answer::Column::Period.eq(week.clone()))
            .group_by(pulse_answer::Column::UnitId)
            .into_tuple()
            .all(&tx)
            .await
            .context("Failed to sum a week's pulse answers")?;
        let comments: Vec<(Uuid, String)> = pulse_answer::Entity::find()
            .select_only()
            .column(pulse_answer::Column::UnitId)
            .column(pulse_answer::Column::Comment)
            .filter(pulse_answer::Column::Period.eq(week))
            .filter(pulse_answer::Column::Comment.is_not_null())
            .into_tuple()
            .all(&tx)
            .await
            .context("Failed to read a week's pulse comments")?;
        tx.commit().await.context("Failed to end a pulse read")?;
        let mut out = PulseWeek::new();
        for (unit_id, answers, happiness, pleasure, engagement) in sums {
            let tally = Tally::from_sums(
                count(answers)?,
                count(happiness)?,
                count(pleasure)?,
                count(engagement)?,
            )
            .context("Failed to read a week's pulse answers")?;
            out.insert(unit_id, (tally, Vec::new()));
        }
        for (unit_id, comment) in comments {
            if let Some((_, list)) = out.get_mut(&unit_id) {
                list.push(comment);
            }
        }
        for (_, list) in out.values_mut() {
            list.sort_unstable();
        }
        Ok(out)
    }
}
