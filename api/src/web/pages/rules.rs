//! `/app/rules`: leadership's standing orders — the routing rules (by
//! position: add, change, delete) and the SLA policies (how soon each
//! urgency is acknowledged and resolved, typed in minutes, hours or days and
//! shown in words) — through the same operations as `/api/v1/routing-rules`
//! and `/api/v1/sla-policies`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use upturn_domain::model::{Kind, UnitKind, Urgency};
use upturn_domain::org::Unit;
use upturn_domain::routing::RoutingRule;
use upturn_domain::sla::SlaPolicy;
use upturn_domain::values::{Errors, FieldError};
use uuid::Uuid;

use super::intake::Choice;
use super::{Fields, Refused, all_units, correctable, render, stale};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::routes::rules::{
    PoliciesBody, PolicyBody, RuleBody, RuleMatchBody, create_rule_of, delete_rule_of, policies_of,
    replace_policies_of, replace_rule_of, rule_of, rules_of,
};
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::{TimeUnit, Tr};
use crate::web::shell::Shell;

/// A rule as the list shows it, in words.
pub struct RuleRow {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    pub target: String,
    pub on_filing: bool,
    pub active: bool,
    pub categories: String,
    pub kinds: String,
    pub urgencies: String,
    pub keywords: String,
}

/// What a rule form holds, as typed.
#[derive(Default)]
pub struct RuleValues {
    pub name: String,
    pub position: String,
    pub categories: Vec<String>,
    pub kinds: Vec<String>,
    pub urgencies: Vec<String>,
    /// One keyword per line.
    pub keywords: String,
    pub target: String,
    pub on_filing: bool,
    pub active: bool,
    pub version: Option<i64>,
}

/// The rule form's fields and its lists of choices.
pub struct RuleForm {
    pub values: RuleValues,
    pub categories: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub urgencies: Vec<Choice>,
    pub targets: Vec<Choice>,
    pub error: Option<Refused>,
}

/// An amount of time as typed: a number and its unit.
pub struct Amount {
    pub value: String,
    pub units: Vec<Choice>,
}

/// One urgency's deadlines.
pub struct PolicyRow {
    pub urgency: &'static str,
    pub label: String,
    pub acknowledge: Amount,
    pub resolve: Amount,
    /// What is in force now, in words.
    pub acknowledge_words: String,
    pub resolve_words: String,
}

#[derive(Template)]
#[template(path = "web/rules.html")]
struct RulesPage<'a> {
    shell: Shell<'a>,
    rules: Vec<RuleRow>,
    form: RuleForm,
    policies: Vec<PolicyRow>,
    sla_error: Option<Refused>,
}

#[derive(Template)]
#[template(path = "web/rule.html")]
struct RulePage<'a> {
    shell: Shell<'a>,
    rule: RoutingRule,
    form: RuleForm,
}

fn choice(value: &str, label: String, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        hint: None,
        selected,
    }
}

fn listed(words: Vec<String>, tr: Tr) -> String {
    if words.is_empty() {
        tr.t("rules-any")
    } else {
        words.join(", ")
    }
}

