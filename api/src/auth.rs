//! Who is calling: passwords (argon2id), bearer tokens (JWT HS256 with
//! expiry) and the `Authenticated` extractor every member endpoint takes.

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use anyhow::Context;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use upturn_domain::Actor;
use upturn_domain::org::Member;
use upturn_domain::policy::{self, Action};
use uuid::Uuid;

use crate::config::Secret;
use crate::error::ApiError;
use crate::startup::AppState;

/// At most this many password hashes are computed at once (argon2id takes
/// about 19 MiB each): a storm of logins waits in line instead of growing
/// the memory with every request. One bound for the process, set by the
/// first [`bound_hashing`] (the server's start) or else one per core.
static HASHING_PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();

/// Sets the bound (`UPTURN_PASSWORD_HASH_CONCURRENCY`); a later call, as
/// when tests start several servers in one process, changes nothing.
pub fn bound_hashing(permits: usize) {
    HASHING_PERMITS.get_or_init(|| tokio::sync::Semaphore::new(permits.max(1)));
}

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    HASHING_PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores)
    })
}

/// Runs one argon2 computation on the blocking pool, within the bound.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .context("The password hashing queue is closed")?;
    tokio::task::spawn_blocking(work)
        .await
        .context("Failed to run a password hash")?
}

/// Hashes a password with argon2id and a fresh salt (on a blocking thread:
/// it takes tens of milliseconds on purpose).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    hashing(move || {
        let hash: PasswordHash = Argon2::default()
            .hash_password(password.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(hash.to_string())
    })
    .await
}

/// Checks a password against a stored hash.
pub async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    hashing(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    role: String,
    iat: i64,
    exp: i64,
    /// `stream` for stream tickets, which open the live stream and nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// The member's token generation when it was issued: a password or
    /// role change since then ends it.
    #[serde(default)]
    generation: i64,
}

/// How long a stream ticket is valid.
const TICKET_SECONDS: i64 = 60;

/// Issues and checks bearer tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_seconds: i64,
    /// A password hash to verify against when the email is unknown, so an
    /// unknown email takes as long as a wrong password.
    pub dummy_hash: Arc<String>,
    /// Signs the pages' CSRF tokens (derived from the JWT secret, so every
    /// replica agrees).
    csrf_key: Arc<Vec<u8>>,
}

impl Tokens {
    pub fn new(secret: &Secret, ttl_seconds: i64, dummy_hash: String) -> Tokens {
        Tokens {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            ttl_seconds,
            dummy_hash: Arc::new(dummy_hash),
            csrf_key: Arc::new(
                Sha256::new()
                    .chain_update(b"upturn pages csrf\n")
                    .chain_update(secret.expose().as_bytes())
                    .finalize()
                    .to_vec(),
            ),
        }
    }

    /// The CSRF token bound to `session` (a page session's token, or the
    /// random value of a signed-out visitor's cookie): every form carries
    /// it, every unsafe page request must send it back.
    pub fn csrf_token(&self, session: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.csrf_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(session.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..20])
    }

    /// `true` when `token` is the CSRF token of `session` (constant time).
    pub fn csrf_matches(&self, session: &str, token: &str) -> bool {
        let Ok(given) = hex::decode(token) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.csrf_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(session.as_bytes());
        mac.verify_truncated_left(&given).is_ok() && given.len() == 20
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    pub fn issue(&self, member: &Member) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: member.id,
            role: member.role.as_str().to_owned(),
            iat: now,
            exp: now + self.ttl_seconds,
            scope: None,
            generation: member.token_generation,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("Failed to sign a token")
    }

    /// A ticket that opens the member's live stream for the next minute.
    pub fn issue_stream_ticket(&self, member: &Member) -> anyhow::Result<(String, i64)> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: member.id,
            role: member.role.as_str().to_owned(),
            iat: now,
            exp: now + TICKET_SECONDS,
            scope: Some("stream".to_owned()),
            generation: member.token_generation,
        };
        let ticket = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("Failed to sign a stream ticket")?;
        Ok((ticket, TICKET_SECONDS))
    }

    /// The member id and token generation a valid, unexpired token names.
    pub fn verify(&self, token: &str) -> Option<(Uuid, i64)> {
        self.decode(token)
            .filter(|c| c.scope.is_none())
            .map(|c| (c.sub, c.generation))
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The member id and token generation a valid, unexpired stream ticket names.
    pub fn verify_stream_ticket(&self, ticket: &str) -> Option<(Uuid, i64)> {
        self.decode(ticket)
            .filter(|c| c.scope.as_deref() == Some("stream"))
            .map(|c| (c.sub, c.generation))
    }
}

