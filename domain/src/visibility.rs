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

/// Whose figures a member may read (`GET /metrics/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Leaders: the whole organisation and every unit.
    Organisation,
    /// Managers: their own team only.
    Team(Uuid),
}

impl MetricsAccess {
    /// `None` for every other role: no figures at all (`403`).
    pub fn of(actor: &Actor) -> Option<MetricsAccess> {
        match (actor.role, actor.unit_id) {
            (Role::Leader, _) => Some(MetricsAccess::Organisation),
            (Role::Manager, Some(team)) => Some(MetricsAccess::Team(team)),
            _ => None,
        }
    }

    /// The unit to compute over when the caller asked for `asked`
    /// (`None`: the whole organisation for leaders, their team for
    /// managers); `None` when they may not read that unit (`403`: units are
    /// not secret, only their figures).
    pub fn unit(self, asked: Option<Uuid>) -> Option<Option<Uuid>> {
        match (self, asked) {
            (MetricsAccess::Organisation, asked) => Some(asked),
            (MetricsAccess::Team(team), None) => Some(Some(team)),
            (MetricsAccess::Team(team), Some(unit)) => (unit == team).then_some(Some(team)),
        }
    }

    /// Whether a unit's own figures may be shown (`/metrics/by-unit`).
    pub fn admits_unit(self, unit: Uuid) -> bool {
        match self {
            MetricsAccess::Organisation => true,
            MetricsAccess::Team(team) => team == unit,
        }
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
    fn leaders_read_every_unit_managers_their_team_others_nothing() {
        let team = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let leader = MetricsAccess::of(&actor(Role::Leader, Some(Uuid::from_u128(5))));
        assert_eq!(leader, Some(MetricsAccess::Organisation));
        assert_eq!(leader.and_then(|a| a.unit(None)), Some(None));
        assert_eq!(leader.and_then(|a| a.unit(Some(other))), Some(Some(other)));
        let manager = MetricsAccess::of(&actor(Role::Manager, Some(team)));
        assert_eq!(manager.and_then(|a| a.unit(None)), Some(Some(team)));
        assert_eq!(manager.and_then(|a| a.unit(Some(team))), Some(Some(team)));
        assert_eq!(manager.and_then(|a| a.unit(Some(other))), None);
        assert!(manager.is_some_and(|a| a.admits_unit(team) && !a.admits_unit(other)));
        for role in [Role::Frontline, Role::Service, Role::Admin] {
            assert_eq!(
                MetricsAccess::of(&actor(role, Some(team))),
                None,
                "{role:?}"
            );
        }
    }
}
