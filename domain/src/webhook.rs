//! Webhooks: where leadership wants request events sent, how each delivery
//! is signed, and when a failed delivery is tried again.
//!
//! Everything here is pure. The caller draws the randomness (the secret's
//! bytes, the jitter), reads the clock and resolves host names. Registration
//! asks [`WebhookUrl::admits_resolved`] about the addresses a name has now;
//! the delivery worker asks [`WebhookUrl::admits_address`] about every
//! address a name resolves to before it connects, because a name that
//! pointed somewhere public when the webhook was created may point at the
//! database tomorrow.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::{Host, Url};

use crate::model::EventType;
use crate::values::FieldError;

// ───────────────────────────────────────────────────────────── addresses

/// What an IP address is, as far as sending a webhook to it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the internet: always allowed.
    Public,
    /// This machine (`127.0.0.0/8`, `::1`, `localhost`): only when
    /// `UPTURN_WEBHOOK_ALLOW_HTTP_LOOPBACK=true` (development, tests).
    Loopback,
    /// A private network (`10/8`, `172.16/12`, `192.168/16`, the carrier-grade
    /// NAT range `100.64/10`, IPv6 unique-local `fc00::/7` and the old
    /// site-local `fec0::/10`): only when private networks are allowed.
    Private,
    /// Link-local (`169.254/16`, `fe80::/10`): never. The cloud metadata
    /// services answer there, and no real receiver lives on one.
    LinkLocal,
    /// "Any address" (`0.0.0.0/8`, `::`): never; it reaches this machine.
    Unspecified,
    /// Multicast, broadcast, documentation, benchmarking and other ranges
    /// nobody delivers webhooks to: never.
    Reserved,
}

/// Classifies an IP address. IPv6 addresses that carry an IPv4 address
/// (`::ffff:a.b.c.d`, the NAT64 prefix `64:ff9b::/96`, 6to4 `2002::/16`) are
/// classified by the IPv4 address they lead to, so `[::ffff:127.0.0.1]` is
/// loopback, not public.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) => AddressClass::Private,
        (172, 16..=31, _) => AddressClass::Private,
        (192, 168, _) => AddressClass::Private,
        (100, 64..=127, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        // IETF protocol assignments, the three documentation ranges,
        // benchmarking, multicast, the old class E and broadcast.
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Reserved,
        (198, 18..=19, _) => AddressClass::Reserved,
        (224..=255, _, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // NAT64, well-known prefix: the last 32 bits are the IPv4 address.
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => classify_v4(embedded(hi, lo)),
        // NAT64 for local use.
        [0x0064, 0xff9b, 0x0001, ..] => AddressClass::Private,
        // 6to4: bits 16–48 are the IPv4 address.
        [0x2002, hi, lo, ..] => classify_v4(embedded(hi, lo)),
        // IPv4-compatible (deprecated) and the rest of ::/96.
        [0, 0, 0, 0, 0, 0, _, _] => AddressClass::Reserved,
        [first, ..] if first & 0xfe00 == 0xfc00 => AddressClass::Private,
        [first, ..] if first & 0xffc0 == 0xfec0 => AddressClass::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        [first, ..] if first & 0xff00 == 0xff00 => AddressClass::Reserved,
        // Documentation, and Teredo (which hides the real IPv4 address).
        [0x2001, 0x0db8, ..] | [0x2001, 0x0000, ..] => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

// ─────────────────────────────────────────────────────────────────── URLs

/// What the configuration allows beyond public `https` endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// `UPTURN_WEBHOOK_ALLOW_HTTP_LOOPBACK`: loopback endpoints are allowed,
    /// over `http` as well as `https`.
    pub allow_http_loopback: bool,
    /// `UPTURN_WEBHOOK_ALLOW_PRIVATE_NETWORKS`: private-network endpoints are
    /// allowed (over `https` only).
    pub allow_private_networks: bool,
}

impl UrlPolicy {
    /// Whether an endpoint of this class may be reached, and how.
    fn admits(self, class: AddressClass, https: bool) -> Result<(), UrlError> {
        match class {
            AddressClass::Public | AddressClass::Private if !https => Err(UrlError::NotHttps),
            AddressClass::Public => Ok(()),
            AddressClass::Loopback if self.allow_http_loopback => Ok(()),
            AddressClass::Private if self.allow_private_networks => Ok(()),
            refused => Err(UrlError::Refused(refused)),
        }
    }
}

/// Why a URL cannot receive webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must be an absolute URL")]
    NotAUrl,
    #[error("must be at most {max} characters", max = WebhookUrl::MAX_CHARS)]
    TooLong,
    #[error("must use https")]
    NotHttps,
    #[error("must not carry a user name or password (the signature authenticates Upturn)")]
    Credentials,
    #[error("must not have a fragment (`#…` is never sent)")]
    Fragment,
    #[error("{}", refusal_message(*.0))]
    Refused(AddressClass),
    /// A host name whose every address is refused (the class of the first).
    #[error("names a host whose every address is refused: it {}", refusal_message(*.0))]
    ResolvesRefused(AddressClass),
}

