//! Small HTTP conventions shared by the endpoints: JSON bodies, `ETag` and
//! `If-Match`, `Idempotency-Key`, cursor pagination.

use std::future::Future;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use upturn_persistence::{IdemKey, Store, StoredResponse};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;

/// Request bodies are at most this large (`413` beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Reads a JSON body: `415` unless it is JSON, `400` when it does not parse,
/// `422` with the failing field when it parses but does not fit `T`.
pub fn json<T: DeserializeOwned>(request: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if !is_json(request.headers()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut document: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::MalformedJson(format!("the body is not valid JSON: {e}")))?;
    // Every body is an object: a derived `Deserialize` would also take the
    // same fields as an array (`[null, null]` for `{note, version}`).
    if !document.is_object() {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    integral_floats_as_integers(&mut document);
    let value: T = serde_path_to_error::deserialize(document).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        // serde says "missing field `x`": name the field.
        let field = match message.split('`').nth(1) {
            Some(name) if message.starts_with("missing field") => {
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            }
            _ if path == "." => "body".to_owned(),
            _ => path,
        };
        ApiError::field(field, message)
    })?;
    Ok(value)
}

/// JSON Schema counts `3.0` as an integer, so the contract's integer fields
/// take it: a float without a fractional part becomes that integer.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                #[expect(clippy::cast_possible_truncation, reason = "integral and within 2^53")]
                let integer = f as i64;
                *value = serde_json::Value::from(integer);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(integral_floats_as_integers);
        }
        _ => {}
    }
}

/// Like [`json`], but an empty body, or `null`, means `T::default()`.
pub fn optional_json<T: DeserializeOwned + Default>(
    request: &HttpRequest,
    body: &[u8],
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        Ok(T::default())
    } else {
        json(request, body)
    }
}

/// The strong `ETag` of a resource at `version`.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// The version an `If-Match` header expects; `None` without the header or
/// with `*`. A value that is no version of ours fails the precondition.
pub fn if_match(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::BadPrecondition)?
        .trim();
    if value == "*" {
        return Ok(None);
    }
    // Exactly the forms the contract declares (see `openapi::IF_MATCH`):
    // `"7"`, `W/"7"`, or a bare `7`.
    let quoted = value.strip_prefix("W/").unwrap_or(value);
    let digits = quoted
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or((quoted == value).then_some(value))
        .filter(|d| (1..=18).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
    digits
        .and_then(|d| d.parse::<i64>().ok())
        .map(Some)
        .ok_or(ApiError::BadPrecondition)
}

/// `201 Created` with `Location`.
pub fn created(location: &str) -> HttpResponseBuilder {
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location.to_owned()));
    response
}

/// A JSON body as stored for idempotent replay.
pub fn stored(
    fingerprint: &str,
    status: u16,
    location: Option<String>,
    version: Option<i64>,
    body: &impl Serialize,
) -> anyhow::Result<StoredResponse> {
    Ok(StoredResponse {
        fingerprint: fingerprint.to_owned(),
        status_code: status,
        location,
        etag: version.map(|v| etag(v).1),
        body: serde_json::to_string(body)?,
    })
}

/// The `Idempotency-Key` header, if any: 1 to 255 visible ASCII characters
/// (no spaces).
pub fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )),
    }
}

