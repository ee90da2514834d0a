//! Where a webhook may send: the rule against server-side request forgery, in one place.
//!
//! A webhook makes the server POST to a URL an admin typed, from inside the server's network.
//! Without a rule, that URL can be the cloud metadata service (`169.254.169.254`), a database
//! on `127.0.0.1`, or any internal host, and the recorded delivery errors tell which ports
//! answer. So a target must be an `http(s)` URL that carries no credentials, whose host, if
//! it is an IP literal, is written the one canonical way (`2130706433`, `0177.0.0.1`,
//! `0x7f.1`, `127.1` all mean 127.0.0.1 to a URL parser and hide it from a reader), and whose
//! address is public. The address is checked twice: here, for IP literals and names that are
//! loopback by definition (`localhost`), and by the delivery worker on every address a name
//! resolves to, right before it connects to exactly that address.
//!
//! An admin may opt one webhook in to a private host (`allow_private_host`, stored with it):
//! loopback, private, link-local and the other special unicast ranges are then allowed for
//! it. Addresses nobody can deliver to (unspecified, multicast, broadcast) never are.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

use crate::error::{Error, Result};

/// The longest subscribed URL.
const URL_MAX: usize = 2000;

/// What is wrong with an address as a webhook target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Loopback,
    /// RFC 1918, fc00::/7 (and the deprecated fec0::/10).
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// 100.64/10 (carrier-grade NAT).
    Shared,
    /// Documentation and benchmarking ranges, IETF protocol assignments, 240/4, anything
    /// outside IPv6 global unicast: never a public receiver.
    Reserved,
    /// `0.0.0.0`, `::`, 0/8: never deliverable, even with the opt-in.
    Unspecified,
    /// Multicast and broadcast: never deliverable, even with the opt-in.
    Multicast,
}

impl AddressKind {
    /// Whether the private-host opt-in allows it.
    pub fn allowed_with_opt_in(self) -> bool {
        !matches!(self, AddressKind::Unspecified | AddressKind::Multicast)
    }

    fn describe(self) -> &'static str {
        match self {
            AddressKind::Loopback => "a loopback address",
            AddressKind::Private => "a private address",
            AddressKind::LinkLocal => "a link-local address",
            AddressKind::Shared => "a shared (carrier-grade NAT) address",
            AddressKind::Reserved => "a reserved or documentation address",
            AddressKind::Unspecified => "an unspecified address",
            AddressKind::Multicast => "a multicast or broadcast address",
        }
    }
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why an address may not be delivered to (the message says nothing of ports or answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("target address not allowed: {kind}{hint}", hint = if self.kind.allowed_with_opt_in() {
    " (webhooks go to public addresses unless added with --allow-private-host)"
} else { "" })]
pub struct AddressRefused {
    pub kind: AddressKind,
}

