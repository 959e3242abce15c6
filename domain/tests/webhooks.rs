#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Webhooks: the signature against a vector computed elsewhere, the address
//! classes, the URL policy, event lists and the retry schedule (its
//! properties over random jitters are at the bottom).

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use upturn_domain::EventType;
use upturn_domain::values::FieldError;
use upturn_domain::webhook::{
    AddressClass, Backoff, Jitter, Retry, UrlError, UrlPolicy, VerifyError, WebhookEvents,
    WebhookSecret, WebhookUrl, classify, sign, verify,
};
fn secret() -> WebhookSecret {
    WebhookSecret::from_stored("whsec_5f1c0de".to_owned())
}

const BODY: &[u8] = br#"{"id":"0193a1b2-0000-7000-8000-000000000001","type":"resolved"}"#;

/// Computed independently with Python's `hmac` module:
/// `hmac.new(b"whsec_5f1c0de", b"1764000000." + BODY, hashlib.sha256).hexdigest()`.
const KNOWN: &str =
    "t=1764000000,v1=6841e20ce823265f33469f77d9f65f08c87bd870bf680560068ac2250c457693";

#[test]
fn signatures_match_a_known_vector() {
    assert_eq!(sign(&secret(), 1_764_000_000, BODY), KNOWN);
}

