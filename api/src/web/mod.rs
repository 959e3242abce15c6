//! The web app: server-rendered pages for the front line, managers,
//! services, leadership, admins and customers, served by the same binary.
//!
//! A page handler parses a form, calls the same store operations and domain
//! rules the JSON API calls, and renders a template; nothing here decides
//! who may do what. Templates (`api/templates/web/`), the Fluent catalogues
//! (`api/locales/`) and the assets (`api/assets/`) are compiled in.

pub mod context;
pub mod i18n;
mod pages;
pub mod recent;
mod shell;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

pub use context::{Ctx, PageError};
pub use pages::dashboard::{FIGURES_KEPT_FOR, KeptFigures};

/// Changes with every release, so browsers fetch new assets.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

const APP_CSS: &str = include_str!("../../assets/app.css");
const APP_JS: &str = include_str!("../../assets/app.js");

async fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// What answers an address nothing serves: a page in words under the
/// pages' own prefixes (`/app/`, `/t/`), problem+json everywhere else, as
/// the API always answered.
pub async fn not_found(
    ctx: Ctx,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let path = request.path();
    let page = ["/app/", "/t/"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    if !page {
        return Ok(actix_web::ResponseError::error_response(
            &crate::error::ApiError::NotFound,
        ));
    }
    Err(ctx.fail(crate::error::ApiError::NotFound))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use pages::*;
    cfg.route("/", web::get().to(sign_in::page))
        .route("/sign-in", web::post().to(sign_in::submit))
        .route("/sign-out", web::post().to(sign_in::sign_out))
        .route("/language", web::post().to(sign_in::language))
        .route("/t/{code}", web::get().to(track::page))
        .route(
            "/assets/app.css",
            web::get().to(|| asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/app.js",
            web::get().to(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .service(
            web::scope("/app")
                .route("", web::get().to(sign_in::home))
                .route("/file", web::get().to(intake::page))
                .route("/file", web::post().to(intake::submit))
                .route("/knowledge", web::get().to(knowledge::fragment))
                .route("/requests", web::get().to(board::page))
                .route("/requests/{id}", web::get().to(request::page))
                .route("/requests/{id}/{action}", web::post().to(request::act))
                .route("/inbox", web::get().to(inbox::page))
                .route("/inbox/read", web::post().to(inbox::read_all))
                .route("/stream-ticket", web::post().to(inbox::stream_ticket))
                .route("/pulse", web::get().to(pulse::page))
                .route("/pulse", web::post().to(pulse::submit))
                .route("/dashboard", web::get().to(dashboard::page))
                .route("/export.csv", web::get().to(dashboard::export))
                .route("/org", web::get().to(org::page))
                .route("/org/units", web::post().to(org::create_unit))
                .route("/org/units/{id}", web::get().to(org::unit))
                .route("/org/units/{id}", web::post().to(org::update_unit))
                .route("/org/members", web::post().to(org::create_member))
                .route("/org/members/{id}", web::get().to(org::member))
                .route("/org/members/{id}", web::post().to(org::update_member))
                .route("/org/members/{id}/active", web::post().to(org::set_active))
                .route("/rules", web::get().to(rules::page))
                .route("/rules", web::post().to(rules::create))
                .route("/rules/{id}", web::get().to(rules::rule))
                .route("/rules/{id}", web::post().to(rules::replace))
                .route("/rules/{id}/delete", web::post().to(rules::delete))
                .route("/sla", web::post().to(rules::replace_policies))
                .route("/webhooks", web::get().to(webhooks::page))
                .route("/webhooks", web::post().to(webhooks::create))
                .route("/webhooks/{id}", web::get().to(webhooks::webhook))
                .route("/webhooks/{id}/delete", web::post().to(webhooks::delete))
                .route("/audit", web::get().to(audit::page))
                .route("/initiatives", web::get().to(initiatives::page))
                .route("/initiatives", web::post().to(initiatives::create))
                .route("/initiatives/{id}", web::get().to(initiatives::initiative))
                .route("/initiatives/{id}", web::post().to(initiatives::update))
                .route("/initiatives/{id}/link", web::post().to(initiatives::link)),
        );
}
