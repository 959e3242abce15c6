//! Who the client is, by address, for the per-client rate limits (login,
//! tracking lookups). Behind a load balancer every connection comes from the
//! balancer, so its `X-Forwarded-For` is believed, but only from the proxies
//! `UPTURN_TRUSTED_PROXIES` names: anyone else could write any address there
//! and get a fresh quota with every request.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The networks whose `X-Forwarded-For` counts. Empty (the default): none,
/// the peer address is the client.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses comma-separated CIDRs (`10.0.0.0/8`, `fd00::/8`) or bare
    /// addresses (`127.0.0.1`, one address). Blank entries are skipped.
    pub fn parse(raw: &str) -> Result<TrustedProxies, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "`{entry}` is neither an IP address nor a CIDR such as 10.0.0.0/8 or fd00::/8"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind a connection from `peer` that carried these
    /// `X-Forwarded-For` values (in header order): the peer itself unless it
    /// is trusted; else, reading the list from the right (each proxy appends
    /// the address it was called from), the first address that is not a
    /// trusted proxy. A list that does not parse is not believed at all;
    /// a list of trusted proxies only gives its leftmost address.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for entry in forwarded_for
            .iter()
            .rev()
            .flat_map(|value| value.rsplit(','))
        {
            let Some(address) = parse_hop(entry.trim()) else {
                return peer;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, with a port as some balancers
/// write it (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(ToString::to_string))
            .finish()
    }
}

/// The client's address as the rate limits key it (empty when the
/// connection has no peer address, as in some test harnesses).
pub fn client_address(request: &HttpRequest, trusted: &TrustedProxies) -> String {
    let Some(peer) = request.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    let forwarded_for: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .map(|value| value.to_str().unwrap_or("\u{0}"))
        .collect();
    trusted.client(peer, &forwarded_for).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(raw: &str) -> TrustedProxies {
        TrustedProxies::parse(raw).unwrap()
    }

    #[test]
    fn parses_cidrs_and_bare_addresses() {
        let t = trusted(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8,,::1");
        assert!(t.trusts(ip("10.1.2.3")));
        assert!(t.trusts(ip("127.0.0.1")));
        assert!(!t.trusts(ip("127.0.0.2")));
        assert!(t.trusts(ip("fd12::1")));
        assert!(t.trusts(ip("::1")));
        assert!(t.trusts(ip("::ffff:10.0.0.1")), "mapped IPv4 is IPv4");
        assert!(!t.trusts(ip("192.0.2.1")));
        assert!(trusted("").is_empty());
        assert!(trusted(" , ").is_empty());
        // Host bits are forgiven: the network is meant.
        assert!(trusted("172.18.0.1/16").trusts(ip("172.18.9.9")));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "nginx",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/8;",
            "*",
            "::g",
        ] {
            let error = TrustedProxies::parse(bad).unwrap_err();
            assert!(error.contains(bad), "{bad}: {error}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("127.0.0.1"), &["192.0.2.7"]),
            ip("127.0.0.1")
        );
        let t = trusted("10.0.0.0/8");
        assert_eq!(
            t.client(ip("192.0.2.1"), &["198.51.100.9"]),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_first_untrusted_address_from_the_right() {
        let t = trusted("10.0.0.0/8");
        // The client could put anything on the left; only the proxies' own
        // appended entries count.
        assert_eq!(
            t.client(ip("10.0.0.2"), &["6.6.6.6, 192.0.2.7, 10.0.0.9"]),
            ip("192.0.2.7")
        );
        assert_eq!(
            t.client(ip("10.0.0.2"), &["6.6.6.6", "192.0.2.7"]),
            ip("192.0.2.7"),
            "several headers are one list in order"
        );
        assert_eq!(
            t.client(ip("10.0.0.2"), &["192.0.2.7:4711"]),
            ip("192.0.2.7")
        );
        assert_eq!(
            t.client(ip("10.0.0.2"), &["[2001:db8::7]:4711"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            t.client(ip("::ffff:10.0.0.2"), &["192.0.2.7"]),
            ip("192.0.2.7")
        );
    }

    #[test]
    fn a_trusted_peer_without_a_usable_header_is_the_client() {
        let t = trusted("10.0.0.0/8");
        assert_eq!(t.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        for malformed in ["", "unknown", "192.0.2.7, ", "192.0.2.7,nope", "\u{0}"] {
            assert_eq!(
                t.client(ip("10.0.0.2"), &[malformed]),
                ip("10.0.0.2"),
                "{malformed:?}"
            );
        }
        assert_eq!(
            t.client(ip("10.0.0.2"), &["10.0.0.5, 10.0.0.4"]),
            ip("10.0.0.5"),
            "only proxies: the leftmost"
        );
    }
}