/// A per-key rate limiter answering how long to wait when over the quota.
pub struct Limiter(DefaultKeyedRateLimiter<String>);

impl Limiter {
    pub fn per_minute(count: u32) -> Limiter {
        let quota = Quota::per_minute(NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN));
        Limiter(RateLimiter::keyed(quota))
    }

    /// `Err(seconds to wait)` when `key` is over its quota.
    pub fn check(&self, key: String) -> Result<(), ApiError> {
        self.0.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited(wait.as_secs().max(1))
        })
    }

    /// Forgets keys that are back to a full quota.
    pub fn shrink(&self) {
        self.0.retain_recent();
    }
}

/// Members recently loaded by the `Authenticated` extractor, so a burst of
/// calls by one member reads the database once. Entries live a few
/// seconds; a change made through this process forgets its entry at once
/// (another replica sees a deactivation within the TTL).
#[derive(Default)]
pub struct MemberCache(
    std::sync::Mutex<std::collections::HashMap<Uuid, (std::time::Instant, Member)>>,
);

impl MemberCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(5);
    const MAX_ENTRIES: usize = 10_000;

    fn get(&self, id: Uuid) -> Option<Member> {
        let map = self.0.lock().ok()?;
        map.get(&id)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, member)| member.clone())
    }

    fn put(&self, member: Member) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::MAX_ENTRIES {
                map.retain(|_, (at, _)| at.elapsed() < Self::TTL);
            }
            map.insert(member.id, (std::time::Instant::now(), member));
        }
    }

    pub fn forget(&self, id: Uuid) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&id);
        }
    }
}

/// The active member a valid token names: the one way from a bearer token
/// or a page's session cookie to a member. Unknown, expired and deactivated
/// all answer `401`.
pub async fn member_for_token(state: &AppState, token: Option<&str>) -> Result<Member, ApiError> {
    let (member_id, generation) = token
        .and_then(|t| state.tokens.verify(t))
        .ok_or(ApiError::Unauthenticated)?;
    member_of_generation(state, member_id, generation).await
}

/// The active member `member_id`, if `generation` is still theirs (no
/// password or role change since the token was issued).
pub async fn member_of_generation(
    state: &AppState,
    member_id: Uuid,
    generation: i64,
) -> Result<Member, ApiError> {
    let member = match state.members.get(member_id) {
        Some(member) => member,
        None => match state.store.member(member_id).await {
            Ok(member) if member.active => {
                state.members.put(member.clone());
                member
            }
            Ok(_) | Err(upturn_persistence::StoreError::NotFound) => {
                return Err(ApiError::Unauthenticated);
            }
            Err(other) => return Err(other.into()),
        },
    };
    if member.token_generation == generation {
        Ok(member)
    } else {
        Err(ApiError::Unauthenticated)
    }
}

/// The member behind a valid bearer token. Deactivated members are
/// refused even with a token that has not expired yet.
pub struct Authenticated(pub Member);

impl Authenticated {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }

    /// Whether the caller may do `action`: `upturn_domain::policy::permit`
    /// decides, this only renders a refusal (`403`).
    pub fn may(&self, action: Action) -> Result<(), ApiError> {
        Ok(policy::permit(&self.actor(), &action)?)
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let token = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no application state")))?;
            member_for_token(&state, token.as_deref())
                .await
                .map(Authenticated)
        })
    }
}

#[cfg(test)]
mod hashing_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_the_bound() {
        let bound = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..(bound * 4 + 3))
            .map(|_| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(hashing(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                }))
            })
            .collect();
        for task in tasks {
            task.await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most <= bound, "{most} hashes ran at once, bound {bound}");
        assert!(most >= 1);
    }
}
