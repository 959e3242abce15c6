//! `/api/v1/routing-rules` and `/api/v1/sla-policies`: leadership's standing
//! orders. Leaders only (`403` for anyone else).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use upturn_domain::model::{Kind, Urgency};
use upturn_domain::policy::Action;
use upturn_domain::routing::{RoutingRule, RuleMatch};
use upturn_domain::sla::{MAX_SECONDS, SlaPolicy};
use upturn_domain::values::{Category, Errors, FieldError, Name};
use upturn_persistence::{Idem, RuleInput};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{self, etag};
use crate::startup::AppState;

/// What a rule matches; an empty list matches anything.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct RuleMatchBody {
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::CategoryName>)]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::KindName>)]
    pub kinds: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::UrgencyName>)]
    pub urgencies: Vec<String>,
    /// Matched case-insensitively in the title or description.
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::KeywordText>)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleResponse {
    pub id: Uuid,
    pub name: String,
    /// Rules are tried by ascending position.
    pub position: i64,
    #[serde(rename = "match")]
    pub matches: RuleMatchBody,
    /// A service unit or the leadership unit.
    pub target_unit_id: Uuid,
    /// Route as soon as the request is filed, skipping the team's managers.
    pub on_filing: bool,
    pub active: bool,
    pub version: i64,
}

impl From<&RoutingRule> for RuleResponse {
    fn from(r: &RoutingRule) -> Self {
        RuleResponse {
            id: r.id,
            name: r.name.clone(),
            position: r.position,
            matches: RuleMatchBody {
                categories: r.matches.categories.clone(),
                kinds: r
                    .matches
                    .kinds
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect(),
                urgencies: r
                    .matches
                    .urgencies
                    .iter()
                    .map(|u| u.as_str().to_owned())
                    .collect(),
                keywords: r.matches.keywords.clone(),
            },
            target_unit_id: r.target.unit_id,
            on_filing: r.on_filing,
            active: r.active,
            version: r.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleBody {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    pub position: i64,
    #[serde(rename = "match", default)]
    pub matches: RuleMatchBody,
    pub target_unit_id: Uuid,
    #[serde(default)]
    pub on_filing: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// On `PUT`: the version you saw; stale → `409`.
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

fn closed<T: std::str::FromStr<Err = upturn_domain::model::UnknownValue>>(
    field: &str,
    values: &[String],
) -> Result<Vec<T>, FieldError> {
    values
        .iter()
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| FieldError::new(field, format!("must be one of: {}", e.expected)))
        })
        .collect()
}

impl RuleBody {
    /// The rule as the domain takes it, or every field that does not parse.
    pub fn try_into_domain(&self, categories: &[String]) -> Result<RuleInput, ApiError> {
        let mut errors = Errors::default();
        let name = errors.take(Name::parse("name", &self.name));
        let kinds = errors.take(closed::<Kind>("match.kinds", &self.matches.kinds));
        let urgencies = errors.take(closed::<Urgency>(
            "match.urgencies",
            &self.matches.urgencies,
        ));
        let cats = errors.take(
            self.matches
                .categories
                .iter()
                .map(|c| {
                    Category::parse("match.categories", c, categories)
                        .map(|c| c.as_str().to_owned())
                })
                .collect::<Result<Vec<_>, _>>(),
        );
        let keywords: Vec<String> = self
            .matches
            .keywords
            .iter()
            .map(|k| k.trim().to_owned())
            .collect();
        if keywords.iter().any(String::is_empty) {
            errors.push(FieldError::new(
                "match.keywords",
                "must not contain an empty keyword (an empty list matches anything)",
            ));
        }
        // Checked as sent: the contract's pattern and length apply to that.
        let sent = &self.matches.keywords;
        if sent.iter().any(|k| k.chars().any(char::is_control)) {
            errors.push(FieldError::new(
                "match.keywords",
                "must not contain control characters",
            ));
        }
        if sent.iter().any(|k| k.chars().count() > 100) {
            errors.push(FieldError::new(
                "match.keywords",
                "each keyword must be at most 100 characters",
            ));
        }
        match (name, kinds, urgencies, cats) {
            (Some(name), Some(kinds), Some(urgencies), Some(categories)) if errors.is_empty() => {
                Ok(RuleInput {
                    name: name.into_inner(),
                    position: self.position,
                    matches: RuleMatch {
                        categories,
                        kinds,
                        urgencies,
                        keywords,
                    },
                    target_unit_id: self.target_unit_id,
                    on_filing: self.on_filing,
                    active: self.active,
                })
            }
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

fn location(id: Uuid) -> String {
    format!("/api/v1/routing-rules/{id}")
}

fn answer(rule: &RoutingRule) -> http::Answer<RuleResponse> {
    http::Answer {
        location: location(rule.id),
        version: Some(rule.version),
        body: RuleResponse::from(rule),
    }
}

/// The routing rules, by position (leaders).
pub async fn rules_of(
    state: &AppState,
    caller: &Authenticated,
) -> Result<Vec<RoutingRule>, ApiError> {
    caller.may(Action::ListRoutingRules)?;
    Ok(state.store.routing_rules().await?)
}

/// One routing rule (leaders).
pub async fn rule_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
) -> Result<RoutingRule, ApiError> {
    caller.may(Action::ReadRoutingRule)?;
    Ok(state.store.routing_rule(id).await?)
}

/// Adds a routing rule (leaders), for the API and the rules page alike.
pub async fn create_rule_of(
    state: &AppState,
    caller: &Authenticated,
    input: &RuleBody,
    idem: Option<Idem<RoutingRule>>,
) -> Result<RoutingRule, ApiError> {
    caller.may(Action::CreateRoutingRule)?;
    let rule = input.try_into_domain(&state.categories)?;
    Ok(state
        .store
        .create_routing_rule(Some(caller.0.id), rule, idem)
        .await?)
}

/// Replaces a routing rule (leaders); `if_match` and the body's `version`
/// are the versions the caller saw.
pub async fn replace_rule_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    input: &RuleBody,
    if_match: Option<i64>,
) -> Result<RoutingRule, ApiError> {
    caller.may(Action::ReplaceRoutingRule)?;
    let rule = input.try_into_domain(&state.categories)?;
    Ok(state
        .store
        .replace_routing_rule(Some(caller.0.id), id, rule, if_match, input.version)
        .await?)
}

/// Deletes a routing rule (leaders).
pub async fn delete_rule_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
) -> Result<(), ApiError> {
    caller.may(Action::DeleteRoutingRule)?;
    Ok(state
        .store
        .delete_routing_rule(Some(caller.0.id), id)
        .await?)
}

/// List the routing rules, by position (leaders).
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "leadership",
    responses((status = 200, description = "The rules", body = RuleList), (status = 403, description = "Leaders only", body = Problem)),
    security(("bearer" = [])))]
