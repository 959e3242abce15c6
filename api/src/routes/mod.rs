//! Every endpoint, wired in one place, and the OpenAPI document built from
//! their annotations.

pub mod docs;
pub mod health;
pub mod inbox;
pub mod initiatives;
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

use crate::http::Paged;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/api/openapi.json", web::get().to(docs::openapi_json))
        .route("/docs", web::get().to(docs::docs_page))
        .route("/docs/", web::get().to(docs::docs_page))
        .route("/docs/rapidoc-min.js", web::get().to(docs::docs_script))
        .route(
            "/docs/RAPIDOC-LICENSE.txt",
            web::get().to(docs::docs_licence),
        )
        .service(
            web::scope("/api/v1")
                .route("/auth/login", web::post().to(session::login))
                .route("/me", web::get().to(session::me))
                .route("/units", web::get().to(units::list_units))
                .route("/units", web::post().to(units::create_unit))
                .route("/units/{id}", web::get().to(units::get_unit))
                .route("/units/{id}", web::patch().to(units::update_unit))
                .route("/members", web::get().to(members::list_members))
                .route("/members", web::post().to(members::create_member))
                .route("/members/{id}", web::get().to(members::get_member))
                .route("/members/{id}", web::patch().to(members::update_member))
                .route("/requests", web::get().to(requests::list::list_requests))
                .route("/requests", web::post().to(requests::file::file))
                // Before `/requests/{id}`, which would take `export.csv` for an id.
                .route(
                    "/requests/export.csv",
                    web::get().to(requests::export::export_requests),
                )
                .route("/requests/{id}", web::get().to(requests::get::get_request))
                .route(
                    "/requests/{id}/events",
                    web::get().to(requests::events::list_events),
                )
                .route(
                    "/requests/{id}/events/{event_id}",
                    web::get().to(requests::events::get_event),
                )
                .route(
                    "/requests/{id}/acknowledge",
                    web::post().to(requests::acknowledge::acknowledge),
                )
                .route(
                    "/requests/{id}/route",
                    web::post().to(requests::route::route),
                )
                .route(
                    "/requests/{id}/status",
                    web::post().to(requests::status::set_status),
                )
                .route(
                    "/requests/{id}/comments",
                    web::post().to(requests::comment::comment),
                )
                .route(
                    "/requests/{id}/follow-up",
                    web::post().to(requests::follow_up::follow_up),
                )
                .route(
                    "/requests/{id}/erase-customer",
                    web::post().to(requests::erase_customer::erase_customer),
                )
                .route("/requests/{id}/watch", web::post().to(inbox::watch))
                .route("/requests/{id}/watch", web::delete().to(inbox::unwatch))
                .route("/inbox", web::get().to(inbox::inbox))
                .route("/inbox/{id}/read", web::post().to(inbox::mark_read))
                .route("/stream", web::get().to(inbox::stream))
                .route("/stream/ticket", web::post().to(inbox::ticket))
                .route("/routing-rules", web::get().to(rules::list_rules))
                .route("/routing-rules", web::post().to(rules::create_rule))
                .route("/routing-rules/{id}", web::get().to(rules::get_rule))
                .route("/routing-rules/{id}", web::put().to(rules::replace_rule))
                .route("/routing-rules/{id}", web::delete().to(rules::delete_rule))
                .route("/sla-policies", web::get().to(rules::get_policies))
                .route("/sla-policies", web::put().to(rules::put_policies))
                .route("/track/{code}", web::get().to(track::track))
                .route(
                    "/metrics/overview",
                    web::get().to(metrics::overview::overview),
                )
                .route("/metrics/by-unit", web::get().to(metrics::by_unit::by_unit))
                .route(
                    "/metrics/by-category",
                    web::get().to(metrics::by_category::by_category),
                )
                .route("/metrics/trend", web::get().to(metrics::trend::trend))
                .route(
                    "/metrics/engagement",
                    web::get().to(pulse::engagement::engagement),
                )
                .route("/pulse/current", web::get().to(pulse::current::current))
                .route("/pulse/responses", web::post().to(pulse::answer::answer))
                .route(
                    "/initiatives",
                    web::get().to(initiatives::list::list_initiatives),
                )
                .route(
                    "/initiatives",
                    web::post().to(initiatives::create::create_initiative),
                )
                .route(
                    "/initiatives/{id}",
                    web::get().to(initiatives::get::get_initiative),
                )
                .route(
                    "/initiatives/{id}",
                    web::patch().to(initiatives::patch::patch_initiative),
                )
                .route(
                    "/initiatives/{id}/requests",
                    web::post().to(initiatives::link::link_requests),
                )
                .route(
                    "/initiatives/{id}/suggestions",
                    web::get().to(initiatives::suggestions::suggestions),
                )
                .route("/webhooks", web::get().to(webhooks::list_webhooks))
                .route("/webhooks", web::post().to(webhooks::create_webhook))
                .route("/webhooks/{id}", web::get().to(webhooks::get_webhook))
                .route("/webhooks/{id}", web::delete().to(webhooks::delete_webhook))
                .route(
                    "/webhooks/{id}/deliveries",
                    web::get().to(webhooks::list_deliveries),
                ),
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
    ),
    components(schemas(
        crate::error::Problem, crate::error::ProblemField,
        Paged<requests::RequestResponse>, Paged<requests::EventResponse>,
        Paged<units::UnitResponse>, Paged<members::MemberResponse>,
        Paged<initiatives::InitiativeResponse>,
        Paged<webhooks::WebhookResponse>, Paged<webhooks::DeliveryResponse>,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "session", description = "Logging in"),
        (name = "organisation", description = "Units and members"),
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