fn refusal_message(class: AddressClass) -> &'static str {
    match class {
        AddressClass::Loopback => "must not point at this machine (loopback is off)",
        AddressClass::Private => "must not point at a private network (they are not allowed)",
        AddressClass::LinkLocal => "must not point at a link-local address",
        AddressClass::Unspecified => "must not point at an unspecified address",
        AddressClass::Reserved => "must not point at a reserved address",
        AddressClass::Public => "is refused",
    }
}

impl UrlError {
    /// The error as a field error of a request body.
    pub fn for_field(self, field: &str) -> FieldError {
        FieldError::new(field, self.to_string())
    }
}

/// Where a webhook's deliveries go: an absolute `https` URL (or `http` to
/// loopback when allowed) whose host, if an IP address or `localhost`, the
/// policy admits. A host name is admitted here; registration refuses it when
/// it resolves only to refused addresses ([`WebhookUrl::admits_resolved`]),
/// and every delivery checks it again, address by address
/// ([`WebhookUrl::admits_address`]).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    pub const MAX_CHARS: usize = 2048;

    /// Parses a URL as a user typed it. The WHATWG parser reads hosts the way
    /// HTTP clients do (`https://0x7f.1/` is `127.0.0.1`), so the class of an
    /// IP host is the class of the address a client would connect to.
    pub fn parse(raw: &str, policy: UrlPolicy) -> Result<Self, UrlError> {
        let raw = raw.trim();
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(UrlError::TooLong);
        }
        let url = Url::parse(raw).map_err(|_| UrlError::NotAUrl)?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(UrlError::NotHttps),
        };
        // For http(s), the parser forgives what a user did not mean: `https:///x` and
        // `https:x` become `https://x/`, and `\` counts as `/`. Only an
        // authority written out after `://` is taken as the host.
        match raw.split_once("://") {
            Some((_, rest)) if !rest.starts_with(['/', '\\']) && !rest.is_empty() => {}
            _ => return Err(UrlError::NotAUrl),
        }
        if raw.contains('\\') {
            return Err(UrlError::NotAUrl);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(UrlError::Fragment);
        }
        let class = match url.host() {
            None => return Err(UrlError::NotAUrl),
            Some(Host::Ipv4(ip)) => Some(classify(IpAddr::V4(ip))),
            Some(Host::Ipv6(ip)) => Some(classify(IpAddr::V6(ip))),
            Some(Host::Domain(name)) if is_localhost(name) => Some(AddressClass::Loopback),
            // A name: known only once resolved. Only loopback may use http,
            // and a name is not known to be loopback.
            Some(Host::Domain(_)) => None,
        };
        match class {
            Some(class) => policy.admits(class, https)?,
            None if !https => return Err(UrlError::NotHttps),
            None => {}
        }
        Ok(Self(url))
    }

    /// The URL as stored and shown (normalised by the parser).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the host is a name that must be resolved, and each address it
    /// resolves to checked with [`WebhookUrl::admits_address`], before every
    /// delivery.
    pub fn needs_resolution(&self) -> bool {
        self.host_name().is_some()
    }

    /// The host name to resolve, when the host is a name (not an IP
    /// address, not `localhost`).
    pub fn host_name(&self) -> Option<&str> {
        match self.0.host() {
            Some(Host::Domain(name)) if !is_localhost(name) => Some(name),
            _ => None,
        }
    }

    /// Whether a delivery may connect to `address`, one of the addresses the
    /// host resolved to. Connect only to an address that passes; if none does,
    /// the attempt fails (and is retried: DNS may change back).
    pub fn admits_address(&self, address: IpAddr, policy: UrlPolicy) -> Result<(), UrlError> {
        policy.admits(classify(address), self.0.scheme() == "https")
    }

    /// Whether a webhook may be registered with this URL now that its host
    /// name resolved to `addresses`: refused when every one of them is (no
    /// delivery could ever connect while the name points there). No
    /// addresses — the name did not resolve — is accepted: the delivery
    /// resolves and checks again.
    pub fn admits_resolved(&self, addresses: &[IpAddr], policy: UrlPolicy) -> Result<(), UrlError> {
        let mut refusals = addresses
            .iter()
            .map(|address| self.admits_address(*address, policy));
        match refusals.next() {
            None => Ok(()),
            Some(Ok(())) => Ok(()),
            Some(Err(first)) => {
                if refusals.any(|r| r.is_ok()) {
                    return Ok(());
                }
                match first {
                    UrlError::Refused(class) => Err(UrlError::ResolvesRefused(class)),
                    other => Err(other),
                }
            }
        }
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.0.as_str())
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// `localhost` and its subdomains always mean this machine (RFC 6761).
fn is_localhost(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")
}

