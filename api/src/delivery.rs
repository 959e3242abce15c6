//! The webhook delivery worker: takes due outbox rows, POSTs each signed
//! body to its endpoint, records the attempt. Runs in every replica; the
//! store's claim leases each row to one worker at a time.
//!
//! The HTTP client follows no redirect (a 3xx is a failed attempt), uses no
//! proxy, gives up connecting after 5 s and on the whole exchange after
//! 10 s, reads at most a few KiB of an answer, and resolves host names
//! itself: every address is checked with `WebhookUrl::admits_address` and
//! the client connects only to addresses that passed (one resolution per
//! connection, no second lookup by anyone else). IP literals are checked
//! when the URL is parsed again before each attempt, under the policy in
//! force now. Over https it trusts the webpki roots, plus the certificate
//! authorities of `UPTURN_WEBHOOK_CA_FILE` if set (receivers behind an
//! internal CA).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, TrustAnchor};
use upturn_domain::webhook::{Backoff, Jitter, UrlError, UrlPolicy, WebhookUrl, sign};
use upturn_persistence::Store;

use crate::prom::Job;
use upturn_persistence::webhooks::{AttemptResult, Claimed, Recorded};

/// Rows claimed per round.
const BATCH: u64 = 32;
/// How long a claimed row is ours. Longer than a whole attempt (10 s) plus
/// recording it; a worker killed mid-attempt holds its rows this long.
const LEASE_SECONDS: i64 = 20;
/// Idle wait between looks at the outbox.
const POLL: Duration = Duration::from_millis(250);
/// After a local change, how long to wait for more before a round.
const GATHER: Duration = Duration::from_millis(5);
/// How long connecting (name resolution included) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole attempt may take, answer included.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of an answer read at most.
const MAX_ANSWER_BYTES: usize = 4096;
/// Characters of an error kept in the attempt log.
const MAX_ERROR_CHARS: usize = 500;

/// What delivery is configured with.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub policy: UrlPolicy,
    pub backoff: Backoff,
    /// Trusted over https besides the webpki roots.
    pub extra_roots: ExtraRoots,
}

