//! The published contract: the OpenAPI document of the handlers'
//! annotations, completed so that it says exactly what the service does.
//!
//! The annotations say what is particular to each operation (its body, its
//! refusals). What holds for every operation of a kind is added here once,
//! so no operation can forget it: every error answer is
//! `application/problem+json`; an operation behind a token can answer `401`;
//! one with a body `400`, `413`, `415` and `422`; one with query parameters
//! `422`; one with `If-Match` `412`; one with a path parameter `404`; the
//! rate-limited ones `429` with `Retry-After`. Links tie a created resource to
//! what can be done with it next. The organisation's categories are a
//! setting, so their list is written in when the document is served.

use serde_json::{Map, Value, json};
use upturn_domain::audit::{AuditAction, AuditEntity};
use upturn_domain::initiative::InitiativeStatus;
use upturn_domain::model::{Channel, EventType, Kind, Level, Role, Status, UnitKind, Urgency};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema};
use utoipa::{OpenApi, PartialSchema, ToSchema};

use crate::routes::ApiDoc;

/// A string schema that accepts exactly `values`.
fn one_of<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(schema::SchemaType::Type(Type::String))
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .description(Some(description))
        .into()
}

/// Schema-only types naming the domain's closed lists, for
/// `#[schema(value_type = …)]` on the string fields that carry them: the
/// values come from the domain, so the document cannot drift from it.
macro_rules! closed_lists {
    ($($name:ident => $values:expr, $description:literal;)+) => {$(
        #[doc = $description]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                one_of($values, $description)
            }
        }

        impl ToSchema for $name {}
    )+};
}

closed_lists! {
    KindName => Kind::ALL.iter().map(|v| v.as_str()),
        "What the customer asked for: `unmet_need` when they left without what they came for, even if they said nothing.";
    ChannelName => Channel::ALL.iter().map(|v| v.as_str()), "How the customer asked.";
    UrgencyName => Urgency::ALL.iter().map(|v| v.as_str()), "How urgent the request is; it sets the SLA deadlines.";
    StatusName => Status::ALL.iter().map(|v| v.as_str()), "Where a request is in its lifecycle.";
    TargetStatusName => [Status::InProgress, Status::Resolved, Status::Declined].iter().map(|v| v.as_str()),
        "The statuses `POST /requests/{id}/status` moves a request to.";
    LevelName => Level::ALL.iter().map(|v| v.as_str()), "A level of the pyramid.";
    RoleName => Role::ALL.iter().map(|v| v.as_str()), "A member's role.";
    UnitKindName => UnitKind::ALL.iter().map(|v| v.as_str()), "What a unit is.";
    InitiativeStatusName => InitiativeStatus::ALL.iter().map(|v| v.as_str()), "Where an initiative is.";
    EventTypeName => EventType::ALL.iter().map(|v| v.as_str()), "A kind of timeline event.";
    AuditEntityName => AuditEntity::ALL.iter().map(|v| v.as_str()), "What a recorded change is about.";
    AuditActionName => AuditAction::ALL.iter().map(|v| v.as_str()), "What a recorded change did.";
}

/// A routing rule's keyword: matched case-insensitively in the title or
/// the description.
pub struct KeywordText;

impl PartialSchema for KeywordText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(schema::SchemaType::Type(Type::String))
            .min_length(Some(1))
            .max_length(Some(100))
            .pattern(Some(
                r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
            ))
            .into()
    }
}

impl ToSchema for KeywordText {}

/// One of the organisation's categories (`UPTURN_CATEGORIES`); the served
/// document lists them.
pub struct CategoryName;

impl PartialSchema for CategoryName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(schema::SchemaType::Type(Type::String))
            .description(Some("One of the organisation's categories."))
            .into()
    }
}

impl ToSchema for CategoryName {}

/// The document served at `/api/openapi.json`.
pub fn document(categories: &[String]) -> Value {
    let mut document = match serde_json::to_value(ApiDoc::openapi()) {
        Ok(document) => document,
        Err(error) => {
            tracing::error!(%error, "The OpenAPI document could not be serialised");
            Value::Null
        }
    };
    complete(&mut document, categories);
    document
}

