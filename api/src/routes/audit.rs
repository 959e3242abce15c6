//! `/api/v1/audit`: who changed the organisation and its settings (units,
//! members, routing rules, SLA policies, webhooks, customer data erased),
//! when, and what it looked like before and after. Admins and leaders
//! (`403` for anyone else). Never a secret, a password or a customer's data.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use upturn_domain::audit::AuditEntity;
use upturn_domain::policy::Action;
use upturn_domain::values::{Errors, FieldError};
use upturn_persistence::{AuditEntry, AuditFilter, Page};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{PageParams, Paged};
use crate::startup::AppState;

/// The filters of `GET /audit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only changes to this kind of thing.
    #[param(value_type = Option<crate::openapi::AuditEntityName>)]
    pub entity: Option<String>,
    /// Only changes made by this member.
    #[param(value_type = Option<uuid::Uuid>)]
    pub actor_id: Option<String>,
}

impl AuditParams {
    /// The filter, or every parameter that does not parse (`422`; an empty
    /// value too, as the document says).
    pub fn try_into_filter(&self) -> Result<AuditFilter, ApiError> {
        let mut errors = Errors::default();
        let entity = errors
            .take(
                self.entity
                    .as_deref()
                    .map(|e| {
                        e.parse::<AuditEntity>().map_err(|e| {
                            FieldError::new("entity", format!("must be one of: {}", e.expected))
                        })
                    })
                    .transpose(),
            )
            .flatten();
        let actor_id = errors
            .take(
                self.actor_id
                    .as_deref()
                    .map(|a| {
                        Uuid::parse_str(a)
                            .map_err(|_| FieldError::new("actor_id", "must be a member id"))
                    })
                    .transpose(),
            )
            .flatten();
        if errors.is_empty() {
            Ok(AuditFilter { entity, actor_id })
        } else {
            Err(ApiError::Validation(errors.into_vec()))
        }
    }
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The member who made the change; `null` when the service did (a
    /// customer's data erased once due, a webhook disabled after a day of
    /// failed deliveries, the bootstrap admin).
    pub actor_id: Option<Uuid>,
    /// What was done, e.g. `unit.created`.
    #[schema(value_type = crate::openapi::AuditActionName)]
    pub action: String,
    #[schema(value_type = crate::openapi::AuditEntityName)]
    pub entity: String,
    /// `null` for the SLA policies, changed as a whole.
    pub entity_id: Option<Uuid>,
    /// The entity as `GET` showed it before; `null` for a creation.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entity as `GET` shows it after; `null` for a deletion.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<&AuditEntry> for AuditEntryResponse {
    fn from(e: &AuditEntry) -> Self {
        AuditEntryResponse {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action.as_str().to_owned(),
            entity: e.entity.as_str().to_owned(),
            entity_id: e.entity_id,
            before: e.before.clone(),
            after: e.after.clone(),
        }
    }
}

/// The audit trail, newest first, a page at a time (admins and leaders):
/// for the API and the audit page alike.
pub async fn audit_of(
    state: &AppState,
    caller: &Authenticated,
    filter: AuditFilter,
    page: &PageParams,
) -> Result<Page<AuditEntry>, ApiError> {
    caller.may(Action::ReadAudit)?;
    Ok(state
        .store
        .audit_trail(filter, page.cursor()?, page.limit()?)
        .await?)
}

/// Everyone who ever made a recorded change, by name (admins and leaders):
/// the audit page names them and filters by them.
pub async fn audit_actors_of(
    state: &AppState,
    caller: &Authenticated,
) -> Result<Vec<(Uuid, String)>, ApiError> {
    caller.may(Action::ReadAudit)?;
    Ok(state.store.audit_actors().await?)
}

/// Who changed the organisation and its settings, newest first (admins and
/// leaders).
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "organisation",
    params(AuditParams, PageParams),
    responses(
        (status = 200, description = "A page of recorded changes", body = Paged<AuditEntryResponse>),
        (status = 403, description = "Admins and leaders only", body = Problem),
        (status = 422, description = "A filter, the limit or the cursor is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Authenticated,
    filters: web::Query<AuditParams>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    // Before the filters are read: a refused role learns nothing from them.
    caller.may(Action::ReadAudit)?;
    let filter = filters.try_into_filter()?;
    let page = audit_of(&state, &caller, filter, &page).await?;
    Ok(HttpResponse::Ok().json(Paged::<AuditEntryResponse>::new(page)))
}