/// Root certificates trusted for delivery in addition to the built-in
/// webpki roots: an organisation's internal certificate authority. Every
/// one was parsed as a trust anchor when it was loaded.
#[derive(Clone, Default)]
pub struct ExtraRoots(Arc<[TrustAnchor<'static>]>);

impl ExtraRoots {
    /// The certificates of a PEM file (other sections, such as keys, are
    /// skipped). Refused when the file cannot be read, is not PEM, holds no
    /// certificate or a certificate that is not one.
    pub fn from_pem_file(path: &Path) -> anyhow::Result<ExtraRoots> {
        let pem = std::fs::read(path).context("the file cannot be read")?;
        let mut store = rustls::RootCertStore::empty();
        for (n, der) in CertificateDer::pem_slice_iter(&pem).enumerate() {
            let der = der.context("the file is not valid PEM")?;
            store.add(der).map_err(|e| {
                // Not "invalid peer certificate": there is no peer here.
                let why = match e {
                    rustls::Error::InvalidCertificate(why) => why.to_string(),
                    other => other.to_string(),
                };
                anyhow::anyhow!("certificate {} of the file is not valid: {why}", n + 1)
            })?;
        }
        anyhow::ensure!(!store.is_empty(), "the file holds no PEM certificate");
        Ok(ExtraRoots(store.roots.into()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtraRoots({} certificates)", self.0.len())
    }
}

/// Resolves a host and keeps only the addresses the policy admits for the
/// client's scheme.
struct CheckedResolver {
    policy: UrlPolicy,
    /// A URL of the client's scheme: `admits_address` depends on it only.
    scheme: WebhookUrl,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let policy = self.policy;
        let scheme = self.scheme.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("the host name {host} could not be resolved ({e})"))?
                .collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| scheme.admits_address(a.ip(), policy).is_ok())
                .collect();
            if allowed.is_empty() {
                let refusal = found
                    .first()
                    .and_then(|a| scheme.admits_address(a.ip(), policy).err())
                    .map(|e| format!(": the address {e}"))
                    .unwrap_or_default();
                return Err(format!("no address of {host} may receive webhooks{refusal}").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// How long registering a webhook waits for its host name to resolve.
const REGISTRATION_LOOKUP: Duration = Duration::from_secs(2);

/// At registration: refuses a URL whose host name resolves, within two
/// seconds, only to addresses the policy refuses. A name that does not
/// resolve (or not in time) is accepted; every delivery checks again.
pub async fn check_resolves(url: &WebhookUrl, policy: UrlPolicy) -> Result<(), UrlError> {
    let Some(host) = url.host_name() else {
        return Ok(());
    };
    let found =
        tokio::time::timeout(REGISTRATION_LOOKUP, tokio::net::lookup_host((host, 443))).await;
    let addresses: Vec<IpAddr> = match found {
        Ok(Ok(addresses)) => addresses.map(|a| a.ip()).collect(),
        Ok(Err(error)) => {
            tracing::info!(host, error = %error, "A webhook host name does not resolve (yet)");
            Vec::new()
        }
        Err(_) => {
            tracing::info!(host, "A webhook host name did not resolve in time");
            Vec::new()
        }
    };
    url.admits_resolved(&addresses, policy)
}

/// The two clients (by scheme) and the settings.
pub struct Deliverer {
    https: reqwest::Client,
    http: reqwest::Client,
    settings: DeliverySettings,
}

fn tls(extra_roots: &ExtraRoots) -> anyhow::Result<rustls::ClientConfig> {
    let roots: rustls::RootCertStore = webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .chain(extra_roots.0.iter())
        .cloned()
        .collect();
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("Failed to set up TLS for webhooks")?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

fn client(settings: &DeliverySettings, scheme: &str) -> anyhow::Result<reqwest::Client> {
    // Any policy that admits the template: only its scheme matters.
    let template = WebhookUrl::parse(
        &format!("{scheme}://localhost/"),
        UrlPolicy {
            allow_http_loopback: true,
            allow_private_networks: true,
        },
    )
    .map_err(|e| anyhow::anyhow!("webhook scheme template: {e}"))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls(&settings.extra_roots)?)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(concat!("Upturn-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(CheckedResolver {
            policy: settings.policy,
            scheme: template,
        }))
        .build()
        .context("Failed to build the webhook HTTP client")
}

/// A uniform jitter draw; the middle of the range if the system has no
/// randomness to give (it always has on the platforms we run on).
fn jitter() -> Jitter {
    let draw = getrandom::u32().unwrap_or(u32::MAX / 2);
    Jitter::from_unit(f64::from(draw) / f64::from(u32::MAX))
}

/// The causes of a failed attempt, outermost first.
fn causes(error: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(error), |cause| cause.source())
}

/// The certificate rustls refused, if that is why the attempt failed. It
/// sits in the cause chain inside an `io::Error` (two, as it happens),
/// whose `source` skips what it wraps: those are opened with `get_ref`.
fn refused_certificate(error: &reqwest::Error) -> Option<&rustls::CertificateError> {
    causes(error).find_map(|cause| {
        let mut inner = cause;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            inner = wrapped;
        }
        match inner.downcast_ref::<rustls::Error>() {
            Some(rustls::Error::InvalidCertificate(refused)) => Some(refused),
            _ => None,
        }
    })
}

fn describe(error: &reqwest::Error) -> String {
    let text = if let Some(refused) = refused_certificate(error) {
        let why = match refused {
            rustls::CertificateError::UnknownIssuer => {
                "it is not signed by a certificate authority this server trusts \
                 (the built-in roots, plus UPTURN_WEBHOOK_CA_FILE if set)"
                    .to_owned()
            }
            other => other.to_string(),
        };
        format!("could not connect: the receiver's TLS certificate is not trusted: {why}")
    } else if error.is_timeout() {
        if error.is_connect() {
            format!("could not connect within {} s", CONNECT_TIMEOUT.as_secs())
        } else {
            format!("no complete answer within {} s", TOTAL_TIMEOUT.as_secs())
        }
    } else {
        let kind = if error.is_connect() {
            "could not connect"
        } else {
            "request failed"
        };
        // The client's chain reads "client error (Connect): tcp connect
        // error: Connection refused": only its last link says what happened.
        match causes(error).last() {
            Some(why) => format!("{kind}: {why}"),
            None => kind.to_owned(),
        }
    };
    text.chars().take(MAX_ERROR_CHARS).collect()
}

impl Deliverer {
    pub fn new(settings: DeliverySettings) -> anyhow::Result<Deliverer> {
        Ok(Deliverer {
            https: client(&settings, "https")?,
            http: client(&settings, "http")?,
            settings,
        })
    }

    pub fn settings(&self) -> &DeliverySettings {
        &self.settings
    }

    /// One attempt: POST the stored body, signed now.
    pub async fn attempt(&self, claimed: &Claimed) -> AttemptResult {
        let url = match WebhookUrl::parse(&claimed.url, self.settings.policy) {
            Ok(url) => url,
            Err(e) => {
                return AttemptResult {
                    status_code: None,
                    error: Some(format!("the URL is refused: it {e}")),
                };
            }
        };
        let client = if claimed.url.starts_with("https:") {
            &self.https
        } else {
            &self.http
        };
        // Signed with the real time: receivers compare it with their clock.
        let t = chrono::Utc::now().timestamp();
        let signature = sign(&claimed.secret, t, claimed.body.as_bytes());
        let sent = client
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Upturn-Event-Id", claimed.event_id.to_string())
            .header("Upturn-Signature", signature)
            .body(claimed.body.clone())
            .send()
            .await;
        match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                // Read a little of the answer (and no more) so the
                // connection can be reused; its content does not matter.
                let mut read = 0;
                while read < MAX_ANSWER_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                AttemptResult {
                    status_code: Some(status),
                    error: (!(200..300).contains(&status)).then(|| format!("answered {status}")),
                }
            }
            Err(error) => AttemptResult {
                status_code: None,
                error: Some(describe(&error)),
            },
        }
    }

    /// Attempts one claimed row and records how it went.
    async fn deliver(&self, store: &Store, claimed: Claimed) {
        let result = self.attempt(&claimed).await;
        let outcome = if result.delivered() {
            "delivered"
        } else {
            "failed"
        };
        metrics::counter!("upturn_webhook_attempts_total", "outcome" => outcome).increment(1);
        let recorded = store
            .record_webhook_attempt(&claimed, &result, self.settings.backoff, jitter())
            .await;
        if matches!(recorded, Ok(Recorded::Disabled)) {
            metrics::counter!("upturn_webhooks_disabled_total").increment(1);
        }
        match recorded {
            Ok(Recorded::Disabled) => tracing::warn!(
                webhook = %claimed.webhook_id,
                "Webhook disabled: its deliveries failed for 24 hours; leadership told"
            ),
            Ok(Recorded::RetryAt(at)) => tracing::debug!(
                webhook = %claimed.webhook_id, event = %claimed.event_id,
                error = result.error.as_deref().unwrap_or(""), retry_at = %at,
                "Webhook delivery failed"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(
                webhook = %claimed.webhook_id, error = %error,
                "Failed to record a webhook attempt; the lease will run out and it is retried"
            ),
        }
    }

    /// One round: claim due rows and deliver them concurrently (they are
    /// the heads of distinct (endpoint, request) queues). Answers how many.
    pub async fn round(&self, store: &Store) -> anyhow::Result<usize> {
        if !store.webhooks_due().await? {
            return Ok(0);
        }
        let claimed = store
            .claim_webhook_deliveries(BATCH, chrono::Duration::seconds(LEASE_SECONDS))
            .await?;
        let n = claimed.len();
        futures_util::future::join_all(claimed.into_iter().map(|c| self.deliver(store, c))).await;
        Ok(n)
    }
}

/// Runs the worker until `shutdown` turns true; the round in flight ends
/// first (at most one attempt's timeout).
pub fn spawn(
    store: Store,
    deliverer: Arc<Deliverer>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let committed = store.committed_changes();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let round = deliverer.round(&store).await;
            crate::prom::job_ran(Job::WebhookDelivery, &round);
            let wait = match round {
                // Something was attempted: a delivery may have freed the
                // next event of its request, so look again at once.
                Ok(n) if n > 0 => Duration::ZERO,
                Ok(_) => POLL,
                Err(error) => {
                    tracing::warn!(error = %error, "Webhook delivery round failed");
                    POLL * 4
                }
            };
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    // A change committed in this process: its events may be
                    // in the outbox. Look now, not at the next poll, after a
                    // pause that gathers a burst of changes into one round.
                    () = committed.notified(), if wait == POLL => {
                        tokio::time::sleep(GATHER).await;
                    }
                    changed = shutdown.changed() => {
                        // The sender is gone: nobody will ever say stop.
                        if changed.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::str::FromStr;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use upturn_domain::webhook::WebhookSecret;

    use super::*;

    fn settings(allow_http_loopback: bool) -> DeliverySettings {
        DeliverySettings {
            policy: UrlPolicy {
                allow_http_loopback,
                allow_private_networks: false,
            },
            backoff: Backoff::default(),
            extra_roots: ExtraRoots::default(),
        }
    }

    fn resolver(allow_http_loopback: bool, scheme: &str) -> CheckedResolver {
        CheckedResolver {
            policy: settings(allow_http_loopback).policy,
            scheme: WebhookUrl::parse(
                &format!("{scheme}://localhost/"),
                UrlPolicy {
                    allow_http_loopback: true,
                    allow_private_networks: true,
                },
            )
            .unwrap(),
        }
    }

    #[tokio::test]
    async fn the_resolver_keeps_only_admitted_addresses() {
        let name = || Name::from_str("localhost").unwrap();
        let refused = resolver(false, "https").resolve(name()).await;
        let message = refused.err().expect("loopback is off").to_string();
        assert!(message.contains("no address of localhost"), "{message}");
        let allowed: Vec<SocketAddr> = resolver(true, "http")
            .resolve(name())
            .await
            .expect("loopback is on")
            .collect();
        assert!(!allowed.is_empty());
        assert!(allowed.iter().all(|a| a.ip().is_loopback()));
    }

    /// Answers every connection with `answer`, once.
    async fn one_answer(answer: &'static str) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer).await;
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        addr
    }

    fn claimed(url: String) -> Claimed {
        Claimed {
            outbox_id: uuid::Uuid::now_v7(),
            webhook_id: uuid::Uuid::now_v7(),
            event_id: uuid::Uuid::now_v7(),
            request_id: uuid::Uuid::now_v7(),
            url,
            secret: WebhookSecret::from_random([7; 32]),
            body: "{}".to_owned(),
            attempts: 0,
        }
    }

    #[tokio::test]
    async fn a_redirect_is_a_failed_attempt_and_is_not_followed() {
        let addr = one_answer(
            "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
        )
        .await;
        let deliverer = Deliverer::new(settings(true)).unwrap();
        let result = deliverer
            .attempt(&claimed(format!("http://127.0.0.1:{}/hook", addr.port())))
            .await;
        assert_eq!(result.status_code, Some(302));
        assert_eq!(result.error.as_deref(), Some("answered 302"));
        assert!(!result.delivered());
    }

    #[tokio::test]
    async fn a_failed_connection_is_told_in_a_few_words() {
        let deliverer = Deliverer::new(settings(true)).unwrap();
        // Nobody listens on a port just let go.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let refused = deliverer
            .attempt(&claimed(format!("http://127.0.0.1:{port}/hook")))
            .await;
        assert_eq!(refused.status_code, None);
        let error = refused.error.unwrap();
        assert!(error.starts_with("could not connect: "), "{error}");
        assert!(error.to_lowercase().contains("refused"), "{error}");
        assert!(!error.contains("client error"), "{error}");

        // `.invalid` never resolves (RFC 6761).
        let unknown = deliverer
            .attempt(&claimed("https://upturn-test.invalid/hook".to_owned()))
            .await;
        assert_eq!(unknown.status_code, None);
        let error = unknown.error.unwrap();
        assert!(
            error.starts_with(
                "could not connect: the host name upturn-test.invalid could not be resolved ("
            ),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_is_given_up_on() {
        // Takes the connection, reads the request, never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer).await;
                held.push(stream);
            }
        });
        let result = Deliverer::new(settings(true))
            .unwrap()
            .attempt(&claimed(format!("http://127.0.0.1:{port}/hook")))
            .await;
        assert_eq!(result.status_code, None);
        assert_eq!(
            result.error.as_deref(),
            Some("no complete answer within 10 s")
        );
    }

    #[tokio::test]
    async fn a_2xx_is_a_delivery_and_a_url_refused_now_is_not_tried() {
        let addr = one_answer("HTTP/1.1 204 No Content\r\n\r\n").await;
        let url = format!("http://localhost:{}/hook", addr.port());
        let on = Deliverer::new(settings(true)).unwrap();
        assert!(on.attempt(&claimed(url.clone())).await.delivered());
        // Loopback turned off since the webhook was registered.
        let off = Deliverer::new(settings(false)).unwrap();
        let result = off.attempt(&claimed(url)).await;
        assert_eq!(result.status_code, None);
        assert!(result.error.unwrap().starts_with("the URL is refused"));
    }
}
