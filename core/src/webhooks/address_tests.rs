use std::net::IpAddr;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn every_refused_range_and_its_edges() {
    for refused_ip in [
        "0.0.0.0",
        "0.255.255.255",
        "10.0.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "127.0.0.1",
        "127.255.255.254",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.255",
        "224.0.0.1",
        "239.255.255.255",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fc00::1",
        "fd00::1",
        "fe80::1",
        "febf::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
    ] {
        assert!(
            refused(ip(refused_ip)).is_some(),
            "{refused_ip} must be refused"
        );
    }
    for allowed in [
        "1.1.1.1",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.1",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2606:4700::1111",
        "::ffff:1.1.1.1",
        "fec0::1",
    ] {
        assert_eq!(refused(ip(allowed)), None, "{allowed} must be allowed");
    }
}

#[test]
fn the_issues_table_is_refused_before_any_resolution() {
    for url in [
        "http://example.com/hook",
        "https://10.0.0.1/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://localhost/",
        "https://LOCALHOST./",
        "https://api.localhost/",
        // Numeric spellings of 127.0.0.1 and of the metadata address.
        "https://2130706433/",
        "https://0x7f000001/",
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://0x7f.1/",
        "https://2852039166/",
        "https://0xa9.0xfe.0xa9.0xfe/",
        "https://0/",
        // Not a URL to send anything to.
        "ftp://example.com/",
        "https://user:pass@example.com/",
        "https://example.com@10.0.0.1/",
        "https://exa mple.com/",
        "https:///path",
        "https://example.com:0/",
        "https://example.com:99999/",
        "https://1.2.3.4.5/",
        "https://256.1.1.1/",
    ] {
        assert!(check_url(url, false).is_err(), "{url} must be refused");
    }
}

#[test]
fn a_public_https_url_passes_with_its_port() {
    let t = check_url("https://Hooks.Example.com/in?x=1", false).unwrap();
    assert_eq!(t.host, Host::Name("hooks.example.com".into()));
    assert_eq!(t.port, 443);
    let t = check_url("https://[2606:4700::1111]:8443/", false).unwrap();
    assert_eq!(t.host, Host::Ip(ip("2606:4700::1111")));
    assert_eq!(t.port, 8443);
    let t = check_url("https://1.1.1.1/", false).unwrap();
    assert_eq!(t.host, Host::Ip(ip("1.1.1.1")));
}

#[test]
fn the_loopback_exception_is_exactly_http_127_0_0_1() {
    let t = check_url("http://127.0.0.1:8080/hook", true).unwrap();
    assert!(t.loopback);
    assert_eq!(t.port, 8080);
    assert_eq!(check_resolved(&t, &[ip("127.0.0.1")]), Ok(ip("127.0.0.1")));
    for url in [
        "http://127.0.0.2:8080/",
        "http://localhost:8080/",
        "http://[::1]:8080/",
        "http://2130706433:8080/",
        "http://10.0.0.1/",
        "http://example.com/",
        "http://127.0.0.1/",
        "http://127.0.0.1/hook",
    ] {
        assert!(check_url(url, true).is_err(), "{url} must be refused");
    }
    assert!(
        check_url("http://127.0.0.1:8080/", false).is_err(),
        "off by default"
    );
    assert!(
        check_url("https://127.0.0.1/", true).is_err(),
        "https to loopback is not the exception"
    );
}

#[test]
fn a_name_is_refused_when_any_address_it_resolves_to_is() {
    let t = check_url("https://hooks.example.com/", false).unwrap();
    assert_eq!(check_resolved(&t, &[ip("1.1.1.1")]), Ok(ip("1.1.1.1")));
    assert!(check_resolved(&t, &[ip("10.0.0.7")]).is_err());
    assert!(check_resolved(&t, &[ip("1.1.1.1"), ip("::ffff:127.0.0.1")]).is_err());
    assert!(check_resolved(&t, &[]).is_err(), "no address, no delivery");
}
