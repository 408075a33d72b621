//! Where a webhook may never be aimed: anything inside the network. A URL must be `https` (the
//! local stack may allow exactly `http://127.0.0.1:<port>/` for tests and demos), carry no
//! credentials, and name a host that is neither `localhost` nor an address in a refused range,
//! however the address is spelled (decimal, octal, hex, short forms, IPv4-mapped IPv6, and the
//! IPv6 forms that embed an IPv4 address). A name is resolved by the caller and every address it
//! resolves to is checked; the caller connects to the checked address only (so DNS that changes
//! between the check and the connection cannot move it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The refused IPv4 ranges: (first address, prefix length, what it is).
const REFUSED_V4: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "this network"),
    ([10, 0, 0, 0], 8, "private"),
    (
        [100, 64, 0, 0],
        10,
        "shared address space (carrier-grade NAT)",
    ),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local (instance metadata)"),
    ([172, 16, 0, 0], 12, "private"),
    ([192, 0, 0, 0], 24, "IETF protocol assignments"),
    ([192, 168, 0, 0], 16, "private"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved"),
];

/// Why an address is refused, `None` when it may be reached.
pub fn refused(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<String> {
    let n = u32::from(ip);
    REFUSED_V4.iter().find_map(|(net, len, what)| {
        let mask = u32::MAX << (32 - u32::from(*len));
        (n & mask == u32::from(Ipv4Addr::from(*net)))
            .then(|| format!("{ip} is in {}/{len} ({what})", Ipv4Addr::from(*net)))
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<String> {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // Forms that reach an IPv4 address: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d, which
    // covers :: and ::1), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
    let mapped = s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    let inner = if mapped || nat64 {
        Some(embedded(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(embedded(s[1], s[2]))
    } else {
        None
    };
    if let Some(v4) = inner {
        if ip.is_unspecified() {
            return Some(format!("{ip} is unspecified"));
        }
        if ip.is_loopback() {
            return Some(format!("{ip} is loopback"));
        }
        return refused_v4(v4).map(|why| format!("{ip} reaches {why}"));
    }
    let what = match s[0] {
        x if x & 0xfe00 == 0xfc00 => "fc00::/7 (unique local)",
        x if x & 0xffc0 == 0xfe80 => "fe80::/10 (link-local)",
        x if x & 0xff00 == 0xff00 => "ff00::/8 (multicast)",
        _ => return None,
    };
    Some(format!("{ip} is in {what}"))
}

/// The host of a URL as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A name to resolve (lowercase, without a trailing dot).
    Name(String),
    /// An address, however it was spelled.
    Ip(IpAddr),
}

/// A URL that passed the checks that need no resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: Host,
    pub port: u16,
    /// The one loopback exception (`http://127.0.0.1:<port>/`), on a stack that allows it.
    pub loopback: bool,
}

/// Checks a webhook URL's form: scheme, credentials, host spelling, `localhost` and a literal
/// address. A name still has to be resolved and its addresses checked ([`check_resolved`]).
pub fn check_url(url: &str, allow_loopback: bool) -> Result<Target, String> {
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("the URL must start with https://".into());
    };
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the URL holds spaces or control characters".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("the URL must not carry credentials".into());
    }
    let (host_text, given_port) = split_port(authority)?;
    let host = parse_host(host_text)?;
    let port = given_port.unwrap_or(if https { 443 } else { 80 });
    if !https {
        // Spelled exactly so, port included: no other spelling, no other loopback address,
        // no name, no port 80 by default.
        let exception = allow_loopback && host_text == "127.0.0.1" && given_port.is_some();
        if !exception {
            return Err("the URL must be https".into());
        }
        return Ok(Target {
            host,
            port,
            loopback: true,
        });
    }
    if let Host::Ip(ip) = host
        && let Some(why) = refused(ip)
    {
        return Err(why);
    }
    Ok(Target {
        host,
        port,
        loopback: false,
    })
}

/// The address to connect to: every address the host resolved to must pass (one refused
/// answer refuses the URL: a name that resolves inside the network is not a webhook), and the
/// first is the one connected to.
pub fn check_resolved(target: &Target, addrs: &[IpAddr]) -> Result<IpAddr, String> {
    let first = *addrs.first().ok_or("the host does not resolve")?;
    if target.loopback {
        // The exception is for the literal 127.0.0.1 only.
        return match addrs {
            [IpAddr::V4(ip)] if *ip == Ipv4Addr::LOCALHOST => Ok(first),
            _ => Err("only http://127.0.0.1 is allowed without https".into()),
        };
    }
    for ip in addrs {
        if let Some(why) = refused(*ip) {
            return Err(why);
        }
    }
    Ok(first)
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let bad_port = || "the URL's port is not a number from 1 to 65535".to_owned();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or("the URL's IPv6 address is not closed")?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err("the URL's host is malformed".into()),
        };
        (&authority[..end + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad_port()),
            Ok(n) => Some(n),
        },
    };
    Ok((host, port))
}

fn parse_host(host: &str) -> Result<Host, String> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| "the URL's IPv6 address is malformed".into());
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() {
        return Err("the URL has no host".into());
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Err("localhost is refused".into());
    }
    // Only digits, dots and hex letters after `0x`: a numeric spelling, as the C library's
    // inet_aton reads it (what a resolver would connect to), never a name to look up.
    if name
        .split('.')
        .all(|p| p.starts_with("0x") || p.bytes().all(|b| b.is_ascii_digit()))
    {
        return inet_aton(name)
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .ok_or_else(|| "the URL's numeric host is not an address".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("the URL's host is not a DNS name".into());
    }
    Ok(Host::Name(name.to_owned()))
}

/// IPv4 in every spelling inet_aton takes: 1 to 4 parts, each decimal, octal (leading 0) or
/// hex (0x), the last filling the remaining bytes (`127.1`, `2130706433`, `0x7f.0.0.1`,
/// `0177.0.0.1`).
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = s
        .split('.')
        .map(|p| {
            if let Some(h) = p.strip_prefix("0x") {
                if h.is_empty() {
                    Some(0)
                } else {
                    u64::from_str_radix(h, 16).ok()
                }
            } else if p.len() > 1 && p.starts_with('0') {
                u64::from_str_radix(&p[1..], 8).ok()
            } else if p.is_empty() {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let (last, head) = parts.split_last()?;
    if head.iter().any(|&p| p > 255) {
        return None;
    }
    let room = 8 * (4 - head.len() as u32);
    if room < 64 && *last >= 1u64 << room {
        return None;
    }
    let mut n: u64 = 0;
    for (i, &p) in head.iter().enumerate() {
        n |= p << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from((n | last) as u32))
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
