//! End to end through the `dropgate` command-line client: `put --version-of` uploads a new
//! version and waits for its verdict, `versions` lists them with the current one, `restore`
//! makes an older one current again (without `--version`: the one before), and `get` follows.

use crate::common;
use crate::e2e_cli::{cli_binary, run, text};

use common::{LocalStack, PASSWORD};
use serde_json::Value;

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("JSON: {out:?}"))
}

fn current(v: &Value) -> Vec<(u64, bool)> {
    v["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| (v["n"].as_u64().unwrap(), v["current"].as_bool().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_put_listed_and_restored_from_the_cli() {
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-versions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-versions@example.com";
    stack.user(email).await;
    let login = [
        "--api",
        &stack.api,
        "login",
        "--email",
        email,
        "--password-stdin",
    ];
    let out = run(&bin, &config, &login, &format!("{PASSWORD}\n")).await;
    assert!(out.status.success(), "login: {out:?}");

    let first = dir.join("plan.txt");
    std::fs::write(&first, b"The plan, first draft.\n".repeat(20)).unwrap();
    let out = run(
        &bin,
        &config,
        &["put", "--json", first.to_str().unwrap()],
        "",
    )
    .await;
    assert!(out.status.success(), "put: {out:?}");
    let id = json_of(&out)["files"][0]["file"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let second = dir.join("plan-v2.txt");
    let v2 = b"The plan, second draft, longer.\n".repeat(30);
    std::fs::write(&second, &v2).unwrap();
    let out = run(
        &bin,
        &config,
        &[
            "put",
            "--json",
            "--version-of",
            &id,
            second.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert!(out.status.success(), "put --version-of: {out:?}");
    let put = json_of(&out);
    let file = &put["files"][0]["file"];
    assert_eq!(
        (&file["status"], &file["version"], &file["version_of"]),
        (
            &Value::from("accepted"),
            &Value::from(2),
            &Value::from(id.as_str())
        ),
        "{put}"
    );
    // One FILE only.
    let out = run(
        &bin,
        &config,
        &[
            "put",
            "--version-of",
            &id,
            first.to_str().unwrap(),
            second.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let out = run(&bin, &config, &["versions", &id, "--json"], "").await;
    assert!(out.status.success(), "versions: {out:?}");
    assert_eq!(current(&json_of(&out)), vec![(1, false), (2, true)]);
    let out = run(&bin, &config, &["versions", &id], "").await;
    let table = text(&out.stdout);
    assert!(
        table.contains("VERSION") && table.contains("accepted"),
        "{table}"
    );

    // Without --version: back to the one before.
    let out = run(&bin, &config, &["restore", &id, "--json"], "").await;
    assert!(out.status.success(), "restore: {out:?}");
    assert_eq!(current(&json_of(&out)), vec![(1, true), (2, false)]);
    let got = dir.join("got.txt");
    let out = run(
        &bin,
        &config,
        &["get", &id, "-o", got.to_str().unwrap()],
        "",
    )
    .await;
    assert!(out.status.success(), "get: {out:?}");
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&first).unwrap());

    let out = run(&bin, &config, &["restore", &id, "--version", "2"], "").await;
    assert!(out.status.success(), "restore --version 2: {out:?}");
    assert!(text(&out.stdout).contains("Version 2 of"), "{out:?}");
    let out = run(
        &bin,
        &config,
        &["get", &id, "-o", got.to_str().unwrap(), "--force"],
        "",
    )
    .await;
    assert!(out.status.success(), "get: {out:?}");
    assert_eq!(std::fs::read(&got).unwrap(), v2);
    // An unknown version is the server's word.
    let out = run(&bin, &config, &["restore", &id, "--version", "9"], "").await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
