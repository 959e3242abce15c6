//! Who may do what: every operation of the API that is not a move of a
//! request through its lifecycle, decided here once.
//!
//! [`permit`] is a pure function of the actor and the [`Action`]. Handlers
//! ask it before they read a body; where the answer depends on something
//! only storage knows (the unit an initiative is created for, the unit that
//! owns one), the domain asks it again with that value filled in.
//!
//! Two neighbours decide the rest, and this file does not repeat them:
//! acting on a request (acknowledge, route, change status, comment, follow
//! up) is [`crate::lifecycle::decide`], and which requests a member may see
//! is [`crate::visibility::Scope`] — a request outside it is `404` where it
//! is loaded, so no action here answers `404` for who the actor is.

use uuid::Uuid;

use crate::initiative::UnitRef;
use crate::model::{Role, UnitKind};
use crate::visibility::Actor;

/// Which figures of `GET /metrics/…` are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsView {
    Overview,
    ByUnit,
    ByCategory,
    Trend,
}

/// Every operation of the API outside a request's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `GET /units`.
    ListUnits,
    /// `GET /units/{id}`.
    ReadUnit,
    /// `POST /units`.
    CreateUnit,
    /// `PATCH /units/{id}`.
    UpdateUnit,
    /// `GET /members`.
    ListMembers,
    /// `GET /members/{id}`.
    ReadMember,
    /// `POST /members`.
    CreateMember,
    /// `PATCH /members/{id}`.
    UpdateMember,
    /// `POST /requests`: file a request for a customer.
    FileRequest,
    /// `GET /requests/export.csv`.
    ExportRequests,
    /// `GET /routing-rules`.
    ListRoutingRules,
    /// `GET /routing-rules/{id}`.
    ReadRoutingRule,
    /// `POST /routing-rules`.
    CreateRoutingRule,
    /// `PUT /routing-rules/{id}`.
    ReplaceRoutingRule,
    /// `DELETE /routing-rules/{id}`.
    DeleteRoutingRule,
    /// `GET /sla-policies`.
    ReadSlaPolicies,
    /// `PUT /sla-policies`.
    ReplaceSlaPolicies,
    /// `GET /metrics/overview`, `/by-unit`, `/by-category`, `/trend`, over
    /// `unit` (`None`: the default, which is the whole organisation for
    /// leaders and their own team for managers). `/by-unit` also asks it
    /// for each unit it would show.
    Metrics {
        view: MetricsView,
        unit: Option<Uuid>,
    },
    /// `GET /metrics/engagement`.
    Engagement,
    /// `GET /pulse/current`.
    CurrentPulse,
    /// `POST /pulse/responses`.
    AnswerPulse,
    /// `GET /initiatives`.
    ListInitiatives,
    /// `GET /initiatives/{id}`.
    ReadInitiative,
    /// `POST /initiatives`, for `unit`; `None` before the unit is known
    /// (the body is not read yet): whether the member creates initiatives
    /// at all.
    CreateInitiative { unit: Option<UnitRef> },
    /// `PATCH /initiatives/{id}` of an initiative owned by `unit_id`;
    /// `None` before the initiative is loaded: whether the member changes
    /// initiatives at all.
    UpdateInitiative { unit_id: Option<Uuid> },
    /// `POST /initiatives/{id}/requests`: link requests (which ones the
    /// member may see is [`crate::visibility::Scope`]) to any initiative.
    LinkToInitiative,
    /// `GET /initiatives/{id}/suggestions`.
    InitiativeSuggestions,
    /// `GET /webhooks`.
    ListWebhooks,
    /// `GET /webhooks/{id}`.
    ReadWebhook,
    /// `POST /webhooks`.
    CreateWebhook,
    /// `DELETE /webhooks/{id}`.
    DeleteWebhook,
    /// `GET /webhooks/{id}/deliveries`.
    ListDeliveries,
    /// `GET /inbox`, `POST /inbox/{id}/read`, `GET /stream`: the member's own
    /// notifications.
    Inbox,
    /// `POST /stream/ticket`.
    StreamTicket,
    /// `POST /requests/{id}/erase-customer`: erase the customer's name and
    /// contact now (see [`crate::customer_data`]).
    EraseCustomerData,
    /// `GET /audit`: who changed the organisation and its settings.
    ReadAudit,
    /// `GET /knowledge`: past resolutions from the whole organisation that
    /// fit a text (never customer data, members or comments).
    Knowledge,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The actor's role, or their unit, may not do this (`403 forbidden`).
    #[error("{0}")]
    Forbidden(&'static str),
}

