//! Who the client is, for throttling: the socket peer, or, when the peer is a trusted proxy,
//! the address that proxy (and any trusted proxy before it) saw, from `X-Forwarded-For`.
//!
//! `X-Forwarded-For` is a list that each proxy extends on the right with the address it
//! received the request from; everything to the left of what our own proxies wrote is
//! whatever the client chose to send. So the list is read from the right, skipping trusted
//! proxies, and the first address that is not one is the client: the right-most untrusted
//! address. From an untrusted peer the header is ignored altogether.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// One network, `ADDRESS/PREFIX` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u8) {
            match ip {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        let ((net, width), (ip, ip_width)) = (bits(self.addr), bits(ip));
        if width != ip_width {
            return false;
        }
        let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
        net & mask == ip & mask
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("'{text}' is not an IP address or a CIDR network (10.0.0.0/8, 2001:db8::/32)");
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        // `contains` puts an IPv4 address in the top 32 of 128 bits: the prefix still counts
        // from the left.
        Ok(Network { addr, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`): a comma-separated
/// list of addresses and CIDR networks; empty (the default) trusts none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Network>,
    text: String,
}

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.networks.iter().any(|network| network.contains(ip))
    }

    /// The client of a request from `peer` that carried these `X-Forwarded-For` values (in
    /// header order); `None` when the peer is unknown.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let mut client = canonical(peer?);
        if !self.contains(client) {
            return Some(client);
        }
        let hops = forwarded_for.iter().flat_map(|value| value.split(',')).collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // A malformed entry can only come from the client: stop at the last sound hop.
            let Ok(ip) = hop.trim().parse::<IpAddr>() else { break };
            client = canonical(ip);
            if !self.contains(client) {
                break;
            }
        }
        Some(client)
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty() && !item.eq_ignore_ascii_case("none"))
            .map(Network::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies { networks, text: text.trim().to_owned() })
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `::ffff:1.2.3.4` is 1.2.3.4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The key a client is throttled by: its IPv4 address, or the /64 network of an IPv6 one
/// (one subscriber usually holds a whole /64, and could otherwise use a fresh address for
/// every attempt).
pub fn throttle_key(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => format!("{}/64", Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.168.1.7,2001:db8::/32".parse().unwrap();
        for inside in ["10.1.2.3", "192.168.1.7", "::ffff:10.9.9.9", "2001:db8:1::5"] {
            assert!(trusted.contains(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "192.168.1.8", "2001:db9::1", "::a00:1"] {
            assert!(!trusted.contains(ip(outside)), "{outside}");
        }
        let none: TrustedProxies = "".parse().unwrap();
        assert!(!none.contains(ip("127.0.0.1")));
        assert!("0.0.0.0/0".parse::<TrustedProxies>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "10.0.0/8", "example.com", "::/129", "1.2.3.4/"] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let proxy = Some(ip("10.0.0.2"));
        // Through one proxy: what it saw.
        assert_eq!(trusted.client(proxy, &["203.0.113.9"]), Some(ip("203.0.113.9")));
        // The client's own forged entries on the left are skipped.
        assert_eq!(trusted.client(proxy, &["1.1.1.1, 203.0.113.9"]), Some(ip("203.0.113.9")));
        // Through two trusted proxies, and headers split over several lines.
        assert_eq!(trusted.client(proxy, &["6.6.6.6, 198.51.100.4", "10.0.0.9"]), Some(ip("198.51.100.4")));
        // Garbage ends the walk at the last sound hop.
        assert_eq!(trusted.client(proxy, &["nonsense, 10.0.0.5"]), Some(ip("10.0.0.5")));
        // No header: the proxy itself.
        assert_eq!(trusted.client(proxy, &[]), proxy);
        // From an untrusted peer, the header is ignored.
        assert_eq!(trusted.client(Some(ip("198.51.100.1")), &["1.1.1.1"]), Some(ip("198.51.100.1")));
        assert_eq!(trusted.client(None, &["1.1.1.1"]), None);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(throttle_key(Some(ip("2001:db8:1:2:3:4:5:6"))), "2001:db8:1:2::/64");
        assert_eq!(throttle_key(Some(ip("2001:db8:1:2::9"))), "2001:db8:1:2::/64");
        assert_eq!(throttle_key(Some(ip("::ffff:203.0.113.9"))), "203.0.113.9");
        assert_eq!(throttle_key(None), "unknown");
    }
}
