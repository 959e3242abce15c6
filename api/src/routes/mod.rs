//! Every endpoint, wired in one place, and the OpenAPI document built from
//! their annotations.

pub mod audit;
pub mod docs;
pub mod health;
pub mod inbox;
pub mod initiatives;
pub mod knowledge;
pub mod members;
pub mod metrics;
pub mod pulse;
pub mod requests;
pub mod rules;
pub mod session;
pub mod track;
pub mod units;
pub mod webhooks;

use actix_web::web;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;
use crate::http::Paged;

/// A path and the handler of each method it serves; any other method is
/// `405 method_not_allowed` with `Allow`.
macro_rules! at {
    ($path:literal, $($method:ident => $handler:expr),+ $(,)?) => {
        web::resource($path)
            $(.route(web::$method().to($handler)))+
            .default_service(method_not_allowed(&[$(stringify!($method)),+]))
    };
}

/// Answers `405` naming the methods the path serves.
fn method_not_allowed(methods: &[&str]) -> actix_web::Route {
    let allow = methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    web::to(move || {
        let allow = allow.clone();
        async move { Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed(allow)) }
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        .service(at!("/healthz", get => health::healthz))
        .service(at!("/readyz", get => health::readyz))
        .service(at!("/metrics", get => health::metrics))
        .service(at!("/api/openapi.json", get => docs::openapi_json))
        .service(at!("/docs", get => docs::docs_page))
        .service(at!("/docs/", get => docs::docs_page))
        .service(at!("/docs/rapidoc-min.js", get => docs::docs_script))
        .service(at!("/docs/RAPIDOC-LICENSE.txt", get => docs::docs_licence))
        .service(
            web::scope("/api/v1")
                .service(at!("/auth/login", post => session::login))
                .service(at!("/me", get => session::me))
                .service(at!("/units", get => units::list_units, post => units::create_unit))
                .service(at!("/units/{id}", get => units::get_unit, patch => units::update_unit))
                .service(at!("/members", get => members::list_members, post => members::create_member))
                .service(at!("/members/{id}", get => members::get_member, patch => members::update_member))
                .service(at!("/requests", get => requests::list::list_requests, post => requests::file::file))
                // Before `/requests/{id}`, which would take `export.csv` for an id.
                .service(at!("/requests/export.csv", get => requests::export::export_requests))
                .service(at!("/requests/{id}", get => requests::get::get_request))
                .service(at!("/requests/{id}/events", get => requests::events::list_events))
                .service(at!("/requests/{id}/events/{event_id}", get => requests::events::get_event))
                .service(at!("/requests/{id}/acknowledge", post => requests::acknowledge::acknowledge))
                .service(at!("/requests/{id}/route", post => requests::route::route))
                .service(at!("/requests/{id}/status", post => requests::status::set_status))
                .service(at!("/requests/{id}/comments", post => requests::comment::comment))
                .service(at!("/requests/{id}/follow-up", post => requests::follow_up::follow_up))
                .service(at!("/requests/{id}/erase-customer", post => requests::erase_customer::erase_customer))
                .service(at!("/requests/{id}/watch", post => inbox::watch, delete => inbox::unwatch))
                .service(at!("/inbox", get => inbox::inbox))
                .service(at!("/inbox/{id}/read", post => inbox::mark_read))
                .service(at!("/stream", get => inbox::stream))
                .service(at!("/stream/ticket", post => inbox::ticket))
                .service(at!("/routing-rules", get => rules::list_rules, post => rules::create_rule))
                .service(at!("/routing-rules/{id}", get => rules::get_rule, put => rules::replace_rule, delete => rules::delete_rule))
                .service(at!("/sla-policies", get => rules::get_policies, put => rules::put_policies))
                .service(at!("/track/{code}", get => track::track))
                .service(at!("/metrics/overview", get => metrics::overview::overview))
                .service(at!("/metrics/by-unit", get => metrics::by_unit::by_unit))
                .service(at!("/metrics/by-category", get => metrics::by_category::by_category))
                .service(at!("/metrics/trend", get => metrics::trend::trend))
                .service(at!("/metrics/engagement", get => pulse::engagement::engagement))
                .service(at!("/pulse/current", get => pulse::current::current))
                .service(at!("/pulse/responses", post => pulse::answer::answer))
                .service(at!("/initiatives", get => initiatives::list::list_initiatives, post => initiatives::create::create_initiative))
                .service(at!("/initiatives/{id}", get => initiatives::get::get_initiative, patch => initiatives::patch::patch_initiative))
                .service(at!("/initiatives/{id}/requests", post => initiatives::link::link_requests))
                .service(at!("/initiatives/{id}/suggestions", get => initiatives::suggestions::suggestions))
                .service(at!("/webhooks", get => webhooks::list_webhooks, post => webhooks::create_webhook))
                .service(at!("/webhooks/{id}", get => webhooks::get_webhook, delete => webhooks::delete_webhook))
                .service(at!("/webhooks/{id}/deliveries", get => webhooks::list_deliveries))
                .service(at!("/audit", get => audit::list_audit))
                .service(at!("/knowledge", get => knowledge::knowledge)),
        );
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Upturn",
        description = "An inverted-pyramid feedback routing service. Customers sit at the top of the \
            organisation; leadership sits at the bottom and serves everyone above it. Errors are \
            `application/problem+json` with a stable `code`.",
    ),
    paths(
        health::healthz, health::readyz, health::metrics,
        session::login, session::me,
        units::list_units, units::create_unit, units::get_unit, units::update_unit,
        members::list_members, members::create_member, members::get_member, members::update_member,
        requests::file::file, requests::list::list_requests, requests::export::export_requests,
        requests::get::get_request,
        requests::events::list_events, requests::events::get_event,
        requests::acknowledge::acknowledge, requests::route::route, requests::status::set_status,
        requests::comment::comment, requests::follow_up::follow_up,
        requests::erase_customer::erase_customer,
        track::track,
        inbox::inbox, inbox::mark_read, inbox::watch, inbox::unwatch, inbox::ticket, inbox::stream,
        rules::list_rules, rules::get_rule, rules::create_rule, rules::replace_rule, rules::delete_rule,
        rules::get_policies, rules::put_policies,
        metrics::overview::overview, metrics::by_unit::by_unit,
        metrics::by_category::by_category, metrics::trend::trend,
        pulse::engagement::engagement, pulse::current::current, pulse::answer::answer,
        initiatives::list::list_initiatives, initiatives::create::create_initiative,
        initiatives::get::get_initiative, initiatives::patch::patch_initiative,
        initiatives::link::link_requests, initiatives::suggestions::suggestions,
        webhooks::list_webhooks, webhooks::get_webhook, webhooks::create_webhook,
        webhooks::delete_webhook, webhooks::list_deliveries,
        audit::list_audit,
        knowledge::knowledge,
    ),
    components(schemas(
        crate::error::Problem, crate::error::ProblemField,
        crate::openapi::KindName, crate::openapi::ChannelName, crate::openapi::UrgencyName,
        crate::openapi::StatusName, crate::openapi::TargetStatusName, crate::openapi::LevelName,
        crate::openapi::RoleName, crate::openapi::UnitKindName, crate::openapi::InitiativeStatusName,
        crate::openapi::EventTypeName, crate::openapi::CategoryName, crate::openapi::KeywordText,
        crate::openapi::AuditEntityName, crate::openapi::AuditActionName,
        Paged<requests::RequestResponse>, Paged<requests::EventResponse>,
        Paged<units::UnitResponse>, Paged<members::MemberResponse>,
        Paged<initiatives::InitiativeResponse>,
        Paged<webhooks::WebhookResponse>, Paged<webhooks::DeliveryResponse>,
        Paged<audit::AuditEntryResponse>,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "session", description = "Logging in"),
        (name = "organisation", description = "Units and members, and the audit trail of every change to the organisation and its settings"),
        (name = "requests", description = "What customers asked, down the pyramid and back up"),
        (name = "public", description = "For customers, without an account"),
        (name = "inbox", description = "What each member is told, in their inbox and live"),
        (name = "leadership", description = "Routing rules and SLA policies"),
        (name = "metrics", description = "Leadership figures, each defined in docs/metrics.md"),
        (name = "pulse", description = "The weekly team pulse: answers never linked to the member"),
        (name = "initiatives", description = "The outer loop: many customers' requests gathered under one initiative, whose progress reaches them all"),
        (name = "webhooks", description = "Signed event delivery to leadership's endpoints"),
        (name = "operations", description = "Probes and metrics"),
    )
)]
pub struct ApiDoc;
