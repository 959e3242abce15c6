//! Idempotency keys: a create retried with the same key and the same body
//! gets the answer of the first attempt. The answer is stored in the same
//! transaction as the create, so it exists exactly when the create does.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::entities::idempotency_key;
use crate::error::{StoreError, is_unique_violation};
use crate::store::Store;

/// Who sent which key, with what body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemKey {
    pub member_id: Uuid,
    pub key: String,
    /// A digest of the operation and its canonical body.
    pub fingerprint: String,
}

/// An HTTP answer as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub fingerprint: String,
    pub status_code: u16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: String,
}

/// Renders the answer of a create, from what was created.
pub type Render<T> = Box<dyn Fn(&T) -> anyhow::Result<StoredResponse> + Send + Sync>;

/// An idempotency key with the function that renders the answer of the
/// create once it is made (inside the create's transaction).
pub struct Idem<T> {
    pub key: IdemKey,
    pub render: Render<T>,
}

impl Store {
    /// The stored answer for `key` sent by `member_id`, if any.
    pub async fn idempotent_answer(
        &self,
        member_id: Uuid,
        key: &str,
    ) -> anyhow::Result<Option<StoredResponse>> {
        let row = idempotency_key::Entity::find_by_id((member_id, key.to_owned()))
            .one(&self.db)
            .await
            .context("Failed to look up an idempotency key")?;
        Ok(row.map(|row| StoredResponse {
            fingerprint: row.fingerprint,
            status_code: u16::try_from(row.status_code).unwrap_or(200),
            location: row.location,
            etag: row.etag,
            body: row.body,
        }))
    }
}

/// The row that remembers the answer of a create.
pub(crate) fn idempotency_row<T>(
    idem: &Idem<T>,
    created: &T,
    at: DateTime<Utc>,
) -> anyhow::Result<idempotency_key::ActiveModel> {
    let answer = (idem.render)(created)?;
    Ok(idempotency_key::ActiveModel {
        member_id: Set(idem.key.member_id),
        key: Set(idem.key.key.clone()),
        fingerprint: Set(idem.key.fingerprint.clone()),
        status_code: Set(i32::from(answer.status_code)),
        location: Set(answer.location),
        etag: Set(answer.etag),
        body: Set(answer.body),
        created_at: Set(at),
    })
}

/// Whether an insert of idempotency rows failed because a key is taken.
pub(crate) fn key_taken(error: &sea_orm::DbErr) -> bool {
    is_unique_violation(error, "")
}

/// Renders and stores the answer of a create, inside its transaction.
pub(crate) async fn remember<T, C: ConnectionTrait>(
    txn: &C,
    idem: Option<Idem<T>>,
    created: &T,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(idem) = idem else {
        return Ok(());
    };
    let row = idempotency_row(&idem, created, at)?;
    match idempotency_key::Entity::insert(row)
        .exec_without_returning(txn)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if key_taken(&error) => Err(StoreError::IdempotencyRace),
        Err(error) => Err(anyhow::Error::new(error)
            .context("Failed to store an idempotency key")
            .into()),
    }
}

/// Forgets the kept answers that created the resource `id`, once it is
/// deleted: a retry with the same key would otherwise answer a `201` naming
/// something that no longer exists. Ids are UUIDs, so the `Location` that
/// ends in `/{id}` is that resource's.
pub(crate) async fn forget_answers_about<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<(), StoreError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Location.like(format!("%/{id}")))
        .exec(db)
        .await
        .context("Failed to forget the kept answers about a deleted resource")?;
    Ok(())
}
