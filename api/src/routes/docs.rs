//! The OpenAPI document and the interactive docs. The docs' JavaScript is
//! compiled into the binary, so `/docs` works offline (RapiDoc, MIT; its
//! licence is in `api/assets/RAPIDOC-LICENSE.txt`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::startup::AppState;

const DOCS_HTML: &str = include_str!("../../assets/docs.html");
const RAPIDOC_JS: &[u8] = include_bytes!("../../assets/rapidoc-min.js");

pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::document(&state.categories))
}

pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

pub async fn docs_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(RAPIDOC_JS)
}

pub async fn docs_licence() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(include_str!("../../assets/RAPIDOC-LICENSE.txt"))
}