fn rule_row(tr: Tr, rule: &RoutingRule, units: &[Unit]) -> RuleRow {
    let m = &rule.matches;
    RuleRow {
        id: rule.id,
        name: rule.name.clone(),
        position: rule.position,
        target: units
            .iter()
            .find(|u| u.id == rule.target.unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        on_filing: rule.on_filing,
        active: rule.active,
        categories: listed(m.categories.iter().map(|c| tr.category(c)).collect(), tr),
        kinds: listed(
            m.kinds
                .iter()
                .map(|k| tr.label("kind", k.as_str()))
                .collect(),
            tr,
        ),
        urgencies: listed(
            m.urgencies
                .iter()
                .map(|u| tr.label("urgency", u.as_str()))
                .collect(),
            tr,
        ),
        keywords: listed(m.keywords.clone(), tr),
    }
}

impl RuleValues {
    fn of(rule: &RoutingRule) -> RuleValues {
        let m = &rule.matches;
        RuleValues {
            name: rule.name.clone(),
            position: rule.position.to_string(),
            categories: m.categories.clone(),
            kinds: m.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            urgencies: m.urgencies.iter().map(|u| u.as_str().to_owned()).collect(),
            keywords: m.keywords.join("\n"),
            target: rule.target.unit_id.to_string(),
            on_filing: rule.on_filing,
            active: rule.active,
            version: Some(rule.version),
        }
    }

    fn typed(input: &Fields) -> RuleValues {
        RuleValues {
            name: input.text("name"),
            position: input.text("position"),
            categories: input.all("categories"),
            kinds: input.all("kinds"),
            urgencies: input.all("urgencies"),
            keywords: input.text("keywords"),
            target: input.text("target"),
            on_filing: input.one("on_filing").is_some(),
            active: input.one("active").is_some(),
            version: input.one("version").and_then(|v| v.parse().ok()),
        }
    }

    /// The body the API takes, or every field a form cannot even say.
    fn body(&self) -> Result<RuleBody, ApiError> {
        let mut errors = Errors::default();
        let position = errors.take(whole("position", &self.position));
        let target_unit_id = errors.take(
            Uuid::parse_str(self.target.trim())
                .map_err(|_| FieldError::new("target_unit_id", "choose a unit")),
        );
        let (Some(position), Some(target_unit_id)) = (position, target_unit_id) else {
            return Err(ApiError::Validation(errors.into_vec()));
        };
        Ok(RuleBody {
            name: self.name.clone(),
            position,
            matches: RuleMatchBody {
                categories: self.categories.clone(),
                kinds: self.kinds.clone(),
                urgencies: self.urgencies.clone(),
                keywords: self
                    .keywords
                    .lines()
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            target_unit_id,
            on_filing: self.on_filing,
            active: self.active,
            version: self.version,
        })
    }
}

/// A whole number a form field requires.
fn whole(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "must be a whole number"))
}

fn rule_form(
    state: &AppState,
    tr: Tr,
    units: &[Unit],
    values: RuleValues,
    error: Option<&ApiError>,
) -> RuleForm {
    let ticked = |list: &[String], value: &str| list.iter().any(|v| v == value);
    RuleForm {
        categories: state
            .categories
            .iter()
            .map(|c| choice(c, tr.category(c), ticked(&values.categories, c)))
            .collect(),
        kinds: Kind::ALL
            .iter()
            .map(|k| {
                let k = k.as_str();
                choice(k, tr.label("kind", k), ticked(&values.kinds, k))
            })
            .collect(),
        urgencies: Urgency::ALL
            .iter()
            .map(|u| {
                let u = u.as_str();
                choice(u, tr.label("urgency", u), ticked(&values.urgencies, u))
            })
            .collect(),
        // Rules route down, to a service or to leadership (the API says
        // which units fit; these are the ones that can).
        targets: units
            .iter()
            .filter(|u| u.kind != UnitKind::Team)
            .map(|u| {
                let id = u.id.to_string();
                choice(&id, u.name.clone(), id == values.target)
            })
            .collect(),
        error: error.map(|e| Refused::in_form(&tr, e, Some("rule"))),
        values,
    }
}

fn amount(tr: Tr, value: String, unit: &str, exact_seconds: bool) -> Amount {
    Amount {
        value,
        units: TimeUnit::ALL
            .into_iter()
            .filter(|u| *u != TimeUnit::Seconds || exact_seconds)
            .map(|u| {
                choice(
                    u.as_str(),
                    tr.label("time-unit", u.as_str()),
                    u.as_str() == unit,
                )
            })
            .collect(),
    }
}

