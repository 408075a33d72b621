//! Two-factor sign-in from the CLI on the local stack: `dropgate mfa enable` prints the secret
//! (a script reads it from `--json`), `mfa verify --code-stdin` turns it on, `login
//! --password-stdin --totp-stdin` takes the password then the code on two lines (a wrong code is
//! the API's `invalid_code`, nothing kept), and `mfa disable --code-stdin` turns it off.

use serde_json::Value;

use crate::common::{LocalStack, PASSWORD};
use crate::e2e_cli::{cli_binary, run, text};
use crate::totp::{code, other_than};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_turns_totp_on_logs_in_with_a_code_and_turns_it_off() {
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-totp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-totp@example.com";
    stack.user(email).await;
    let login = |stdin: String, totp: bool| {
        let (bin, config, api) = (bin.clone(), config.clone(), stack.api.clone());
        async move {
            let mut args = vec!["--api", &api, "login", "--email", email, "--password-stdin"];
            if totp {
                args.push("--totp-stdin");
            }
            run(&bin, &config, &args, &stdin).await
        }
    };
    let out = login(format!("{PASSWORD}\n"), false).await;
    assert!(out.status.success(), "login: {out:?}");

    let out = run(&bin, &config, &["--json", "mfa", "enable"], "").await;
    assert!(out.status.success(), "mfa enable: {out:?}");
    let enabled: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let secret = enabled["secret"].as_str().expect("secret").to_owned();
    assert_eq!(enabled["totp"], Value::Bool(false));
    assert!(
        enabled["otpauth_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/Dropgate:cli-totp@example.com?"))
    );
    let out = run(
        &bin,
        &config,
        &["mfa", "verify", "--code-stdin"],
        &format!("{}\n", code(&secret).await),
    )
    .await;
    assert!(out.status.success(), "mfa verify: {out:?}");

    // Without a code for the challenge, and no terminal: a usage error naming --totp-stdin.
    let out = login(format!("{PASSWORD}\n"), false).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("--totp-stdin"), "{out:?}");
    // A wrong code is the API's error.
    let c = code(&secret).await;
    let out = login(format!("{PASSWORD}\n{}\n", other_than(&c)), true).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("wrong"), "{out:?}");
    // The password's line, then the code's.
    let out = login(format!("{PASSWORD}\n{}\n", code(&secret).await), true).await;
    assert!(out.status.success(), "login with a code: {out:?}");
    let out = run(&bin, &config, &["quota"], "").await;
    assert!(out.status.success(), "quota: {out:?}");

    let out = run(
        &bin,
        &config,
        &["mfa", "disable", "--code-stdin"],
        &format!("{}\n", code(&secret).await),
    )
    .await;
    assert!(out.status.success(), "mfa disable: {out:?}");
    let out = login(format!("{PASSWORD}\n"), false).await;
    assert!(out.status.success(), "login without a code again: {out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