const PROBLEM: &str = "application/problem+json";

/// The `If-Match` values `http::if_match` takes: `*`, `"7"`, `W/"7"`, `7`.
const IF_MATCH: &str = r#"^(\*|(W/)?"[0-9]{1,18}"|[0-9]{1,18})$"#;

/// The `Idempotency-Key` values `http::idempotency_key` takes.
const IDEMPOTENCY_KEY: &str = "^[!-~]{1,255}$";

/// A UUID as the service writes it (and the only form the contract promises).
const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// The operations whose callers are counted per client (`429`).
const RATE_LIMITED: &[&str] = &["login", "track"];

fn complete(document: &mut Value, categories: &[String]) {
    if let Some(category) = document.pointer_mut("/components/schemas/CategoryName") {
        category["enum"] = json!(categories);
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            complete_operation(operation);
        }
    }
    add_links(document);
    add_conditions(document);
    pin_uuids(document);
}

/// Rules between fields that a reader (and a generator) should know: a
/// resolution or a decline says what was done, and so does an initiative
/// marked done or dropped; satisfaction and would-recommend are only
/// recorded when the customer was reached.
fn add_conditions(document: &mut Value) {
    let say = document
        .pointer("/components/schemas/RouteBody/properties/note")
        .cloned()
        .unwrap_or_else(|| json!({"type": "string", "minLength": 1}));
    if let Some(status) = document.pointer_mut("/components/schemas/StatusBody") {
        status["if"] = json!({
            "properties": {"status": {"enum": ["resolved", "declined"]}},
            "required": ["status"]
        });
        status["then"] = json!({"required": ["note"], "properties": {"note": say}});
    }
    if let Some(initiative) = document.pointer_mut("/components/schemas/PatchInitiativeBody") {
        let note = initiative
            .pointer("/properties/public_note")
            .cloned()
            .map(|mut note| {
                note["type"] = json!("string");
                note
            })
            .unwrap_or_else(|| json!({"type": "string", "minLength": 1}));
        initiative["if"] = json!({
            "properties": {"status": {"enum": InitiativeStatus::ALL
                .iter()
                .filter(|s| s.needs_note())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()}},
            "required": ["status"]
        });
        initiative["then"] =
            json!({"required": ["public_note"], "properties": {"public_note": note}});
    }
    if let Some(follow_up) = document.pointer_mut("/components/schemas/FollowUpBody") {
        follow_up["if"] = json!({
            "properties": {"customer_reached": {"const": false}},
            "required": ["customer_reached"]
        });
        follow_up["then"] = json!({
            "properties": {"satisfaction": {"type": "null"}, "would_recommend": {"type": "null"}}
        });
    }
}

/// Every `format: uuid` string gets the pattern that makes it a promise.
fn pin_uuids(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            if fields.get("format").and_then(Value::as_str) == Some("uuid") {
                fields.insert("pattern".to_owned(), json!(UUID));
            }
            fields.values_mut().for_each(pin_uuids);
        }
        Value::Array(items) => items.iter_mut().for_each(pin_uuids),
        _ => {}
    }
}

