//! Whether the API listens beyond this machine, and the warning that then deserves: the
//! emulator's Cognito signs id tokens with a key published in its source, so anyone who can
//! reach the port can mint a token the stack accepts, for any user.

use std::net::SocketAddr;

/// True when `addr` is not a loopback address (`0.0.0.0`, `::`, a LAN address, ...), that is,
/// when other machines may reach it.
pub fn is_exposed(addr: &SocketAddr) -> bool {
    // `::ffff:127.0.0.1` is loopback too.
    !addr.ip().to_canonical().is_loopback()
}

/// The warning to print when the API listens on `addr`, if it is exposed.
pub fn warning(addr: &SocketAddr) -> Option<String> {
    is_exposed(addr).then(|| {
        format!(
            "listening on {addr}, which is not a loopback address: the emulator's signing key \
             is public, so anyone who can reach this port can mint tokens and act as any user \
             of this stack; listen on 127.0.0.1 unless every machine that can reach it is \
             trusted"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(addr: &str) -> bool {
        is_exposed(&addr.parse().unwrap())
    }

    #[test]
    fn loopback_addresses_are_not_exposed() {
        for a in [
            "127.0.0.1:3000",
            "127.0.0.2:0",
            "127.255.255.254:80",
            "[::1]:3000",
            "[::ffff:127.0.0.1]:3000",
        ] {
            assert!(!exposed(a), "{a}");
            assert_eq!(warning(&a.parse().unwrap()), None, "{a}");
        }
    }

    #[test]
    fn every_other_address_is_exposed_and_warned_about() {
        for a in [
            "0.0.0.0:3000",
            "[::]:3000",
            "192.168.1.20:3000",
            "10.0.0.1:0",
            "[fe80::1]:3000",
            "[::ffff:10.0.0.1]:3000",
        ] {
            assert!(exposed(a), "{a}");
            let w = warning(&a.parse().unwrap()).unwrap();
            assert!(w.contains("signing key is public"), "{w}");
            assert!(w.contains("mint tokens"), "{w}");
        }
    }
}