// ──────────────────────────────────────────────────────────── event types

/// The event types a webhook subscribes to: at least one, each a known
/// timeline event type, without repeats, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvents(Vec<EventType>);

impl WebhookEvents {
    /// Parses the `events` list of a webhook body.
    pub fn parse<S: AsRef<str>>(field: &str, raw: &[S]) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(field, "must name at least one event type"));
        }
        let mut kinds = Vec::with_capacity(raw.len());
        for name in raw {
            let kind: EventType =
                name.as_ref()
                    .trim()
                    .parse()
                    .map_err(|e: crate::model::UnknownValue| {
                        FieldError::new(field, format!("must each be one of: {}", e.expected))
                    })?;
            kinds.push(kind);
        }
        kinds.sort();
        kinds.dedup();
        Ok(Self(kinds))
    }

    /// Whether an event of this type is delivered.
    pub fn admits(&self, kind: EventType) -> bool {
        self.0.contains(&kind)
    }

    pub fn as_slice(&self) -> &[EventType] {
        &self.0
    }
}

// ───────────────────────────────────────────────────────────── signatures

/// A webhook's signing secret: shown once, when the webhook is created, and
/// stored as it is (deliveries need it to sign). Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The prefix that makes a leaked secret recognisable to scanners.
    pub const PREFIX: &'static str = "whsec_";

    /// A new secret from 32 random bytes the caller drew.
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self(format!("{}{}", Self::PREFIX, hex::encode(bytes)))
    }

    /// A secret as stored.
    pub fn from_stored(secret: String) -> Self {
        Self(secret)
    }

    /// The secret, for the one answer that shows it and for storage. The HMAC
    /// key is exactly these UTF-8 bytes, prefix included.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &WebhookSecret, t: i64, body: &[u8]) -> HmacSha256 {
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut mac = HmacSha256::new_from_slice(secret.0.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Upturn-Signature` header of a delivery sent at unix time `t`:
/// `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Signing the time with the
/// body lets a receiver refuse a replayed delivery.
pub fn sign(secret: &WebhookSecret, t: i64, body: &[u8]) -> String {
    let digest = mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(digest))
}

/// Why a signature header does not authenticate a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is not `t=<unix seconds>,v1=<hex>`")]
    Malformed,
    #[error("the signature is older or newer than the tolerance allows")]
    OutsideTolerance,
    #[error("no signature matches the body")]
    Mismatch,
}