fn complete_operation(operation: &mut Value) {
    let secured = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let has_body = operation.get("requestBody").is_some();
    let parameters: Vec<(String, String)> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or("");
                    (text("in").to_owned(), text("name").to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let rate_limited = operation
        .get("operationId")
        .and_then(Value::as_str)
        .is_some_and(|id| RATE_LIMITED.contains(&id));
    for parameter in operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        // An absent parameter is `required: false`; none is ever `null`.
        if let Some(types) = parameter
            .pointer_mut("/schema/type")
            .and_then(Value::as_array_mut)
        {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let single = types.remove(0);
                parameter["schema"]["type"] = single;
            }
        }
        if let Some(options) = parameter
            .pointer("/schema/oneOf")
            .and_then(Value::as_array)
            .cloned()
        {
            let mut kept: Vec<Value> = options
                .into_iter()
                .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if kept.len() == 1 {
                parameter["schema"] = kept.remove(0);
            }
        }
        let pattern = match parameter.get("name").and_then(Value::as_str) {
            Some("If-Match") => IF_MATCH,
            Some("Idempotency-Key") => IDEMPOTENCY_KEY,
            _ => continue,
        };
        parameter["schema"]["pattern"] = json!(pattern);
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if secured {
        ensure(
            responses,
            "401",
            "No token, an ended token (older than a password or role change), or a deactivated member",
        );
    }
    if has_body {
        ensure(responses, "400", "The body is not JSON");
        ensure(responses, "413", "The body is over 64 KiB");
        ensure(responses, "415", "The body is not `application/json`");
        ensure(
            responses,
            "422",
            "A field is not valid (`errors` names each)",
        );
    }
    if parameters.iter().any(|(place, _)| place == "query") {
        ensure(
            responses,
            "422",
            "A query parameter is not valid (`errors` names it)",
        );
    }
    if parameters
        .iter()
        .any(|(place, name)| place == "header" && name == "If-Match")
    {
        ensure(responses, "412", "`If-Match` is not the current version");
    }
    if parameters.iter().any(|(place, _)| place == "path") {
        ensure(responses, "404", "Not found, or not visible to the caller");
    }
    if rate_limited {
        ensure(responses, "429", "Too many attempts from this client");
        responses["429"]["headers"] = json!({
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 1}
            }
        });
    }
    for (status, response) in responses.iter_mut() {
        if status.as_str() >= "400" {
            response["content"] = json!({
                PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
            });
        }
    }
}

/// Declares `status` with `description` unless the annotation already does.
fn ensure(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses
        .entry(status)
        .or_insert_with(|| json!({"description": description}));
}

/// What a client can do next with what an answer gave it: from the answer
/// `status` of operation `from`, the link `name` to operation `to`, whose
/// parameter `parameter.0` is taken from `parameter.1`.
struct Link {
    from: &'static str,
    status: &'static str,
    name: &'static str,
    to: &'static str,
    parameter: (&'static str, &'static str),
}

const fn link(
    from: &'static str,
    status: &'static str,
    name: &'static str,
    to: &'static str,
    parameter: (&'static str, &'static str),
) -> Link {
    Link {
        from,
        status,
        name,
        to,
        parameter,
    }
}

const CREATED_ID: &str = "$response.body#/id";
const SAME_ID: &str = "$request.path.id";

const LINKS: &[Link] = &[
    link(
        "file",
        "201",
        "GetRequest",
        "get_request",
        ("id", CREATED_ID),
    ),
    link(
        "file",
        "201",
        "ListEvents",
        "list_events",
        ("id", CREATED_ID),
    ),
    link(
        "file",
        "201",
        "Acknowledge",
        "acknowledge",
        ("id", CREATED_ID),
    ),
    link("file", "201", "Route", "route", ("id", CREATED_ID)),
    link("file", "201", "SetStatus", "set_status", ("id", CREATED_ID)),
    link("file", "201", "Comment", "comment", ("id", CREATED_ID)),
    link("file", "201", "Watch", "watch", ("id", CREATED_ID)),
    link(
        "file",
        "201",
        "Track",
        "track",
        ("code", "$response.body#/tracking_code"),
    ),
    link(
        "get_request",
        "200",
        "ListEvents",
        "list_events",
        ("id", SAME_ID),
    ),
    link(
        "acknowledge",
        "200",
        "SetStatus",
        "set_status",
        ("id", SAME_ID),
    ),
    link("acknowledge", "200", "Route", "route", ("id", SAME_ID)),
    link(
        "set_status",
        "200",
        "FollowUp",
        "follow_up",
        ("id", SAME_ID),
    ),
    link(
        "set_status",
        "200",
        "GetRequest",
        "get_request",
        ("id", SAME_ID),
    ),
    link(
        "create_unit",
        "201",
        "GetUnit",
        "get_unit",
        ("id", CREATED_ID),
    ),
    link(
        "create_unit",
        "201",
        "UpdateUnit",
        "update_unit",
        ("id", CREATED_ID),
    ),
    link(
        "create_member",
        "201",
        "GetMember",
        "get_member",
        ("id", CREATED_ID),
    ),
    link(
        "create_member",
        "201",
        "UpdateMember",
        "update_member",
        ("id", CREATED_ID),
    ),
    link(
        "create_rule",
        "201",
        "GetRule",
        "get_rule",
        ("id", CREATED_ID),
    ),
    link(
        "create_rule",
        "201",
        "ReplaceRule",
        "replace_rule",
        ("id", CREATED_ID),
    ),
    link(
        "create_rule",
        "201",
        "DeleteRule",
        "delete_rule",
        ("id", CREATED_ID),
    ),
    link(
        "create_initiative",
        "201",
        "GetInitiative",
        "get_initiative",
        ("id", CREATED_ID),
    ),
    link(
        "create_initiative",
        "201",
        "PatchInitiative",
        "patch_initiative",
        ("id", CREATED_ID),
    ),
    link(
        "create_initiative",
        "201",
        "LinkRequests",
        "link_requests",
        ("id", CREATED_ID),
    ),
    link(
        "create_initiative",
        "201",
        "Suggestions",
        "suggestions",
        ("id", CREATED_ID),
    ),
    link(
        "create_webhook",
        "201",
        "GetWebhook",
        "get_webhook",
        ("id", CREATED_ID),
    ),
    link(
        "create_webhook",
        "201",
        "ListDeliveries",
        "list_deliveries",
        ("id", CREATED_ID),
    ),
    link(
        "create_webhook",
        "201",
        "DeleteWebhook",
        "delete_webhook",
        ("id", CREATED_ID),
    ),
];

