//! A member's preferences for the pages: the language they chose, so it
//! follows them to every device they sign in on.

use anyhow::Context;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use uuid::Uuid;

use crate::entities::member_preference;
use crate::{Store, StoreError};

impl Store {
    /// The language a member chose, if any (a short code such as `fr`).
    pub async fn member_language(&self, member_id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(member_preference::Entity::find_by_id(member_id)
            .one(&self.db)
            .await
            .context("Failed to read a member's preferences")?
            .and_then(|p| p.language))
    }

    /// Remembers the language a member chose.
    pub async fn set_member_language(
        &self,
        member_id: Uuid,
        language: &str,
    ) -> Result<(), StoreError> {
        let tx = self.write().await?;
        member_preference::Entity::insert(member_preference::ActiveModel {
            member_id: Set(member_id),
            language: Set(Some(language.to_owned())),
            updated_at: Set(self.now()),
        })
        .on_conflict(
            OnConflict::column(member_preference::Column::MemberId)
                .update_columns([
                    member_preference::Column::Language,
                    member_preference::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&*tx)
        .await
        .context("Failed to save a member's language")?;
        tx.commit().await?;
        Ok(())
    }
}