#[test]
fn verification_accepts_the_signature_and_nothing_else() {
    let now = 1_764_000_100;
    assert_eq!(verify(&secret(), KNOWN, BODY, now, 300), Ok(()));
    // A rotated secret's signature beside the right one still verifies.
    let both = format!(
        "t=1764000000,v1={},v1={}",
        "00".repeat(32),
        KNOWN.split_once(",v1=").unwrap().1
    );
    assert_eq!(verify(&secret(), &both, BODY, now, 300), Ok(()));
    let other = WebhookSecret::from_stored("whsec_other".to_owned());
    assert_eq!(
        verify(&other, KNOWN, BODY, now, 300),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        verify(&secret(), KNOWN, b"{}", now, 300),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        verify(&secret(), KNOWN, BODY, now + 1000, 300),
        Err(VerifyError::OutsideTolerance)
    );
    assert_eq!(
        verify(&secret(), KNOWN, BODY, 1_764_000_000 - 301, 300),
        Err(VerifyError::OutsideTolerance)
    );
    for malformed in [
        "",
        "v1=abcd",
        "t=1764000000",
        "t=abc,v1=00",
        "t=-5,v1=00",
        "t=1,t=1,v1=00",
        "garbage",
    ] {
        assert_eq!(
            verify(&secret(), malformed, BODY, now, 300),
            Err(VerifyError::Malformed),
            "{malformed}"
        );
    }
    assert_eq!(
        verify(&secret(), "t=1764000000,v1=not-hex", BODY, now, 300),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn secrets_have_their_shape_and_never_print() {
    let secret = WebhookSecret::from_random([0xab; 32]);
    assert_eq!(secret.expose().len(), 6 + 64);
    assert!(secret.expose().starts_with("whsec_abab"));
    assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
}

fn class(ip: &str) -> AddressClass {
    classify(ip.parse().unwrap())
}

#[test]
fn addresses_are_classified() {
    use AddressClass::*;
    let table = [
        ("8.8.8.8", Public),
        ("93.184.216.34", Public),
        ("127.0.0.1", Loopback),
        ("127.255.0.9", Loopback),
        ("10.1.2.3", Private),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("172.32.0.1", Public),
        ("172.15.0.1", Public),
        ("192.168.1.1", Private),
        ("100.64.0.1", Private),
        ("100.128.0.1", Public),
        ("169.254.169.254", LinkLocal),
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Unspecified),
        ("224.0.0.1", Reserved),
        ("255.255.255.255", Reserved),
        ("192.0.2.10", Reserved),
        ("198.18.0.1", Reserved),
        ("::1", Loopback),
        ("::", Unspecified),
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:10.0.0.1", Private),
        ("::ffff:8.8.8.8", Public),
        ("64:ff9b::a9fe:a9fe", LinkLocal),
        ("64:ff9b::808:808", Public),
        ("2002:7f00:1::", Loopback),
        ("fc00::1", Private),
        ("fd12:3456::1", Private),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("fec0::1", Private),
        ("ff02::1", Reserved),
        ("2001:db8::1", Reserved),
        ("::7f00:1", Reserved),
        ("2606:4700:4700::1111", Public),
    ];
    for (ip, expected) in table {
        assert_eq!(class(ip), expected, "{ip}");
    }
}

const OFF: UrlPolicy = UrlPolicy {
    allow_http_loopback: false,
    allow_private_networks: false,
};
const DEV: UrlPolicy = UrlPolicy {
    allow_http_loopback: true,
    allow_private_networks: false,
};
const PRIVATE: UrlPolicy = UrlPolicy {
    allow_http_loopback: false,
    allow_private_networks: true,
};

#[test]
fn urls_follow_the_policy() {
    use UrlError::*;
    let table: &[(&str, UrlPolicy, Result<(), UrlError>)] = &[
        ("https://hooks.example.com/upturn", OFF, Ok(())),
        ("https://hooks.example.com:8443/a?b=c", OFF, Ok(())),
        ("https://93.184.216.34/", OFF, Ok(())),
        ("http://hooks.example.com/", OFF, Err(NotHttps)),
        ("http://hooks.example.com/", DEV, Err(NotHttps)),
        ("ftp://hooks.example.com/", OFF, Err(NotHttps)),
        ("hooks.example.com/x", OFF, Err(NotAUrl)),
        ("", OFF, Err(NotAUrl)),
        ("https://", OFF, Err(NotAUrl)),
        // What the parser would forgive into another host.
        ("https:///x", OFF, Err(NotAUrl)),
        ("https:x", OFF, Err(NotAUrl)),
        ("https:/x.example.com/", OFF, Err(NotAUrl)),
        ("https://\\x.example.com/", OFF, Err(NotAUrl)),
        ("https://x.example.com\\hook", OFF, Err(NotAUrl)),
        ("mailto:ops@example.com", OFF, Err(NotHttps)),
        ("https://user:pw@hooks.example.com/", OFF, Err(Credentials)),
        ("https://user@hooks.example.com/", OFF, Err(Credentials)),
        ("https://hooks.example.com/#x", OFF, Err(Fragment)),
        // Loopback, however it is spelled.
        (
            "http://127.0.0.1:9000/hook",
            OFF,
            Err(Refused(AddressClass::Loopback)),
        ),
        ("http://127.0.0.1:9000/hook", DEV, Ok(())),
        ("https://127.0.0.1/hook", DEV, Ok(())),
        ("http://[::1]:9000/", DEV, Ok(())),
        ("http://localhost:9000/", DEV, Ok(())),
        ("http://LOCALHOST./", DEV, Ok(())),
        (
            "https://api.localhost/",
            OFF,
            Err(Refused(AddressClass::Loopback)),
        ),
        (
            "https://localhost/",
            OFF,
            Err(Refused(AddressClass::Loopback)),
        ),
        ("https://0x7f.1/", OFF, Err(Refused(AddressClass::Loopback))),
        (
            "https://2130706433/",
            OFF,
            Err(Refused(AddressClass::Loopback)),
        ),
        (
            "https://017700000001/",
            OFF,
            Err(Refused(AddressClass::Loopback)),
        ),
        (
            "https://[::ffff:7f00:1]/",
            OFF,
            Err(Refused(AddressClass::Loopback)),
        ),
        // Private networks: only when allowed, and only over https.
        (
            "https://10.0.0.5/",
            OFF,
            Err(Refused(AddressClass::Private)),
        ),
        (
            "https://10.0.0.5/",
            DEV,
            Err(Refused(AddressClass::Private)),
        ),
        ("https://10.0.0.5/", PRIVATE, Ok(())),
        ("http://10.0.0.5/", PRIVATE, Err(NotHttps)),
        ("https://[fd00::5]/", PRIVATE, Ok(())),
        (
            "https://192.168.0.10/",
            OFF,
            Err(Refused(AddressClass::Private)),
        ),
        // Never, whatever the policy.
        (
            "https://169.254.169.254/latest/meta-data",
            PRIVATE,
            Err(Refused(AddressClass::LinkLocal)),
        ),
        (
            "https://0.0.0.0/",
            DEV,
            Err(Refused(AddressClass::Unspecified)),
        ),
        (
            "https://[::]/",
            DEV,
            Err(Refused(AddressClass::Unspecified)),
        ),
        (
            "https://255.255.255.255/",
            PRIVATE,
            Err(Refused(AddressClass::Reserved)),
        ),
    ];
    for (raw, policy, expected) in table {
        assert_eq!(
            WebhookUrl::parse(raw, *policy).map(|_| ()),
            *expected,
            "{raw} with {policy:?}"
        );
    }
    assert_eq!(
        WebhookUrl::parse(&format!("https://a.example/{}", "x".repeat(2048)), OFF),
        Err(TooLong)
    );
}

#[test]
fn names_are_checked_again_once_resolved() {
    let url = WebhookUrl::parse("  https://Hooks.Example.COM/a  ", OFF).unwrap();
    assert_eq!(url.as_str(), "https://hooks.example.com/a");
    assert!(url.needs_resolution());
    assert_eq!(
        url.admits_address("93.184.216.34".parse().unwrap(), OFF),
        Ok(())
    );
    assert_eq!(
        url.admits_address("127.0.0.1".parse().unwrap(), OFF),
        Err(UrlError::Refused(AddressClass::Loopback))
    );
    assert_eq!(
        url.admits_address("127.0.0.1".parse().unwrap(), DEV),
        Ok(())
    );
    assert_eq!(
        url.admits_address("10.0.0.1".parse().unwrap(), OFF),
        Err(UrlError::Refused(AddressClass::Private))
    );
    assert_eq!(
        url.admits_address("10.0.0.1".parse().unwrap(), PRIVATE),
        Ok(())
    );
    assert_eq!(
        url.admits_address("169.254.169.254".parse().unwrap(), PRIVATE),
        Err(UrlError::Refused(AddressClass::LinkLocal))
    );
    let local = WebhookUrl::parse("http://127.0.0.1:9000/", DEV).unwrap();
    assert!(!local.needs_resolution());
    assert!(
        !WebhookUrl::parse("http://localhost/", DEV)
            .unwrap()
            .needs_resolution()
    );
    assert_eq!(
        UrlError::NotHttps.for_field("url"),
        FieldError::new("url", "must use https")
    );
}

#[test]
fn a_name_resolving_only_to_refused_addresses_is_refused_at_registration() {
    let ips = |list: &[&str]| -> Vec<std::net::IpAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    };
    let url = WebhookUrl::parse("https://hooks.example.com/a", OFF).unwrap();
    // Not resolved (yet): accepted, the delivery checks again.
    assert_eq!(url.admits_resolved(&[], OFF), Ok(()));
    assert_eq!(url.admits_resolved(&ips(&["93.184.216.34"]), OFF), Ok(()));
    // One admitted address is enough: deliveries connect only to it.
    assert_eq!(
        url.admits_resolved(&ips(&["127.0.0.1", "93.184.216.34"]), OFF),
        Ok(())
    );
    assert_eq!(
        url.admits_resolved(&ips(&["127.0.0.1", "::1"]), OFF),
        Err(UrlError::ResolvesRefused(AddressClass::Loopback))
    );
    assert_eq!(
        url.admits_resolved(&ips(&["10.1.2.3", "169.254.169.254"]), OFF),
        Err(UrlError::ResolvesRefused(AddressClass::Private))
    );
    assert_eq!(
        url.admits_resolved(&ips(&["fe80::1"]), PRIVATE),
        Err(UrlError::ResolvesRefused(AddressClass::LinkLocal))
    );
    assert_eq!(url.admits_resolved(&ips(&["10.1.2.3"]), PRIVATE), Ok(()));
    assert_eq!(url.admits_resolved(&ips(&["127.0.0.1"]), DEV), Ok(()));
    assert_eq!(
        UrlError::ResolvesRefused(AddressClass::Loopback)
            .for_field("url")
            .message,
        "names a host whose every address is refused: it must not point at this machine (loopback is off)"
    );
}