fn add_links(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        for link in LINKS.iter().filter(|l| l.from == id) {
            let Some(response) = operation.pointer_mut(&format!("/responses/{}", link.status))
            else {
                continue;
            };
            let (parameter, source) = link.parameter;
            response["links"][link.name] = json!({
                "operationId": link.to,
                "parameters": {parameter: source},
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(document: &Value) -> Vec<(String, String, Value)> {
        let mut all = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                all.push((method.clone(), path.clone(), operation.clone()));
            }
        }
        all
    }

    #[test]
    fn every_error_answer_is_a_problem_document() {
        let document = document(&["product".to_owned()]);
        for (method, path, operation) in operations(&document) {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                if status.as_str() >= "400" {
                    assert_eq!(
                        response["content"][PROBLEM]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                    assert!(
                        response["content"].get("application/json").is_none(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_operation_behind_a_token_declares_401() {
        let document = document(&[]);
        let mut secured = 0;
        for (method, path, operation) in operations(&document) {
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                secured += 1;
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path}"
                );
            }
        }
        assert!(secured > 40, "only {secured} secured operations");
    }

    #[test]
    fn every_link_names_an_operation_and_its_parameters() {
        let document = document(&[]);
        let all = operations(&document);
        let mut links = 0;
        for (_, _, operation) in &all {
            for response in operation["responses"].as_object().into_iter().flatten() {
                for (name, link) in response.1["links"].as_object().into_iter().flatten() {
                    links += 1;
                    let target = link["operationId"].as_str().unwrap_or_default();
                    let (_, _, target_operation) = all
                        .iter()
                        .find(|(_, _, o)| o["operationId"] == target)
                        .unwrap_or_else(|| panic!("link {name} names no operation {target}"));
                    for parameter in link["parameters"].as_object().into_iter().flatten() {
                        assert!(
                            target_operation["parameters"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .any(|p| p["name"] == parameter.0.as_str()),
                            "link {name}: {target} has no parameter {}",
                            parameter.0
                        );
                    }
                }
            }
        }
        assert_eq!(links, LINKS.len());
    }

    #[test]
    fn the_categories_are_the_organisations() {
        let document = document(&["product".to_owned(), "price".to_owned()]);
        assert_eq!(
            document["components"]["schemas"]["CategoryName"]["enum"],
            json!(["product", "price"])
        );
    }

    #[test]
    fn closed_lists_come_from_the_domain() {
        let document = document(&[]);
        let kinds = &document["components"]["schemas"]["KindName"]["enum"];
        assert_eq!(
            kinds.as_array().map(Vec::len),
            Some(Kind::ALL.len()),
            "{kinds}"
        );
    }
}