/// Checks a signature header as a receiver would: exactly one `t`, at most
/// `tolerance_seconds` away from `now` either way, and a `v1` that matches
/// (several `v1` are accepted, for secret rotation; unknown keys are
/// ignored, for later schemes). The comparison is constant-time.
pub fn verify(
    secret: &WebhookSecret,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_seconds: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(VerifyError::Malformed)?;
        match key {
            "t" if t.is_none() => {
                let parsed = value
                    .parse::<i64>()
                    .ok()
                    .filter(|_| value.bytes().all(|b| b.is_ascii_digit()));
                t = Some(parsed.ok_or(VerifyError::Malformed)?);
            }
            "t" => return Err(VerifyError::Malformed),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(t) > tolerance_seconds.unsigned_abs() {
        return Err(VerifyError::OutsideTolerance);
    }
    let expected = mac(secret, t, body);
    let matches = signatures.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|bytes| expected.clone().verify_slice(&bytes).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

// ─────────────────────────────────────────────────────────────── retries

/// The random factor applied to each wait, in `[0.5, 1.0]`, drawn by the
/// caller for each retry. Waits spread out so that receivers coming back
/// from an outage are not hit by every replica at the same second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Jitter(f64);

impl Jitter {
    pub const MIN: f64 = 0.5;
    pub const MAX: f64 = 1.0;

    /// `None` outside `[0.5, 1.0]` (and for NaN).
    pub fn new(factor: f64) -> Option<Self> {
        (Self::MIN..=Self::MAX)
            .contains(&factor)
            .then_some(Self(factor))
    }

    /// Maps a uniform draw in `[0, 1]` onto `[0.5, 1.0]`; out-of-range
    /// draws are clamped.
    pub fn from_unit(draw: f64) -> Self {
        let draw = if draw.is_nan() {
            1.0
        } else {
            draw.clamp(0.0, 1.0)
        };
        Self(Self::MIN + draw * (Self::MAX - Self::MIN))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

/// What to do after a failed delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this time.
    At(DateTime<Utc>),
    /// The endpoint has failed for a whole day: disable it and tell
    /// leadership.
    GiveUp,
}

/// Exponential back-off with jitter: after the `n`-th failed attempt the
/// next one waits `min(base × 2^(n−1), 1 h) × jitter`, so waits start at
/// `base` and double up to an hour; an endpoint that has failed for 24 hours
/// is given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base_seconds: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base_seconds: 1 }
    }
}

impl Backoff {
    /// No wait is longer than an hour.
    pub const MAX_WAIT_SECONDS: i64 = 3600;
    /// Failures are retried for this long before the endpoint is disabled.
    pub const GIVE_UP_AFTER_SECONDS: i64 = 24 * 3600;

    /// `UPTURN_WEBHOOK_RETRY_BASE_SECONDS`: 1 to 3600 (default 1).
    pub fn new(field: &str, base_seconds: i64) -> Result<Self, FieldError> {
        match u32::try_from(base_seconds) {
            Ok(base @ 1..=3600) => Ok(Self { base_seconds: base }),
            _ => Err(FieldError::new(field, "must be between 1 and 3600 seconds")),
        }
    }

    pub fn base_seconds(self) -> u32 {
        self.base_seconds
    }

    /// The wait after the `attempt`-th failed attempt (1 for the first
    /// delivery; 0 is read as 1), to the millisecond.
    pub fn delay(self, attempt: u32, jitter: Jitter) -> Duration {
        let doublings = attempt.max(1) - 1;
        let cap_ms = Self::MAX_WAIT_SECONDS * 1000;
        let base_ms = i64::from(self.base_seconds) * 1000;
        // 2^12 × 1 s already passes the hour: stop doubling before overflow.
        let uncapped = if doublings >= 12 {
            cap_ms
        } else {
            base_ms << doublings
        };
        let capped = uncapped.min(cap_ms);
        // At most 3.6e6 ms: exact in an f64, and the product fits an i64.
        let ms = (capped as f64 * jitter.0).round() as i64;
        Duration::milliseconds(ms)
    }

    /// Whether an endpoint failing since `first_failure_at` has failed for
    /// long enough to be given up on.
    pub fn give_up(first_failure_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - first_failure_at >= Duration::seconds(Self::GIVE_UP_AFTER_SECONDS)
    }

    /// After the `attempt`-th attempt failed at `now` (the endpoint failing
    /// since `first_failure_at`): when to try again, or give up.
    pub fn after_failure(
        self,
        attempt: u32,
        first_failure_at: DateTime<Utc>,
        now: DateTime<Utc>,
        jitter: Jitter,
    ) -> Retry {
        if Self::give_up(first_failure_at, now) {
            Retry::GiveUp
        } else {
            Retry::At(now + self.delay(attempt, jitter))
        }
    }
}