#[test]
fn event_lists_are_parsed() {
    let events = WebhookEvents::parse("events", &["resolved", "filed", "resolved"]).unwrap();
    assert_eq!(events.as_slice(), &[EventType::Filed, EventType::Resolved]);
    assert!(events.admits(EventType::Filed));
    assert!(!events.admits(EventType::Comment));
    assert!(WebhookEvents::parse::<&str>("events", &[]).is_err());
    let error = WebhookEvents::parse("events", &["filed", "complaint"]).unwrap_err();
    assert_eq!(error.field, "events");
    assert!(error.message.contains("sla_breached"), "{}", error.message);
}

#[test]
fn the_wait_doubles_from_the_base_up_to_an_hour() {
    let full = Jitter::new(1.0).unwrap();
    let half = Jitter::new(0.5).unwrap();
    let backoff = Backoff::default();
    let waits: Vec<i64> = (1..=14)
        .map(|n| backoff.delay(n, full).num_seconds())
        .collect();
    assert_eq!(
        waits,
        [
            1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600
        ]
    );
    assert_eq!(backoff.delay(0, full), Duration::seconds(1));
    assert_eq!(backoff.delay(1, half), Duration::milliseconds(500));
    assert_eq!(backoff.delay(u32::MAX, half), Duration::seconds(1800));
    let slow = Backoff::new("base", 60).unwrap();
    assert_eq!(slow.delay(3, full), Duration::seconds(240));
    assert_eq!(slow.delay(7, full), Duration::seconds(3600));
    for bad in [0, -1, 3601] {
        assert!(Backoff::new("base", bad).is_err(), "{bad}");
    }
}

