//! The configuration's reading, clamping and refusals.

use super::*;
use std::collections::HashMap;

#[test]
fn reads_and_clamps() {
    let m: HashMap<&str, &str> = HashMap::from([
        ("BUCKET_NAME", "b"),
        ("UPLOAD_URL_TTL_SECS", "3600"),
        ("ALLOWED_TYPES", "Image/PNG, text/plain"),
        ("AUTO_CONFIRM_SIGNUP", "true"),
    ]);
    let c = Config::from_lookup(&|k| m.get(k).map(|v| v.to_string())).unwrap();
    assert_eq!(c.bucket, "b");
    assert_eq!(c.settings.upload_url_ttl, Duration::from_secs(900));
    assert_eq!(
        c.settings.allowed_types,
        TypePolicy::only(["image/png", "text/plain"])
    );
    assert!(c.auto_confirm_signup);
    // Unset: admins must use TOTP; only an explicit `false` lifts it.
    assert!(c.require_admin_mfa.0);
    let off = Config::from_lookup(&|k| (k == "REQUIRE_ADMIN_MFA").then(|| "false".into()));
    assert!(!off.unwrap().require_admin_mfa.0);
    let typo = Config::from_lookup(&|k| (k == "REQUIRE_ADMIN_MFA").then(|| "flase".into()));
    assert!(typo.unwrap().require_admin_mfa.0);
    assert!(c.require(&["BUCKET_NAME"]).is_ok());
    assert!(matches!(
        c.require(&["TOPIC_ARN"]),
        Err(InfraError::MissingEnv("TOPIC_ARN"))
    ));
    let back: HashMap<&str, String> = c.to_env().into_iter().collect();
    let again = Config::from_lookup(&|k| back.get(k).cloned()).unwrap();
    assert_eq!(again, c);
}

#[test]
fn an_unknown_required_name_is_an_error() {
    let m: HashMap<&str, &str> = HashMap::from([("BUCKET_NAME", "b"), ("FILES_TABLE", "f")]);
    let c = Config::from_lookup(&|k| m.get(k).map(|v| v.to_string())).unwrap();
    assert!(c.require(&["BUCKET_NAME", "FILES_TABLE"]).is_ok());
    assert!(matches!(
        c.require(&["BUCKET_NAME", "FILES_TABEL"]),
        Err(InfraError::UnknownEnv("FILES_TABEL"))
    ));
    // Unknown even when every known one is set: a typo never passes.
    let full = Config {
        bucket: "b".into(),
        files_table: "f".into(),
        quotas_table: "q".into(),
        upload_log_table: "u".into(),
        links_table: "l".into(),
        rate_limit_table: "r".into(),
        topic_arn: "t".into(),
        user_pool_id: "p".into(),
        user_pool_client_id: "c".into(),
        mail_sender: "m".into(),
        ..Config::default()
    };
    let every = [
        "BUCKET_NAME",
        "FILES_TABLE",
        "QUOTAS_TABLE",
        "UPLOAD_LOG_TABLE",
        "LINKS_TABLE",
        "RATE_LIMIT_TABLE",
        "TOPIC_ARN",
        "USER_POOL_ID",
        "USER_POOL_CLIENT_ID",
        "MAIL_SENDER",
    ];
    assert!(full.require(&every).is_ok());
    assert!(matches!(
        full.require(&["BUCKET"]),
        Err(InfraError::UnknownEnv("BUCKET"))
    ));
}

#[test]
fn bad_numbers_are_reported() {
    let r = Config::from_lookup(&|k| (k == "QUOTA_BYTES").then(|| "lots".to_string()));
    assert!(matches!(
        r,
        Err(InfraError::BadEnv {
            name: "QUOTA_BYTES",
            ..
        })
    ));
}

#[test]
fn drop_settings_are_read_and_clamped() {
    let read = |idle: &str, givebacks: &str| {
        let m: HashMap<&str, String> = HashMap::from([
            ("DROP_IDLE_SECS", idle.to_owned()),
            ("LINK_GIVEBACKS", givebacks.to_owned()),
        ]);
        Config::from_lookup(&|k| m.get(k).cloned())
            .unwrap()
            .settings
    };
    let d = Config::from_lookup(&|_| None).unwrap().settings;
    assert_eq!(
        (d.drop_idle, d.link_givebacks),
        (Duration::from_secs(900), 3)
    );
    let s = read("120", "0");
    assert_eq!(
        (s.drop_idle, s.link_givebacks),
        (Duration::from_secs(120), 0)
    );
    // Huge values never panic: a day of idleness at most, as many give-backs as uses.
    let s = read(&u64::MAX.to_string(), &u64::MAX.to_string());
    assert_eq!(
        (s.drop_idle, s.link_givebacks),
        (Duration::from_secs(86_400), 1000)
    );
    assert_eq!(read("0", "3").drop_idle, Duration::from_secs(1));
}