/// A digest of what a create asks: the operation and its body as canonical
/// JSON (keys sorted, no insignificant whitespace).
pub fn fingerprint(operation: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|value| value.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replay(stored: StoredResponse, fingerprint: &str) -> Result<HttpResponse, ApiError> {
    if stored.fingerprint != fingerprint {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let status = actix_web::http::StatusCode::from_u16(stored.status_code)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored status: {e}")))?;
    let mut response = HttpResponse::build(status);
    response
        .content_type("application/json")
        .insert_header(("Idempotent-Replayed", "true"));
    if let Some(location) = stored.location {
        response.insert_header((header::LOCATION, location));
    }
    if let Some(etag) = stored.etag {
        response.insert_header((header::ETAG, etag));
    }
    Ok(response.body(stored.body))
}

/// Runs a create at most once per `Idempotency-Key`: a retry with the same
/// key and body gets the first answer again, another body gets `422`.
pub async fn idempotent<F, Fut>(
    store: &Store,
    member_id: Uuid,
    key: Option<String>,
    fingerprint: String,
    run: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(Option<IdemKey>) -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some(key) = key else {
        return run(None).await;
    };
    if let Some(stored) = store.idempotent_answer(member_id, &key).await? {
        return replay(stored, &fingerprint);
    }
    let idem = IdemKey {
        member_id,
        key: key.clone(),
        fingerprint: fingerprint.clone(),
    };
    match run(Some(idem)).await {
        Err(ApiError::IdempotencyRace) => match store.idempotent_answer(member_id, &key).await? {
            Some(stored) => replay(stored, &fingerprint),
            None => Err(ApiError::Internal(anyhow::anyhow!(
                "idempotency key vanished"
            ))),
        },
        other => other,
    }
}

/// How a created resource is answered: where it lives, its version (for the
/// `ETag`) and its body.
pub struct Answer<B> {
    pub location: String,
    pub version: Option<i64>,
    pub body: B,
}

/// Answers a create with `201`, `Location`, `ETag` and the body, honouring
/// `Idempotency-Key`: `make` gets the key's `Idem` (whose renderer is
/// `answer`, so a retry replays the very same answer) and creates the value.
pub async fn create<T, B, F, Fut>(
    store: &Store,
    request: &HttpRequest,
    member_id: Uuid,
    operation: &str,
    body: &[u8],
    answer: fn(&T) -> Answer<B>,
    make: F,
) -> Result<HttpResponse, ApiError>
where
    T: 'static,
    B: 'static,
    B: Serialize,
    F: FnOnce(Option<upturn_persistence::Idem<T>>) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let key = idempotency_key(request)?;
    let fingerprint = fingerprint(operation, body);
    idempotent(
        store,
        member_id,
        key,
        fingerprint.clone(),
        |key| async move {
            let idem = key.map(|key| upturn_persistence::Idem::<T> {
                key,
                render: Box::new(move |value: &T| {
                    let Answer {
                        location,
                        version,
                        body,
                    } = answer(value);
                    stored(&fingerprint, 201, Some(location), version, &body)
                }),
            });
            let value = make(idem).await?;
            let Answer {
                location,
                version,
                body,
            } = answer(&value);
            let mut response = created(&location);
            if let Some(version) = version {
                response.insert_header(etag(version));
            }
            Ok(response.json(body))
        },
    )
    .await
}

/// `limit` and `cursor` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return, 1 to 200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque).
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.limit.as_deref().map(str::parse::<u64>) {
            None => Ok(50),
            Some(Ok(limit @ 1..=200)) => Ok(limit),
            Some(_) => Err(ApiError::field(
                "limit",
                "must be a number between 1 and 200",
            )),
        }
    }

    pub fn cursor(&self) -> Result<Option<Uuid>, ApiError> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| {
                Uuid::parse_str(c)
                    .map_err(|_| ApiError::field("cursor", "is not a cursor this list gave"))
            })
            .transpose()
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass it as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    pub fn new<S>(page: upturn_persistence::Page<S>) -> Self
    where
        T: for<'a> From<&'a S>,
    {
        Paged {
            items: page.items.iter().map(T::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// An optional RFC 3339 query parameter, as UTC.
pub fn time_param(
    field: &str,
    raw: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, upturn_domain::values::FieldError> {
    raw.map(|raw| {
        chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                upturn_domain::values::FieldError::new(
                    field,
                    "must be an RFC 3339 time, e.g. 2026-11-22T10:00:00Z",
                )
            })
    })
    .transpose()
}