#[test]
fn jitter_stays_in_its_range() {
    assert!(Jitter::new(0.49).is_none());
    assert!(Jitter::new(1.01).is_none());
    assert!(Jitter::new(f64::NAN).is_none());
    assert_eq!(Jitter::from_unit(0.0).get(), 0.5);
    assert_eq!(Jitter::from_unit(1.0).get(), 1.0);
    assert_eq!(Jitter::from_unit(-3.0).get(), 0.5);
    assert_eq!(Jitter::from_unit(f64::NAN).get(), 1.0);
}

#[test]
fn a_day_of_failures_gives_up() {
    let start = DateTime::<Utc>::from_timestamp(1_764_000_000, 0).unwrap();
    let backoff = Backoff::default();
    let jitter = Jitter::new(0.75).unwrap();
    let almost = start + Duration::seconds(Backoff::GIVE_UP_AFTER_SECONDS - 1);
    assert_eq!(
        backoff.after_failure(40, start, almost, jitter),
        Retry::At(almost + Duration::seconds(2700))
    );
    let day = start + Duration::hours(24);
    assert_eq!(backoff.after_failure(41, start, day, jitter), Retry::GiveUp);
}

// ───────────────────────────────────────────────────────────── properties

fn jitter() -> impl Strategy<Value = Jitter> {
    (0.5f64..=1.0).prop_map(|j| Jitter::new(j).unwrap())
}

proptest! {
    #[test]
    fn waits_stay_between_half_the_base_and_an_hour(
        base in 1i64..=3600,
        attempt in any::<u32>(),
        jitter in jitter(),
    ) {
        let backoff = Backoff::new("base", base).unwrap();
        let wait = backoff.delay(attempt, jitter);
        prop_assert!(wait <= Duration::hours(1), "{wait}");
        prop_assert!(wait >= Duration::milliseconds(base * 500), "{wait}");
    }

    #[test]
    fn waits_never_shrink_from_one_attempt_to_the_next_at_equal_jitter(
        base in 1i64..=3600,
        attempt in 1u32..64,
        jitter in jitter(),
    ) {
        let backoff = Backoff::new("base", base).unwrap();
        prop_assert!(backoff.delay(attempt, jitter) <= backoff.delay(attempt + 1, jitter));
    }

    /// Played from the first failure, with a fresh jitter each time: the
    /// endpoint is tried at least hourly, never given up on before a full
    /// day, and given up on at the first failure after it (so within the
    /// hour that follows), after a bounded number of attempts.
    #[test]
    fn a_failing_endpoint_is_retried_for_a_day_then_given_up(
        base in prop_oneof![Just(1i64), 1i64..=3600],
        jitters in prop::collection::vec(jitter(), 128),
    ) {
        let backoff = Backoff::new("base", base).unwrap();
        let first = DateTime::<Utc>::from_timestamp(1_764_000_000, 0).unwrap();
        let mut now = first;
        let mut attempt = 1u32;
        let mut waited = Duration::zero();
        loop {
            match backoff.after_failure(attempt, first, now, jitters[attempt as usize % 128]) {
                Retry::GiveUp => break,
                Retry::At(next) => {
                    prop_assert!(now - first < Duration::hours(24));
                    prop_assert!(next > now);
                    prop_assert!(next - now <= Duration::hours(1));
                    waited += next - now;
                    now = next;
                    attempt += 1;
                    prop_assert!(attempt < 100, "too many attempts");
                }
            }
        }
        prop_assert!(waited >= Duration::hours(24), "{waited}");
        prop_assert!(waited < Duration::hours(25), "{waited}");
    }

    #[test]
    fn what_is_signed_verifies_and_any_change_does_not(
        secret in "[a-zA-Z0-9_]{1,64}",
        body in prop::collection::vec(any::<u8>(), 0..512),
        t in 0i64..4_000_000_000,
        flip in any::<prop::sample::Index>(),
    ) {
        let secret = WebhookSecret::from_stored(secret);
        let header = sign(&secret, t, &body);
        let prefix = format!("t={t},v1=");
        prop_assert!(header.starts_with(&prefix));
        prop_assert_eq!(header.len(), prefix.len() + 64);
        prop_assert_eq!(verify(&secret, &header, &body, t, 300), Ok(()));
        if !body.is_empty() {
            let mut tampered = body.clone();
            tampered[flip.index(body.len())] ^= 1;
            prop_assert_eq!(verify(&secret, &header, &tampered, t, 300), Err(VerifyError::Mismatch));
        }
        let other = WebhookSecret::from_stored(format!("{}x", secret.expose()));
        prop_assert_eq!(verify(&other, &header, &body, t, 300), Err(VerifyError::Mismatch));
    }
}