/// The SLA form, either as in force or as typed.
fn policy_rows(tr: Tr, policies: &[SlaPolicy], typed: Option<&Fields>) -> Vec<PolicyRow> {
    Urgency::ALL
        .iter()
        .map(|urgency| {
            let u = urgency.as_str();
            let policy = policies.iter().find(|p| p.urgency == *urgency);
            let seconds = |f: fn(&SlaPolicy) -> i64| policy.map(f).unwrap_or(0);
            let (ack, resolve) = (
                seconds(|p| p.acknowledge_within_seconds),
                seconds(|p| p.resolve_within_seconds),
            );
            let shown = |field: &str, now: i64| -> Amount {
                let (unit, count) = TimeUnit::exact(now);
                let needs_seconds = unit == TimeUnit::Seconds;
                match typed {
                    Some(form) => amount(
                        tr,
                        form.text(&format!("{field}-{u}")),
                        &form.text(&format!("{field}-{u}-unit")),
                        needs_seconds,
                    ),
                    None => amount(tr, count.to_string(), unit.as_str(), needs_seconds),
                }
            };
            PolicyRow {
                urgency: u,
                label: tr.label("urgency", u),
                acknowledge: shown("acknowledge", ack),
                resolve: shown("resolve", resolve),
                acknowledge_words: tr.exact_duration(ack),
                resolve_words: tr.exact_duration(resolve),
            }
        })
        .collect()
}

