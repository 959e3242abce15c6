//! `/app/audit`: who changed the organisation and its settings, newest
//! first, for admins and leaders — each change as a sentence and the
//! fields it changed, filtered by kind and by member, through the same
//! operation as `GET /api/v1/audit`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;
use upturn_domain::audit::AuditEntity;
use upturn_persistence::AuditEntry;
use uuid::Uuid;

use super::intake::Choice;
use super::{all_units, render};
use crate::error::ApiError;
use crate::http::PageParams;
use crate::routes::audit::{AuditParams, audit_actors_of, audit_of};
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;
use crate::web::shell::Shell;

/// Changes shown per page.
const PER_PAGE: &str = "50";

/// One field a change changed, in words: "Name: Lyon → Lyon Part-Dieu",
/// as the language writes it.
pub struct FieldChange {
    pub line: String,
}

impl FieldChange {
    fn new(tr: Tr, field: &str, before: &str, after: &str) -> FieldChange {
        FieldChange {
            line: tr.with(
                "audit-change",
                &[("field", &field), ("before", &before), ("after", &after)],
            ),
        }
    }
}

/// A change as the page shows it.
pub struct AuditRow {
    pub e: AuditEntry,
    pub who: String,
    pub what: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Template)]
#[template(path = "web/audit.html")]
struct AuditPage<'a> {
    shell: Shell<'a>,
    rows: Vec<AuditRow>,
    entities: Vec<Choice>,
    actors: Vec<Choice>,
    /// The link to the next (older) page, filters kept.
    older: Option<String>,
    /// Whether this is a later page (a link back to the newest).
    paged: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    actor_id: Option<String>,
    after: Option<String>,
}

/// A JSON value in a few words: `–` for nothing, lists joined.
fn text(tr: Tr, value: &Value) -> String {
    match value {
        Value::Null => "–".to_owned(),
        Value::Bool(true) => tr.t("yes"),
        Value::Bool(false) => tr.t("no"),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "–".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|i| text(tr, i))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => value.to_string(),
    }
}

fn field_label(tr: Tr, key: &str) -> String {
    tr.try_t(&format!("audit-field-{key}"))
        .unwrap_or_else(|| key.to_owned())
}

/// Every leaf of a public shape as (path, label, words), by field name. Lists of objects (the SLA policies) are named by their urgency.
fn flatten(
    tr: Tr,
    path: &str,
    label: &str,
    value: &Value,
    out: &mut Vec<(String, String, String)>,
) {
    let join = |a: &str, b: &str, sep: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            format!("{a}{sep}{b}")
        }
    };
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                if path.is_empty() && key == "id" {
                    continue;
                }
                let p = join(path, key, ".");
                let l = join(label, &field_label(tr, key), " · ");
                flatten(tr, &p, &l, v, out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            for (n, item) in items.iter().enumerate() {
                let (segment, name) = match item.get("urgency").and_then(Value::as_str) {
                    Some(u) => (u.to_owned(), tr.label("urgency", u)),
                    None => (n.to_string(), (n + 1).to_string()),
                };
                let p = join(path, &segment, ".");
                let l = join(label, &name, " · ");
                if let Some(fields) = item.as_object() {
                    for (key, v) in fields.iter().filter(|(k, _)| *k != "urgency") {
                        let l = join(&l, &field_label(tr, key), " · ");
                        flatten(tr, &join(&p, key, "."), &l, v, out);
                    }
                }
            }
        }
        other => out.push((path.to_owned(), label.to_owned(), text(tr, other))),
    }
}

/// The fields whose words differ between `before` and `after`; every field
/// of a creation or a deletion.
fn changes(tr: Tr, before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let leaves = |v: Option<&Value>| {
        let mut out = Vec::new();
        if let Some(v) = v {
            flatten(tr, "", "", v, &mut out);
        }
        out
    };
    let before = leaves(before);
    let after = leaves(after);
    let was: HashMap<&str, &str> = before
        .iter()
        .map(|(p, _, t)| (p.as_str(), t.as_str()))
        .collect();
    let mut list: Vec<FieldChange> = Vec::new();
    for (path, label, now) in &after {
        let then = was.get(path.as_str()).copied().unwrap_or("–");
        if then != now {
            list.push(FieldChange::new(tr, label, then, now));
        }
    }
    for (path, label, then) in &before {
        if !after.iter().any(|(p, _, _)| p == path) && then != "–" {
            list.push(FieldChange::new(tr, label, then, "–"));
        }
    }
    list
}

