//! Units and members: the organisation chart.

use anyhow::Context;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use upturn_domain::audit::AuditAction;
use upturn_domain::model::{Role, UnitKind};
use upturn_domain::org::{Member, Unit, role_fits_unit};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{member, unit};
use crate::error::{StoreError, is_unique_violation};
use crate::idempotency::{Idem, remember};
use crate::requests::{Along, Page, keyset_page};
use crate::store::Store;

/// A unit to create.
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub name: String,
    pub kind: UnitKind,
    pub categories: Vec<String>,
}

/// Changes to a unit; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub categories: Option<Vec<String>>,
}

/// A member to create, with the password already hashed.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub password_hash: String,
}

/// Changes to a member; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct MemberPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` moves the member out of any unit (admins only).
    pub unit_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

fn unit_from_row(row: unit::Model) -> anyhow::Result<Unit> {
    Ok(Unit {
        id: row.id,
        name: row.name,
        kind: row.kind.parse().context("Failed to read a unit kind")?,
        categories: serde_json::from_str(&row.categories)
            .context("Failed to read unit categories")?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn member_from_row(row: member::Model) -> anyhow::Result<Member> {
    Ok(Member {
        id: row.id,
        name: row.name,
        email: row.email,
        role: row.role.parse().context("Failed to read a member role")?,
        unit_id: row.unit_id,
        active: row.active,
        version: row.version,
        token_generation: row.token_generation,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Refuses a stale `If-Match` (`412`) or body `version` (`409`).
pub(crate) fn check_version(
    current: i64,
    if_match: Option<i64>,
    body_version: Option<i64>,
) -> Result<(), StoreError> {
    if if_match.is_some_and(|v| v != current) {
        return Err(StoreError::PreconditionFailed { current });
    }
    if body_version.is_some_and(|v| v != current) {
        return Err(StoreError::VersionConflict { current });
    }
    Ok(())
}

impl Store {
    /// Creates a unit for `actor` (`None`: the service itself, e.g. the demo).
    #[tracing::instrument(skip(self, idem))]
    pub async fn create_unit(
        &self,
        actor: Option<Uuid>,
        new: NewUnit,
        idem: Option<Idem<Unit>>,
    ) -> Result<Unit, StoreError> {
        let tx = self.write().await?;
        if new.kind == UnitKind::Leadership {
            let existing = unit::Entity::find()
                .filter(unit::Column::Kind.eq(UnitKind::Leadership.as_str()))
                .count(&*tx)
                .await
                .context("Failed to count leadership units")?;
            if existing > 0 {
                return Err(StoreError::invalid(
                    "kind",
                    "there is already a leadership unit",
                ));
            }
        }
        let at = self.now();
        let created = Unit {
            id: Uuid::now_v7(),
            name: new.name,
            kind: new.kind,
            categories: new.categories,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        unit::Entity::insert(unit::ActiveModel {
            id: Set(created.id),
            name: Set(created.name.clone()),
            kind: Set(created.kind.as_str().to_owned()),
            categories: Set(serde_json::to_string(&created.categories)
                .context("Failed to encode categories")?),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_without_returning(&*tx)
        .await
        .context("Failed to insert a unit")?;
        let change = Change {
            action: AuditAction::UnitCreated,
            entity_id: Some(created.id),
            before: None,
            after: Some(audit::unit_shape(&created)),
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        remember(&*tx, idem, &created, self.now()).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn unit(&self, id: Uuid) -> Result<Unit, StoreError> {
        let row = unit::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("Failed to load a unit")?
            .ok_or(StoreError::NotFound)?;
        Ok(unit_from_row(row)?)
    }

    pub async fn list_units(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<Unit>, StoreError> {
        let query = keyset_page(
            unit::Entity::find(),
            unit::Column::Id,
            Along::Up,
            after,
            limit,
        );
        let rows = query.all(&self.db).await.context("Failed to list units")?;
        let items = rows
            .into_iter()
            .map(unit_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, |u| u.id.to_string()))
    }

    #[tracing::instrument(skip(self))]
    pub async fn update_unit(
        &self,
        actor: Option<Uuid>,
        id: Uuid,
        patch: UnitPatch,
        if_match: Option<i64>,
        body_version: Option<i64>,
    ) -> Result<Unit, StoreError> {
        let tx = self.write().await?;
        let row = unit::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .context("Failed to load a unit")?
            .ok_or(StoreError::NotFound)?;
        check_version(row.version, if_match, body_version)?;
        let mut unit = unit_from_row(row)?;
        let before = audit::unit_shape(&unit);
        let previous = unit.version;
        if let Some(name) = patch.name {
            unit.name = name;
        }
        if let Some(categories) = patch.categories {
            unit.categories = categories;
        }
        unit.version += 1;
        unit.updated_at = self.now();
        let changed = unit::Entity::update_many()
            .col_expr(unit::Column::Name, Expr::value(unit.name.clone()))
            .col_expr(
                unit::Column::Categories,
                Expr::value(
                    serde_json::to_string(&unit.categories)
                        .context("Failed to encode categories")?,
                ),
            )
            .col_expr(unit::Column::Version, Expr::value(unit.version))
            .col_expr(unit::Column::UpdatedAt, Expr::value(unit.updated_at))
            .filter(unit::Column::Id.eq(id))
            .filter(unit::Column::Version.eq(previous))
            .exec(&*tx)
            .await
            .context("Failed to update a unit")?;
        if changed.rows_affected != 1 {
            return Err(StoreError::VersionConflict { current: previous });
        }
        let change = Change {
            action: AuditAction::UnitUpdated,
            entity_id: Some(id),
            before: Some(before),
            after: Some(audit::unit_shape(&unit)),
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        tx.commit().await?;
        Ok(unit)
    }

    /// Checks that `role` fits the unit `unit_id` names.
    async fn check_role_fits<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        role: Role,
        unit_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let kind = match unit_id {
            Some(id) => {
                let row = unit::Entity::find_by_id(id)
                    .one(conn)
                    .await
                    .context("Failed to load a unit")?
                    .ok_or_else(|| StoreError::invalid("unit_id", "no such unit"))?;
                Some(unit_from_row(row)?.kind)
            }
            None => None,
        };
        if role_fits_unit(role, kind) {
            Ok(())
        } else {
            Err(StoreError::invalid(
                "role",
                format!(
                    "a {role} member belongs in {}",
                    match role {
                        Role::Frontline | Role::Manager => "a team",
                        Role::Service => "a service unit",
                        Role::Leader => "the leadership unit",
                        Role::Admin => "no unit (unit_id must be null)",
                    }
                ),
            ))
        }
    }

    /// Creates a member for `actor` (`None`: the service itself, e.g. the
    /// bootstrap admin or `upturn member add`).
    #[tracing::instrument(skip(self, new, idem), fields(email = %new.email, role = %new.role))]
    pub async fn create_member(
        &self,
        actor: Option<Uuid>,
        new: NewMember,
        idem: Option<Idem<Member>>,
    ) -> Result<Member, StoreError> {
        let tx = self.write().await?;
        self.check_role_fits(&*tx, new.role, new.unit_id).await?;
        let at = self.now();
        let created = Member {
            id: Uuid::now_v7(),
            name: new.name,
            email: new.email,
            role: new.role,
            unit_id: new.unit_id,
            active: true,
            version: 1,
            token_generation: 0,
            created_at: at,
            updated_at: at,
        };
        let inserted = member::Entity::insert(member::ActiveModel {
            id: Set(created.id),
            name: Set(created.name.clone()),
            email: Set(created.email.clone()),
            role: Set(created.role.as_str().to_owned()),
            unit_id: Set(created.unit_id),
            active: Set(true),
            password_hash: Set(new.password_hash),
            version: Set(1),
            token_generation: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_without_returning(&*tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error, "email") => {
                return Err(StoreError::EmailTaken);
            }
            Err(error) => {
                return Err(anyhow::Error::new(error)
                    .context("Failed to insert a member")
                    .into());
            }
        }
        let change = Change {
            action: AuditAction::MemberCreated,
            entity_id: Some(created.id),
            before: None,
            after: Some(audit::member_shape(&created)),
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        remember(&*tx, idem, &created, self.now()).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn member(&self, id: Uuid) -> Result<Member, StoreError> {
        let row = member::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("Failed to load a member")?
            .ok_or(StoreError::NotFound)?;
        Ok(member_from_row(row)?)
    }

    /// The member with this email and their password hash, for logging in.
    pub async fn member_for_login(
        &self,
        email: &str,
    ) -> Result<Option<(Member, String)>, StoreError> {
        let row = member::Entity::find()
            .filter(member::Column::Email.eq(email))
            .one(&self.db)
            .await
            .context("Failed to load a member by email")?;
        match row {
            Some(row) => {
                let hash = row.password_hash.clone();
                Ok(Some((member_from_row(row)?, hash)))
            }
            None => Ok(None),
        }
    }

    pub async fn count_members(&self) -> Result<u64, StoreError> {
        Ok(member::Entity::find()
            .count(&self.db)
            .await
            .context("Failed to count members")?)
    }

    pub async fn list_members(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<Member>, StoreError> {
        let query = keyset_page(
            member::Entity::find(),
            member::Column::Id,
            Along::Up,
            after,
            limit,
        );
        let rows = query
            .all(&self.db)
            .await
            .context("Failed to list members")?;
        let items = rows
            .into_iter()
            .map(member_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, |m| m.id.to_string()))
    }

    #[tracing::instrument(skip(self, patch))]
    pub async fn update_member(
        &self,
        actor: Option<Uuid>,
        id: Uuid,
        patch: MemberPatch,
        if_match: Option<i64>,
        body_version: Option<i64>,
    ) -> Result<Member, StoreError> {
        let tx = self.write().await?;
        let row = member::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .context("Failed to load a member")?
            .ok_or(StoreError::NotFound)?;
        check_version(row.version, if_match, body_version)?;
        let password_changed = patch.password_hash.is_some();
        let password_hash = patch
            .password_hash
            .unwrap_or_else(|| row.password_hash.clone());
        let before = member_from_row(row)?;
        let mut member = before.clone();
        let previous = member.version;
        if let Some(name) = patch.name {
            member.name = name;
        }
        if let Some(email) = patch.email {
            member.email = email;
        }
        if let Some(role) = patch.role {
            member.role = role;
        }
        if let Some(unit_id) = patch.unit_id {
            member.unit_id = unit_id;
        }
        if let Some(active) = patch.active {
            member.active = active;
        }
        self.check_role_fits(&*tx, member.role, member.unit_id)
            .await?;
        let other_admins = member::Entity::find()
            .filter(member::Column::Role.eq(Role::Admin.as_str()))
            .filter(member::Column::Active.eq(true))
            .filter(member::Column::Id.ne(id))
            .count(&*tx)
            .await
            .context("Failed to count the active admins")?;
        upturn_domain::org::keeps_an_admin(&before, &member, other_admins)
            .map_err(|_| StoreError::LastAdmin)?;
        if upturn_domain::org::ends_older_tokens(&before, &member, password_changed) {
            member.token_generation += 1;
        }
        member.version += 1;
        member.updated_at = self.now();
        let changed = member::Entity::update_many()
            .col_expr(member::Column::Name, Expr::value(member.name.clone()))
            .col_expr(member::Column::Email, Expr::value(member.email.clone()))
            .col_expr(member::Column::Role, Expr::value(member.role.as_str()))
            .col_expr(member::Column::UnitId, Expr::value(member.unit_id))
            .col_expr(member::Column::Active, Expr::value(member.active))
            .col_expr(member::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(member::Column::Version, Expr::value(member.version))
            .col_expr(
                member::Column::TokenGeneration,
                Expr::value(member.token_generation),
            )
            .col_expr(member::Column::UpdatedAt, Expr::value(member.updated_at))
            .filter(member::Column::Id.eq(id))
            .filter(member::Column::Version.eq(previous))
            .exec(&*tx)
            .await;
        let changed = match changed {
            Ok(changed) => changed,
            Err(error) if is_unique_violation(&error, "email") => {
                return Err(StoreError::EmailTaken);
            }
            Err(error) => {
                return Err(anyhow::Error::new(error)
                    .context("Failed to update a member")
                    .into());
            }
        };
        if changed.rows_affected != 1 {
            return Err(StoreError::VersionConflict { current: previous });
        }
        let mut after = audit::member_shape(&member);
        if password_changed && let Some(fields) = after.as_object_mut() {
            // That it changed, never what to.
            fields.insert("password_changed".to_owned(), serde_json::Value::Bool(true));
        }
        let change = Change {
            action: AuditAction::of_member_change(&before, &member),
            entity_id: Some(id),
            before: Some(audit::member_shape(&before)),
            after: Some(after),
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        tx.commit().await?;
        Ok(member)
    }
}