#[test]
fn the_malware_gate_is_read_strictly_and_its_plan_required_only_while_on() {
    const ARN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/p1";
    let read = |pairs: &[(&str, &str)]| {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&|k| m.get(k).cloned())
    };
    let d = read(&[]).unwrap();
    assert!(d.settings.malware_scanning, "on unless turned off");
    assert_eq!(d.settings.scan_plan_arn, None);
    assert_eq!(d.settings.scan_timeout, Duration::from_secs(900));
    assert_eq!(d.settings.unscannable_policy, UnscannablePolicy::Reject);
    // On without a plan: the function that applies results refuses to start; the others
    // do not require it.
    assert!(matches!(
        d.require(&["SCAN_PLAN_ARN"]),
        Err(InfraError::MissingEnv("SCAN_PLAN_ARN"))
    ));
    assert!(d.require(&[]).is_ok());
    let off = read(&[("MALWARE_SCANNING", " OFF "), ("SCAN_PLAN_ARN", "")]).unwrap();
    assert!(!off.settings.malware_scanning);
    assert!(off.require(&["SCAN_PLAN_ARN"]).is_ok());

    let on = read(&[
        ("MALWARE_SCANNING", "on"),
        ("SCAN_PLAN_ARN", ARN),
        ("SCAN_TIMEOUT_SECS", "120"),
        ("UNSCANNABLE_POLICY", "Hold"),
    ])
    .unwrap();
    assert!(on.require(&["SCAN_PLAN_ARN"]).is_ok());
    assert_eq!(on.settings.scan_plan_arn.as_deref(), Some(ARN));
    assert_eq!(on.settings.scan_timeout, Duration::from_secs(120));
    assert_eq!(on.settings.unscannable_policy, UnscannablePolicy::Hold);
    let back: HashMap<&str, String> = on.to_env().into_iter().collect();
    assert_eq!(back["MALWARE_SCANNING"], "on");
    assert_eq!(back["UNSCANNABLE_POLICY"], "hold");
    assert_eq!(Config::from_lookup(&|k| back.get(k).cloned()).unwrap(), on);
    let back: HashMap<&str, String> = off.to_env().into_iter().collect();
    assert_eq!(Config::from_lookup(&|k| back.get(k).cloned()).unwrap(), off);

    // The timeout within 1 s .. a day.
    let timeout = |v: &str| {
        read(&[("SCAN_TIMEOUT_SECS", v)])
            .unwrap()
            .settings
            .scan_timeout
    };
    assert_eq!(timeout("0"), Duration::from_secs(1));
    assert_eq!(timeout(&u64::MAX.to_string()), Duration::from_secs(86_400));

    // Anything else is an error that names the variable, never a guess.
    for (name, v) in [
        ("MALWARE_SCANNING", "yes"),
        ("MALWARE_SCANNING", "true"),
        ("UNSCANNABLE_POLICY", "accept"),
        ("SCAN_TIMEOUT_SECS", "soon"),
        ("SCAN_PLAN_ARN", "my-plan"),
    ] {
        match read(&[(name, v)]) {
            Err(InfraError::BadEnv { name: n, .. }) => assert_eq!(n, name, "{v}"),
            other => panic!("{name}={v}: {other:?}"),
        }
    }
}

#[test]
fn the_webhook_cap_is_read_refused_past_its_limit_and_off_at_zero() {
    let read = |v: &'static str| {
        Config::from_lookup(&move |k: &str| (k == "WEBHOOK_MAX_IN_FLIGHT").then(|| v.to_string()))
    };
    let default = Config::from_lookup(&|_| None).unwrap();
    assert_eq!(default.webhook_max_in_flight, MaxInFlight(2));
    assert_eq!(read("0").unwrap().webhook_max_in_flight, MaxInFlight(0));
    assert_eq!(read("10").unwrap().webhook_max_in_flight, MaxInFlight(10));
    assert!(matches!(
        read("11"),
        Err(InfraError::BadEnv {
            name: "WEBHOOK_MAX_IN_FLIGHT",
            ..
        })
    ));
    assert!(matches!(read("two"), Err(InfraError::BadEnv { .. })));
}