pub async fn list_rules(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let rules = rules_of(&state, &caller).await?;
    Ok(HttpResponse::Ok().json(RuleList {
        items: rules.iter().map(RuleResponse::from).collect(),
    }))
}

/// Read one routing rule (leaders).
#[utoipa::path(get, path = "/api/v1/routing-rules/{id}", tag = "leadership", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The rule", body = RuleResponse), (status = 403, description = "Leaders only", body = Problem),
        (status = 404, description = "No such rule", body = Problem)),
    security(("bearer" = [])))]
pub async fn get_rule(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let rule = rule_of(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(rule.version))
        .json(RuleResponse::from(&rule)))
}

/// Add a routing rule (leaders).
#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "leadership", request_body = RuleBody,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, description = "Created", body = RuleResponse, headers(("Location" = String))),
        (status = 403, description = "Leaders only", body = Problem), (status = 422, description = "Validation failed", body = Problem)),
    security(("bearer" = [])))]
pub async fn create_rule(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Before the body is read: a refused role never learns what is wrong with it.
    caller.may(Action::CreateRoutingRule)?;
    let input: RuleBody = http::json(&request, &body)?;
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        caller.0.id,
        "POST /api/v1/routing-rules",
        &body,
        answer,
        |idem| async move { create_rule_of(&state, &caller, &input, idem).await },
    )
    .await
}

/// Replace a routing rule (leaders).
#[utoipa::path(put, path = "/api/v1/routing-rules/{id}", tag = "leadership", request_body = RuleBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "Replaced", body = RuleResponse), (status = 403, description = "Leaders only", body = Problem),
        (status = 404, description = "No such rule", body = Problem), (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem), (status = 422, description = "Validation failed", body = Problem)),
    security(("bearer" = [])))]
pub async fn replace_rule(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::ReplaceRoutingRule)?;
    let input: RuleBody = http::json(&request, &body)?;
    let rule = replace_rule_of(&state, &caller, *id, &input, http::if_match(&request)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(rule.version))
        .json(RuleResponse::from(&rule)))
}

