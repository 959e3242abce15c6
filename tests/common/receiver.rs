//! A webhook receiver for tests: a tiny HTTP/1.1 server on 127.0.0.1 that
//! checks every signature with the domain's `verify`, answers 500 at
//! random (or always), can be taken down (its port then refuses
//! connections) and brought back on the same port, and remembers what it
//! accepted, in order. It speaks plain HTTP (`start`) or HTTPS
//! (`start_https`), the latter with the certificate for 127.0.0.1 and
//! localhost in `tests/fixtures/webhook-tls/`, signed by the test CA there.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use upturn_api::config::Settings;
use upturn_domain::webhook::{WebhookSecret, verify};

/// One delivery the receiver answered 2xx to.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub event_id: String,
    pub request_id: String,
    #[allow(dead_code, reason = "kept for debugging a failed run")]
    pub kind: String,
    /// The delivery body as received.
    #[allow(dead_code, reason = "read by the tests that check what a body carries")]
    pub body: String,
}

#[derive(Default)]
pub struct Record {
    pub secret: Option<WebhookSecret>,
    /// Percentage of deliveries answered 500 (100: always).
    pub fail_percent: u8,
    /// Wait this long before answering.
    pub delay: Duration,
    pub accepted: Vec<Accepted>,
    /// Every delivery received, signed correctly or not.
    pub received: usize,
    pub bad_signatures: usize,
    pub failed_on_purpose: usize,
    /// HTTPS connections whose TLS handshake failed (the client refused
    /// the certificate, say).
    pub failed_handshakes: usize,
    /// Deliveries of an event arriving while another delivery of the same
    /// event was still being answered.
    pub concurrent_same_event: usize,
    in_flight: HashMap<String, usize>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub record: Arc<Mutex<Record>>,
    accept: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// Set for HTTPS.
    tls: Option<TlsAcceptor>,
}

/// A file of `tests/fixtures/webhook-tls/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/webhook-tls")
        .join(name)
}

/// The test CA's certificate (PEM), which signed the HTTPS receiver's.
pub fn test_ca_file() -> PathBuf {
    fixture("ca.pem")
}

/// Settings for delivering to a receiver on 127.0.0.1: plain HTTP to
/// loopback allowed, retries a second apart at first.
pub fn allow_loopback(s: &mut Settings) {
    s.webhook_allow_http_loopback = true;
    s.webhook_retry_base_seconds = 1;
}

fn acceptor() -> TlsAcceptor {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("leaf.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

impl Receiver {
    pub async fn start(fail_percent: u8, delay: Duration) -> Receiver {
        Receiver::start_with(fail_percent, delay, None).await
    }

    /// The same over HTTPS, with the fixture certificate.
    pub async fn start_https(fail_percent: u8, delay: Duration) -> Receiver {
        Receiver::start_with(fail_percent, delay, Some(acceptor())).await
    }

    async fn start_with(fail_percent: u8, delay: Duration, tls: Option<TlsAcceptor>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let record = Arc::new(Mutex::new(Record {
            fail_percent,
            delay,
            ..Record::default()
        }));
        let mut receiver = Receiver {
            addr,
            record,
            accept: None,
            connections: Arc::default(),
            tls,
        };
        receiver.serve(listener);
        receiver
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/hook", self.addr.port())
    }

    pub fn set_secret(&self, secret: &str) {
        self.record.lock().unwrap().secret = Some(WebhookSecret::from_stored(secret.to_owned()));
    }

    fn serve(&mut self, listener: TcpListener) {
        let record = Arc::clone(&self.record);
        let connections = Arc::clone(&self.connections);
        let tls = self.tls.clone();
        self.accept = Some(tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let record = Arc::clone(&record);
                let task = match &tls {
                    None => tokio::spawn(connection(stream, record)),
                    Some(tls) => {
                        let handshake = tls.accept(stream);
                        tokio::spawn(async move {
                            match handshake.await {
                                Ok(stream) => connection(stream, record).await,
                                Err(_) => record.lock().unwrap().failed_handshakes += 1,
                            }
                        })
                    }
                };
                connections.lock().unwrap().push(task);
            }
        }));
    }

    /// Closes the port (and every open connection): deliveries now fail
    /// with "connection refused".
    pub fn down(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("cannot listen again on {}: {error}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// Deliveries received and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.record.lock().unwrap().in_flight.values().sum()
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.record.lock().unwrap().accepted.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

async fn connection(mut stream: impl AsyncRead + AsyncWrite + Unpin, record: Arc<Mutex<Record>>) {
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        // Headers.
        let header_end = loop {
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
        let headers: HashMap<String, String> = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < header_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer[header_end..header_end + length].to_vec();
        buffer.drain(..header_end + length);
        let status = handle(&record, &headers, &body).await;
        let answer = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok",
            if status == 200 { "OK" } else { "Error" }
        );
        // Flushed: over TLS the answer may otherwise wait in a buffer.
        if stream.write_all(answer.as_bytes()).await.is_err() || stream.flush().await.is_err() {
            return;
        }
    }
}

async fn handle(record: &Mutex<Record>, headers: &HashMap<String, String>, body: &[u8]) -> u16 {
    let event_id = headers.get("upturn-event-id").cloned().unwrap_or_default();
    let (delay, fail) = {
        let mut r = record.lock().unwrap();
        r.received += 1;
        let in_flight = r.in_flight.entry(event_id.clone()).or_insert(0);
        *in_flight += 1;
        if *in_flight > 1 {
            r.concurrent_same_event += 1;
        }
        let fail = (uuid::Uuid::new_v4().as_u128() % 100) < u128::from(r.fail_percent);
        (r.delay, fail)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut r = record.lock().unwrap();
    if let Some(n) = r.in_flight.get_mut(&event_id) {
        *n -= 1;
    }
    let signed = match (&r.secret, headers.get("upturn-signature")) {
        (Some(secret), Some(signature)) => {
            verify(secret, signature, body, chrono::Utc::now().timestamp(), 300).is_ok()
        }
        _ => false,
    };
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let consistent = parsed["id"].as_str() == Some(event_id.as_str())
        && headers.get("content-type").map(String::as_str) == Some("application/json")
        && headers
            .get("user-agent")
            .is_some_and(|ua| ua.starts_with("Upturn-Webhooks/"));
    if !signed || !consistent {
        r.bad_signatures += 1;
        return 401;
    }
    if fail {
        r.failed_on_purpose += 1;
        return 500;
    }
    r.accepted.push(Accepted {
        event_id,
        request_id: parsed["request_id"].as_str().unwrap_or_default().to_owned(),
        kind: parsed["type"].as_str().unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(body).into_owned(),
    });
    200
}