/// `shape` with every unit id (`unit_id`, `target_unit_id`) replaced by
/// the unit's name, when the unit is known.
fn with_unit_names(shape: &Value, units: &HashMap<String, String>) -> Value {
    match shape {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, v)| {
                    let named = match v.as_str().and_then(|id| units.get(id)) {
                        Some(name) if key.ends_with("unit_id") => Value::String(name.clone()),
                        _ => with_unit_names(v, units),
                    };
                    (key.clone(), named)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The sentence of a change: `audit-unit-created` with the thing's name
/// (a unit's or member's name, a webhook's URL, a request's reference).
fn sentence(tr: Tr, e: &AuditEntry) -> String {
    let shape = e.after.as_ref().or(e.before.as_ref());
    let name = ["name", "url", "reference"]
        .iter()
        .find_map(|k| shape.and_then(|s| s.get(*k)).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    let key = format!("audit-{}", e.action.as_str().replace('.', "-"));
    tr.t1(&key, "name", name)
}

/// The names the page puts on ids: members (who) and units (in changes).
struct Names {
    members: HashMap<Uuid, String>,
    units: HashMap<String, String>,
}

fn row(tr: Tr, names: &Names, e: AuditEntry) -> AuditRow {
    let who = match e.actor_id {
        None => tr.t("audit-by-service"),
        Some(id) => names
            .members
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string()),
    };
    AuditRow {
        who,
        what: sentence(tr, &e),
        changes: changes(
            tr,
            e.before
                .as_ref()
                .map(|v| with_unit_names(v, &names.units))
                .as_ref(),
            e.after
                .as_ref()
                .map(|v| with_unit_names(v, &names.units))
                .as_ref(),
        ),
        e,
    }
}

/// `GET /app/audit` (admins and leaders; anyone else gets the API's `403`).
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let fail = |e: ApiError| ctx.fail(e);
    let tr = ctx.tr;
    let query = query.into_inner();
    // The form's "every kind" and "everyone" are empty values.
    let params = AuditParams {
        entity: query.entity.clone().filter(|e| !e.is_empty()),
        actor_id: query.actor_id.clone().filter(|a| !a.is_empty()),
    };
    let actors = audit_actors_of(&state, &caller).await.map_err(fail)?;
    let filter = params.try_into_filter().map_err(fail)?;
    let page = PageParams {
        limit: Some(PER_PAGE.to_owned()),
        cursor: query.after.clone(),
    };
    let trail = audit_of(&state, &caller, filter, &page)
        .await
        .map_err(fail)?;
    let names = Names {
        members: actors.iter().cloned().collect(),
        units: all_units(&state, &caller)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect(),
    };
    let entity = filter.entity.map(AuditEntity::as_str).unwrap_or_default();
    let actor = filter.actor_id.map(|a| a.to_string()).unwrap_or_default();
    let older = trail
        .next_cursor
        .map(|after| format!("/app/audit?entity={entity}&actor_id={actor}&after={after}"));
    let shell = Shell::new(&state, &ctx, "/app/audit").await.map_err(fail)?;
    let body = render(&AuditPage {
        shell,
        rows: trail
            .items
            .into_iter()
            .map(|e| row(tr, &names, e))
            .collect(),
        entities: AuditEntity::ALL
            .iter()
            .map(|e| Choice {
                value: e.as_str().to_owned(),
                label: tr.label("audit-entity", e.as_str()),
                hint: None,
                selected: e.as_str() == entity,
            })
            .collect(),
        actors: actors
            .into_iter()
            .map(|(id, name)| Choice {
                selected: id.to_string() == actor,
                value: id.to_string(),
                label: name,
                hint: None,
            })
            .collect(),
        older,
        paged: query.after.is_some_and(|a| !a.is_empty()),
    })
    .map_err(fail)?;
    Ok(ctx.html(StatusCode::OK, body))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn only_the_fields_that_changed_are_listed_by_their_names() {
        let tr = Tr::new(Lang::En);
        let before = json!({"id": "x", "name": "Lyon", "categories": ["product"], "active": true});
        let after = json!({"id": "x", "name": "Lyon Part-Dieu", "categories": ["product"], "active": false, "password_changed": true});
        let lines: Vec<String> = changes(tr, Some(&before), Some(&after))
            .into_iter()
            .map(|c| c.line)
            .collect();
        assert_eq!(
            lines,
            [
                "Active: Yes → No",
                "Name: Lyon → Lyon Part-Dieu",
                "Password changed: – → Yes",
            ]
        );
    }

    #[test]
    fn sla_policies_are_named_by_urgency() {
        let tr = Tr::new(Lang::Fr);
        let policy = |ack: i64| json!({"policies": [{"urgency": "high", "acknowledge_within_seconds": ack, "resolve_within_seconds": 60}]});
        let list = changes(tr, Some(&policy(30)), Some(&policy(45)));
        assert_eq!(list.len(), 1);
        assert_eq!(
            list[0].line,
            "Délais · Haute · Prise en charge sous (secondes) : 30 → 45"
        );
    }

    #[test]
    fn every_action_and_kind_has_words_in_both_languages() {
        let catalogues = [
            include_str!("../../../locales/en/main.ftl"),
            include_str!("../../../locales/fr/main.ftl"),
        ];
        for catalogue in catalogues {
            let has = |key: &str| {
                catalogue
                    .lines()
                    .any(|l| l.starts_with(&format!("{key} =")))
            };
            for action in upturn_domain::audit::AuditAction::ALL {
                let key = format!("audit-{}", action.as_str().replace('.', "-"));
                assert!(has(&key), "{key}");
            }
            for entity in AuditEntity::ALL {
                assert!(has(&format!("audit-entity-{entity}")), "{entity}");
            }
        }
    }
}