/// Delete a routing rule (leaders).
#[utoipa::path(delete, path = "/api/v1/routing-rules/{id}", tag = "leadership", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Leaders only", body = Problem),
        (status = 404, description = "No such rule", body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_rule(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delete_rule_of(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    /// `low`, `normal`, `high` or `critical`.
    #[schema(value_type = crate::openapi::UrgencyName)]
    pub urgency: String,
    /// From each arrival at a level.
    #[schema(minimum = 1, maximum = 31536000)]
    pub acknowledge_within_seconds: i64,
    /// From filing.
    #[schema(minimum = 1, maximum = 31536000)]
    pub resolve_within_seconds: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PoliciesBody {
    /// All four urgencies.
    #[schema(min_items = 4, max_items = 4)]
    pub policies: Vec<PolicyBody>,
}

fn policies_response(policies: &[SlaPolicy]) -> PoliciesBody {
    PoliciesBody {
        policies: policies
            .iter()
            .map(|p| PolicyBody {
                urgency: p.urgency.as_str().to_owned(),
                acknowledge_within_seconds: p.acknowledge_within_seconds,
                resolve_within_seconds: p.resolve_within_seconds,
            })
            .collect(),
    }
}

impl PoliciesBody {
    /// The four policies, or every field that does not fit.
    pub fn try_into_domain(&self) -> Result<Vec<SlaPolicy>, ApiError> {
        let mut errors = Errors::default();
        let mut policies: Vec<SlaPolicy> = Vec::new();
        for (i, p) in self.policies.iter().enumerate() {
            let urgency = errors.take(p.urgency.parse::<Urgency>().map_err(|e| {
                FieldError::new(
                    format!("policies[{i}].urgency"),
                    format!("must be one of: {}", e.expected),
                )
            }));
            for (field, value) in [
                ("acknowledge_within_seconds", p.acknowledge_within_seconds),
                ("resolve_within_seconds", p.resolve_within_seconds),
            ] {
                if !(1..=MAX_SECONDS).contains(&value) {
                    errors.push(FieldError::new(
                        format!("policies[{i}].{field}"),
                        format!("must be between 1 and {MAX_SECONDS} seconds"),
                    ));
                }
            }
            if let Some(urgency) = urgency {
                if policies.iter().any(|q| q.urgency == urgency) {
                    errors.push(FieldError::new(
                        format!("policies[{i}].urgency"),
                        "is given twice",
                    ));
                }
                policies.push(SlaPolicy {
                    urgency,
                    acknowledge_within_seconds: p.acknowledge_within_seconds,
                    resolve_within_seconds: p.resolve_within_seconds,
                });
            }
        }
        if errors.is_empty() && policies.len() != Urgency::ALL.len() {
            errors.push(FieldError::new(
                "policies",
                "must give all four urgencies: low, normal, high, critical",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors.into_vec()));
        }
        Ok(policies)
    }
}

/// The SLA policies, one per urgency (leaders).
pub async fn policies_of(
    state: &AppState,
    caller: &Authenticated,
) -> Result<Vec<SlaPolicy>, ApiError> {
    caller.may(Action::ReadSlaPolicies)?;
    Ok(state.store.sla_policies().await?)
}

/// Replaces the SLA policies (leaders), for the API and the rules page alike.
pub async fn replace_policies_of(
    state: &AppState,
    caller: &Authenticated,
    input: &PoliciesBody,
) -> Result<Vec<SlaPolicy>, ApiError> {
    caller.may(Action::ReplaceSlaPolicies)?;
    let policies = input.try_into_domain()?;
    Ok(state
        .store
        .set_sla_policies(Some(caller.0.id), &policies)
        .await?)
}

/// The SLA policies per urgency (leaders).
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "leadership",
    responses((status = 200, description = "The policies", body = PoliciesBody), (status = 403, description = "Leaders only", body = Problem)),
    security(("bearer" = [])))]
pub async fn get_policies(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(policies_response(&policies_of(&state, &caller).await?)))
}

/// Replace the SLA policies (leaders). Requests filed from now on get the
/// new deadlines; requests already filed keep theirs.
#[utoipa::path(put, path = "/api/v1/sla-policies", tag = "leadership", request_body = PoliciesBody,
    responses((status = 200, description = "The new policies", body = PoliciesBody), (status = 403, description = "Leaders only", body = Problem),
        (status = 422, description = "Validation failed", body = Problem)),
    security(("bearer" = [])))]
pub async fn put_policies(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::ReplaceSlaPolicies)?;
    let input: PoliciesBody = http::json(&request, &body)?;
    let policies = replace_policies_of(&state, &caller, &input).await?;
    Ok(HttpResponse::Ok().json(policies_response(&policies)))
}