const ADMINS: &str = "this needs the role admin";
const LEADERS: &str = "this needs the role leader";
const AUDIT: &str = "the audit trail is for admins and leaders";
const FILERS: &str = "only front-line members and managers file requests";
const FIGURES: &str = "leaders read the metrics; managers their own team's";
const OWN_FIGURES: &str = "a manager reads their own team's figures only";
const KNOWLEDGE: &str =
    "past resolutions are for members of a unit (an admin sees no request content)";
const PULSE: &str = "the pulse is answered by members of a unit";
const INITIATIVES: &str = "managers, services and leaders work with initiatives; the front line hears of them through its requests";
const CREATE_INITIATIVE: &str =
    "managers and services create initiatives for their own unit, leaders for any";
const UPDATE_INITIATIVE: &str = "only the initiative's unit and leaders change an initiative";

/// Whether `actor` may do `action`.
///
/// - Any member: read units, their inbox and its live stream.
/// - Admins: manage units and members, and nothing that shows requests or
///   figures.
/// - Front line and managers of a team: file requests.
/// - Leaders: routing rules, SLA policies, the export, webhooks, erasing
///   a customer's personal data, every figure; managers: their own team's figures (`403` for another unit:
///   units are not secret, only their figures).
/// - Admins and leaders: the audit trail of who changed the organisation
///   and its settings (never a secret, a password or a customer's data).
/// - Members of a unit (everyone but admins): the pulse.
/// - Managers and services: read every initiative, link the requests they
///   can see to any of them (that is how many teams' requests gather under
///   one), create and change those of their own unit; leaders: all of it,
///   for any unit (leadership may hand an initiative to the service that
///   will carry it out); the front line hears of initiatives through its
///   requests.
pub fn permit(actor: &Actor, action: &Action) -> Result<(), Denied> {
    use Action::*;
    let allowed = |yes: bool, why: &'static str| {
        if yes {
            Ok(())
        } else {
            Err(Denied::Forbidden(why))
        }
    };
    let own = |unit: Uuid| actor.unit_id == Some(unit);
    let role = actor.role;
    match *action {
        ListUnits | ReadUnit | Inbox | StreamTicket => Ok(()),
        CreateUnit | UpdateUnit | ListMembers | ReadMember | CreateMember | UpdateMember => {
            allowed(role == Role::Admin, ADMINS)
        }
        ExportRequests | ListRoutingRules | ReadRoutingRule | CreateRoutingRule
        | ReplaceRoutingRule | DeleteRoutingRule | ReadSlaPolicies | ReplaceSlaPolicies
        | Engagement | ListWebhooks | ReadWebhook | CreateWebhook | DeleteWebhook
        | ListDeliveries | EraseCustomerData => allowed(role == Role::Leader, LEADERS),
        ReadAudit => allowed(matches!(role, Role::Admin | Role::Leader), AUDIT),
        FileRequest => allowed(
            matches!(role, Role::Frontline | Role::Manager) && actor.unit_id.is_some(),
            FILERS,
        ),
        Metrics { unit, .. } => match (role, actor.unit_id, unit) {
            (Role::Leader, _, _) => Ok(()),
            (Role::Manager, Some(_), None) => Ok(()),
            (Role::Manager, Some(team), Some(asked)) => allowed(asked == team, OWN_FIGURES),
            _ => Err(Denied::Forbidden(FIGURES)),
        },
        CurrentPulse | AnswerPulse => allowed(actor.unit_id.is_some(), PULSE),
        Knowledge => allowed(role != Role::Admin, KNOWLEDGE),
        ListInitiatives
        | ReadInitiative
        | CreateInitiative { .. }
        | UpdateInitiative { .. }
        | LinkToInitiative
        | InitiativeSuggestions => match (role, *action) {
            (Role::Frontline | Role::Admin, _) => Err(Denied::Forbidden(INITIATIVES)),
            (Role::Leader, _) => Ok(()),
            (Role::Manager, CreateInitiative { unit: Some(unit) }) => allowed(
                unit.kind == UnitKind::Team && own(unit.id),
                CREATE_INITIATIVE,
            ),
            (Role::Service, CreateInitiative { unit: Some(unit) }) => allowed(
                unit.kind == UnitKind::Service && own(unit.id),
                CREATE_INITIATIVE,
            ),
            (
                Role::Manager | Role::Service,
                UpdateInitiative {
                    unit_id: Some(unit),
                },
            ) => allowed(own(unit), UPDATE_INITIATIVE),
            // Reading, linking, and creating or changing before the unit is known.
            (Role::Manager | Role::Service, _) => Ok(()),
        },
    }
}