/// `None` for a public unicast address, else what kind of non-public address it is.
pub fn classify(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// The one check of an address, at registration (IP literals) and at delivery (every
/// resolved address).
pub fn check_address(ip: IpAddr, allow_private_host: bool) -> Result<(), AddressRefused> {
    match classify(ip) {
        None => Ok(()),
        Some(kind) if allow_private_host && kind.allowed_with_opt_in() => Ok(()),
        Some(kind) => Err(AddressRefused { kind }),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressKind> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => AddressKind::Unspecified,
        (127, _, _) => AddressKind::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => AddressKind::Private,
        (169, 254, _) => AddressKind::LinkLocal,
        (100, 64..=127, _) => AddressKind::Shared,
        _ if ip.is_broadcast() || ip.is_multicast() => AddressKind::Multicast,
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) | (240..=255, _, _) => {
            AddressKind::Reserved
        }
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressKind> {
    let s = ip.segments();
    // Addresses that carry an IPv4 address are judged by it: IPv4-mapped (::ffff:a.b.c.d),
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if ip.is_unspecified() {
        return Some(AddressKind::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressKind::Loopback);
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if s[..6] == [0; 6] {
        // IPv4-compatible addresses are deprecated and routed nowhere: never a receiver.
        return classify_v4(embedded(s[6], s[7])).or(Some(AddressKind::Reserved));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return classify_v4(embedded(s[1], s[2]));
    }
    Some(match s[0] {
        0xff00..=0xffff => AddressKind::Multicast,
        0xfe80..=0xfebf => AddressKind::LinkLocal,
        0xfc00..=0xfdff | 0xfec0..=0xfeff => AddressKind::Private,
        // IETF protocol assignments (Teredo, benchmarking, ORCHID), documentation.
        0x2001 if s[1] < 0x0200 || s[1] == 0x0db8 => AddressKind::Reserved,
        0x3fff if s[1] < 0x1000 => AddressKind::Reserved,
        // Global unicast is 2000::/3; everything else is not a public receiver.
        0x2000..=0x3fff => return None,
        _ => AddressKind::Reserved,
    })
}

/// A webhook URL that passed the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    url: Url,
    text: String,
}

impl WebhookTarget {
    /// Checks a URL as an admin typed it: `Invalid { field: "url" }` saying what is wrong.
    pub fn parse(input: &str, allow_private_host: bool) -> Result<Self> {
        Self::check(input, allow_private_host, true)
    }

    /// Checks a stored URL before a delivery: the same rule, except that a host name is
    /// judged only by the addresses it resolves to, which the delivery worker checks as it
    /// connects (`localhost` is refused there because it resolves to 127.0.0.1).
    pub fn for_delivery(input: &str, allow_private_host: bool) -> Result<Self> {
        Self::check(input, allow_private_host, false)
    }

    fn check(input: &str, allow_private_host: bool, loopback_names: bool) -> Result<Self> {
        let text = input.trim();
        let invalid = |message: String| Error::invalid("url", message);
        let url = Url::parse(text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host() && text.len() <= URL_MAX)
            .ok_or_else(|| invalid("must be an http:// or https:// URL with a host".into()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "must not carry credentials (user:password@): receivers authenticate deliveries by \
                 their Gasstock-Signature header"
                    .into(),
            ));
        }
        match host_of(&url) {
            Some(Host::Ip(IpAddr::V4(ip))) => {
                // The URL parser reads decimal, octal, hex and short forms as IPv4; only the
                // dotted-decimal spelling is accepted, so that what an admin reads is the target.
                if !raw_host(text).eq_ignore_ascii_case(&ip.to_string()) {
                    return Err(invalid(format!(
                        "write the IP address as {ip}: other notations of an address are refused"
                    )));
                }
                check_address(IpAddr::V4(ip), allow_private_host).map_err(|e| invalid(e.to_string()))?;
            }
            Some(Host::Ip(ip)) => {
                check_address(ip, allow_private_host).map_err(|e| invalid(e.to_string()))?;
            }
            Some(Host::Domain(name)) => {
                // RFC 6761: these names are loopback wherever they are resolved.
                let name = name.trim_end_matches('.');
                if loopback_names && !allow_private_host && (name == "localhost" || name.ends_with(".localhost")) {
                    let refused = AddressRefused { kind: AddressKind::Loopback };
                    return Err(invalid(refused.to_string()));
                }
            }
            None => return Err(invalid("must be an http:// or https:// URL with a host".into())),
        }
        Ok(WebhookTarget { url, text: text.to_owned() })
    }

    /// The URL as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host's address when the URL names one directly (no resolution happens then).
    pub fn ip_literal(&self) -> Option<IpAddr> {
        match host_of(&self.url)? {
            Host::Ip(ip) => Some(ip),
            Host::Domain(_) => None,
        }
    }

    /// `scheme://host:port`: deliveries to one receiver share its concurrency bound.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }
}

enum Host<'a> {
    Ip(IpAddr),
    Domain(&'a str),
}

/// The parsed host: the URL parser has already turned every IPv4 notation into dotted
/// decimal and writes IPv6 in brackets, so a host that parses as an address is one.
fn host_of(url: &Url) -> Option<Host<'_>> {
    let host = url.host_str()?;
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse().ok().map(|ip| Host::Ip(IpAddr::V6(ip)));
    }
    Some(match host.parse::<Ipv4Addr>() {
        Ok(ip) => Host::Ip(IpAddr::V4(ip)),
        Err(_) => Host::Domain(host),
    })
}

/// The host as written in `text` (between `//`, any `user@`, and the port or path).
fn raw_host(text: &str) -> &str {
    let after_scheme = text.split_once("//").map_or(text, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host_port,
    }
}

