//! Headers every answer carries unless its handler set its own: no content
//! sniffing, no referrer sent elsewhere, no framing; `no-store` on the API's
//! answers (they carry tokens and customers' personal data); a
//! Content-Security-Policy on the interactive docs (the pages set a stricter
//! one themselves, see `web::context`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The docs' policy: RapiDoc draws its interface with inline styles, so
/// styles may be inline; scripts may not.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn set_default(
    response: &mut ServiceResponse<impl MessageBody>,
    name: HeaderName,
    value: &'static str,
) {
    let headers = response.headers_mut();
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

pub async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = request.path().to_owned();
    let mut response = next.call(request).await?;
    set_default(&mut response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(&mut response, header::REFERRER_POLICY, "no-referrer");
    set_default(&mut response, header::X_FRAME_OPTIONS, "DENY");
    if path.starts_with("/api/v1/") {
        set_default(&mut response, header::CACHE_CONTROL, "no-store");
    }
    if path == "/docs" || path == "/docs/" {
        set_default(&mut response, header::CONTENT_SECURITY_POLICY, DOCS_POLICY);
    }
    Ok(response)
}
