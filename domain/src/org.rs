//! The shape of the organisation: which role belongs in which kind of unit.

use crate::model::{Role, UnitKind};

/// Whether a member with `role` may belong to a unit of `unit` kind (`None`:
/// no unit). Front line and managers sit in a team, service members in a
/// service, leaders in the leadership unit; admins sit outside the pyramid.
pub fn role_fits_unit(role: Role, unit: Option<UnitKind>) -> bool {
    matches!(
        (role, unit),
        (Role::Frontline | Role::Manager, Some(UnitKind::Team))
            | (Role::Service, Some(UnitKind::Service))
            | (Role::Leader, Some(UnitKind::Leadership))
            | (Role::Admin, None)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_exactly_one_home() {
        let homes = [
            None,
            Some(UnitKind::Team),
            Some(UnitKind::Service),
            Some(UnitKind::Leadership),
        ];
        for role in Role::ALL {
            let fitting = homes
                .iter()
                .filter(|home| role_fits_unit(*role, **home))
                .count();
            assert_eq!(fitting, 1, "{role}");
        }
        assert!(role_fits_unit(Role::Manager, Some(UnitKind::Team)));
        assert!(!role_fits_unit(Role::Leader, Some(UnitKind::Team)));
        assert!(!role_fits_unit(Role::Admin, Some(UnitKind::Leadership)));
    }
}

/// A unit of the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: UnitKind,
    pub categories: Vec<String>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A member of the organisation (never their password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: uuid::Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub unit_id: Option<uuid::Uuid>,
    pub active: bool,
    pub version: i64,
    /// Grows when the password or the role changes: tokens issued in an
    /// earlier generation are refused.
    pub token_generation: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Member {
    /// The member as an actor on requests.
    pub fn actor(&self) -> crate::visibility::Actor {
        crate::visibility::Actor {
            id: self.id,
            role: self.role,
            unit_id: self.unit_id,
        }
    }
}

/// Why a change to the members is refused whatever who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrgRefusal {
    /// The change would leave no active admin to manage the members.
    #[error("at least one active admin must remain")]
    LastAdmin,
}

/// At least one active admin always remains: a change that takes the last
/// one's role or activity away is refused. `others` counts the active
/// admins besides the member changed.
pub fn keeps_an_admin(before: &Member, after: &Member, others: u64) -> Result<(), OrgRefusal> {
    let was = before.active && before.role == crate::model::Role::Admin;
    let is = after.active && after.role == crate::model::Role::Admin;
    if was && !is && others == 0 {
        Err(OrgRefusal::LastAdmin)
    } else {
        Ok(())
    }
}

/// Whether a change ends the member's older tokens: a new password or a new role.
pub fn ends_older_tokens(before: &Member, after: &Member, password_changed: bool) -> bool {
    password_changed || before.role != after.role
}