/// The URL with any `user:password@` replaced by `***@`, for showing: webhooks stored before
/// credentials were refused may still carry them.
pub fn mask_url_credentials(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else { return Cow::Borrowed(url) };
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => Cow::Owned(format!("{scheme}://***{}", &rest[at..])),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        match WebhookTarget::parse(url, false) {
            Err(Error::Invalid { field, message }) => {
                assert_eq!(field, "url");
                message
            }
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn public_targets_are_accepted() {
        for url in [
            "https://hooks.example.rw/gas",
            " http://hooks.example.rw:8443/in?x=1 ",
            "http://8.8.8.8/",
            "http://[2606:4700::1111]/",
            "https://sub.localhost.example.rw/",
        ] {
            let target = WebhookTarget::parse(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(target.as_str(), url.trim());
        }
    }

    #[test]
    fn loopback_private_and_special_addresses_are_refused() {
        for url in [
            "http://127.0.0.1:9000/",
            "http://127.8.9.10/",
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://192.0.2.1/",
            "http://198.18.0.1/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[::8.8.8.8]/",
            "http://[::ffff:0:7f00:1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
            "http://[2001:db8::1]/",
        ] {
            assert!(refused(url).starts_with("target address not allowed"), "{url}");
        }
    }

    #[test]
    fn never_deliverable_even_with_the_opt_in() {
        for url in
            ["http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "http://255.255.255.255/", "http://[ff02::1]/"]
        {
            assert!(WebhookTarget::parse(url, true).is_err(), "{url}");
            assert!(refused(url).starts_with("target address not allowed"), "{url}");
        }
    }

    #[test]
    fn the_opt_in_allows_private_hosts() {
        for url in ["http://127.0.0.1:9000/hooks", "http://localhost:9000/", "http://[::1]:80/", "http://10.0.0.7/"] {
            assert!(WebhookTarget::parse(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn odd_notations_of_ip_literals_are_refused_even_with_the_opt_in() {
        for (url, canonical) in [
            ("http://2130706433/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://0x7f000001/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://127.0.1/", "127.0.0.1"),
            ("http://127.0.0.1./", "127.0.0.1"),
            ("http://127%2e0.0.1/", "127.0.0.1"),
            ("http://134744072/", "8.8.8.8"),
            ("http://010.010.010.010/", "8.8.8.8"),
        ] {
            for opt_in in [false, true] {
                let message = match WebhookTarget::parse(url, opt_in) {
                    Err(Error::Invalid { message, .. }) => message,
                    other => panic!("{url}: {other:?}"),
                };
                assert!(message.contains(&format!("write the IP address as {canonical}")), "{url}: {message}");
            }
        }
    }

    #[test]
    fn credentials_and_other_schemes_are_refused() {
        for url in
            ["http://user:pw@hooks.example.rw/", "https://user@hooks.example.rw/", "http://:pw@hooks.example.rw/"]
        {
            assert!(refused(url).contains("credentials"), "{url}");
            assert!(WebhookTarget::parse(url, true).is_err(), "{url}");
        }
        for url in
            ["ftp://x.rw", "https://", "javascript:alert(1)", "hooks.example.rw", "http:// x", "file:///etc/passwd"]
        {
            assert!(refused(url).contains("http:// or https://"), "{url}");
        }
        assert!(refused(&format!("https://x.rw/{}", "a".repeat(URL_MAX))).contains("http"));
    }

    #[test]
    fn at_delivery_names_are_left_to_the_resolved_addresses() {
        assert!(WebhookTarget::parse("http://localhost:9000/", false).is_err());
        assert!(WebhookTarget::for_delivery("http://localhost:9000/", false).is_ok());
        for url in ["http://127.0.0.1/", "http://0x7f.1/", "http://u:p@hooks.example.rw/"] {
            assert!(WebhookTarget::for_delivery(url, false).is_err(), "{url}");
        }
    }

    #[test]
    fn raw_hosts() {
        assert_eq!(raw_host("http://u:p@0x7f.1:80/x"), "0x7f.1");
        assert_eq!(raw_host("http://127.0.0.1?q"), "127.0.0.1");
        assert_eq!(raw_host("https://[::1]:8080/"), "[::1]");
    }

    #[test]
    fn credentials_are_masked_for_showing() {
        assert_eq!(mask_url_credentials("https://user:secret@hooks.example.rw/in"), "https://***@hooks.example.rw/in");
        assert_eq!(mask_url_credentials("http://a@b@hooks.example.rw"), "http://***@hooks.example.rw");
        assert_eq!(mask_url_credentials("https://hooks.example.rw/a@b"), "https://hooks.example.rw/a@b");
        assert_eq!(mask_url_credentials("not a url"), "not a url");
    }

    #[test]
    fn public_addresses_pass_the_delivery_check() {
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450::1", "172.32.0.1", "100.128.0.1"] {
            assert_eq!(check_address(ip.parse().unwrap(), false), Ok(()), "{ip}");
        }
        let loopback = check_address("127.0.0.1".parse().unwrap(), false).unwrap_err();
        assert_eq!(loopback.kind, AddressKind::Loopback);
        assert!(!loopback.to_string().contains("127.0.0.1"), "no address or port in the message");
        assert_eq!(check_address("127.0.0.1".parse().unwrap(), true), Ok(()));
        assert!(check_address("0.0.0.0".parse().unwrap(), true).is_err());
    }
}
