//! Who may see which request. Decided here once; persistence turns a
//! [`Scope`] into a query filter, and every single-request endpoint asks
//! [`Scope::admits`]. A request outside the caller's scope does not exist for
//! them (`404`, never `403`).

use uuid::Uuid;

use crate::model::Role;

/// The member acting, as the API authenticated them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
    /// `None` for admins only.
    pub unit_id: Option<Uuid>,
}

/// The set of requests a member may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Leaders: every request.
    Everything,
    /// Admins: no request content at all.
    Nothing,
    /// Front line and managers: the requests their team filed.
    Team(Uuid),
    /// Services: the requests that were ever routed to their unit.
    RoutedTo(Uuid),
}

impl Scope {
    /// The scope of an actor.
    pub fn of(actor: &Actor) -> Scope {
        match (actor.role, actor.unit_id) {
            (Role::Leader, _) => Scope::Everything,
            (Role::Frontline | Role::Manager, Some(unit)) => Scope::Team(unit),
            (Role::Service, Some(unit)) => Scope::RoutedTo(unit),
            // Admins, and any member without a unit, see no request.
            _ => Scope::Nothing,
        }
    }

    /// Whether a request filed by `team_id` and routed to `routed_units` is
    /// inside this scope.
    pub fn admits(&self, team_id: Uuid, routed_units: &[Uuid]) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Nothing => false,
            Scope::Team(unit) => *unit == team_id,
            Scope::RoutedTo(unit) => routed_units.contains(unit),
        }
    }
}

/// The unit a member's figures (`GET /metrics/…`) are computed over, once
/// [`crate::policy::permit`] has let them ask for `asked`: a manager's are
/// their team's, named or not; a leader's are the unit asked for, or the
/// whole organisation (`None`).
pub fn figures_unit(actor: &Actor, asked: Option<Uuid>) -> Option<Uuid> {
    match (actor.role, actor.unit_id) {
        (Role::Manager, Some(team)) => Some(team),
        _ => asked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, unit: Option<Uuid>) -> Actor {
        Actor {
            id: Uuid::from_u128(99),
            role,
            unit_id: unit,
        }
    }

    #[test]
    fn the_visibility_matrix() {
        let team = Uuid::from_u128(1);
        let other_team = Uuid::from_u128(2);
        let service = Uuid::from_u128(3);
        let other_service = Uuid::from_u128(4);
        let leadership = Uuid::from_u128(5);
        let routed = [service];

        let cases = [
            (actor(Role::Frontline, Some(team)), true),
            (actor(Role::Manager, Some(team)), true),
            (actor(Role::Frontline, Some(other_team)), false),
            (actor(Role::Manager, Some(other_team)), false),
            (actor(Role::Service, Some(service)), true),
            (actor(Role::Service, Some(other_service)), false),
            (actor(Role::Leader, Some(leadership)), true),
            (actor(Role::Admin, None), false),
        ];
        for (who, expected) in cases {
            assert_eq!(Scope::of(&who).admits(team, &routed), expected, "{who:?}");
        }
    }

    #[test]
    fn leaders_get_the_unit_they_asked_for_managers_their_team() {
        let team = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let leader = actor(Role::Leader, Some(Uuid::from_u128(5)));
        assert_eq!(figures_unit(&leader, None), None);
        assert_eq!(figures_unit(&leader, Some(other)), Some(other));
        let manager = actor(Role::Manager, Some(team));
        assert_eq!(figures_unit(&manager, None), Some(team));
        assert_eq!(figures_unit(&manager, Some(team)), Some(team));
    }
}