/// A refusal of the SLA form, each field named with its urgency ("High:
/// resolve within"): the API names them by their place in the list, which
/// is the order of `Urgency::ALL` the form sends.
fn sla_refused(tr: Tr, error: &ApiError) -> Refused {
    let mut refused = Refused::new(&tr, error);
    if let ApiError::Validation(errors) = error {
        let mut fields: Vec<String> = Vec::new();
        for e in errors {
            let words = Refused::new(&tr, &ApiError::Validation(vec![e.clone()]))
                .fields
                .concat();
            let urgency = e
                .field
                .strip_prefix("policies[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .and_then(|i| Urgency::ALL.get(i));
            let words = match urgency {
                Some(u) => tr.t2(
                    "sla-field",
                    "urgency",
                    tr.label("urgency", u.as_str()),
                    "field",
                    words,
                ),
                None => words,
            };
            if !fields.contains(&words) {
                fields.push(words);
            }
        }
        refused.fields = fields;
    }
    refused
}

/// The policies a form typed, as the API's body (seconds), or every amount
/// that is not a number of a unit.
fn policies_body(input: &Fields) -> Result<PoliciesBody, ApiError> {
    let mut errors = Errors::default();
    let mut policies = Vec::new();
    for (i, urgency) in Urgency::ALL.iter().enumerate() {
        let u = urgency.as_str();
        let mut seconds = |field: &str, api_field: &str| -> Option<i64> {
            let name = format!("policies[{i}].{api_field}");
            let count = errors.take(whole(&name, &input.text(&format!("{field}-{u}"))));
            let unit = errors.take(
                TimeUnit::parse(&input.text(&format!("{field}-{u}-unit")))
                    .ok_or_else(|| FieldError::new(&name, "choose a unit of time")),
            );
            Some(count?.saturating_mul(unit?.seconds()))
        };
        let acknowledge = seconds("acknowledge", "acknowledge_within_seconds");
        let resolve = seconds("resolve", "resolve_within_seconds");
        if let (Some(acknowledge), Some(resolve)) = (acknowledge, resolve) {
            policies.push(PolicyBody {
                urgency: u.to_owned(),
                acknowledge_within_seconds: acknowledge,
                resolve_within_seconds: resolve,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.into_vec()));
    }
    Ok(PoliciesBody { policies })
}

/// The rules page, with what a refused form typed.
async fn rules_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    rule: Option<(RuleValues, &ApiError)>,
    sla: Option<(&Fields, &ApiError)>,
) -> Result<String, ApiError> {
    let tr = ctx.tr;
    let rules = rules_of(state, caller).await?;
    let policies = policies_of(state, caller).await?;
    let units = all_units(state, caller).await?;
    let (values, rule_error) = match rule {
        Some((values, error)) => (values, Some(error)),
        None => (
            RuleValues {
                position: (rules.iter().map(|r| r.position).max().unwrap_or(0) + 10).to_string(),
                active: true,
                ..RuleValues::default()
            },
            None,
        ),
    };
    let shell = Shell::new(state, ctx, "/app/rules").await?;
    render(&RulesPage {
        shell,
        rules: rules.iter().map(|r| rule_row(tr, r, &units)).collect(),
        form: rule_form(state, tr, &units, values, rule_error),
        policies: policy_rows(tr, &policies, sla.map(|(form, _)| form)),
        sla_error: sla.map(|(_, e)| sla_refused(tr, e)),
    })
}

/// `GET /app/rules` (leaders; anyone else gets the API's `403`).
pub async fn page(state: web::Data<AppState>, ctx: Ctx) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let body = rules_page(&state, &ctx, &caller, None, None)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// `POST /app/rules`: a new rule.
pub async fn create(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = RuleValues::typed(&input);
    let created = match values.body() {
        Ok(rule) => create_rule_of(&state, &caller, &rule, None).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(_) => Ok(ctx.redirect("/app/rules")),
        Err(error) if correctable(&error) => {
            let body = rules_page(&state, &ctx, &caller, Some((values, &error)), None)
                .await
                .map_err(|e| ctx.fail(e))?;
            Ok(ctx.html(error.status_code(), body))
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

/// `POST /app/sla`: new deadlines for every urgency.
pub async fn replace_policies(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let replaced = match policies_body(&input) {
        Ok(policies) => replace_policies_of(&state, &caller, &policies).await,
        Err(error) => Err(error),
    };
    match replaced {
        Ok(_) => Ok(ctx.redirect("/app/rules#sla-title")),
        Err(error) if correctable(&error) => {
            let body = rules_page(&state, &ctx, &caller, None, Some((&input, &error)))
                .await
                .map_err(|e| ctx.fail(e))?;
            Ok(ctx.html(error.status_code(), body))
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

fn path_id(ctx: &Ctx, raw: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(raw).map_err(|_| ctx.fail(ApiError::NotFound))
}

async fn rule_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    id: Uuid,
    typed: Option<RuleValues>,
    error: Option<&ApiError>,
) -> Result<HttpResponse, PageError> {
    let rule = rule_of(state, caller, id).await.map_err(|e| ctx.fail(e))?;
    let units = all_units(state, caller).await.map_err(|e| ctx.fail(e))?;
    let values = typed.unwrap_or_else(|| RuleValues::of(&rule));
    let shell = Shell::new(state, ctx, "/app/rules")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = render(&RulePage {
        shell,
        form: rule_form(state, ctx.tr, &units, values, error),
        rule,
    })
    .map_err(|e| ctx.fail(e))?;
    let status = error.map(|e| e.status_code()).unwrap_or(StatusCode::OK);
    Ok(ctx.html(status, body))
}

/// `GET /app/rules/{id}`: a rule's form.
pub async fn rule(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    rule_page(&state, &ctx, &caller, id, None, None).await
}

/// `POST /app/rules/{id}`: replace a rule.
pub async fn replace(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = RuleValues::typed(&input);
    let replaced = match values.body() {
        Ok(rule) => replace_rule_of(&state, &caller, id, &rule, None).await,
        Err(error) => Err(error),
    };
    match replaced {
        Ok(_) => Ok(ctx.redirect("/app/rules")),
        Err(error) if correctable(&error) => {
            let typed = (!stale(&error)).then_some(values);
            rule_page(&state, &ctx, &caller, id, typed, Some(&error)).await
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

/// `POST /app/rules/{id}/delete`.
pub async fn delete(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    delete_rule_of(&state, &caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.redirect("/app/rules"))
}
