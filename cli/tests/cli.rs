//! The `dropgate` binary driven against the in-process fake API and storage (tests/fake):
//! what a script sees (stdout, stderr, exit codes) and what the server sees (its request log).

mod fake;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fake::{Config, EMAIL, Fake, HANG, PASSWORD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const MIB: u64 = 1 << 20;

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let d = std::env::temp_dir().join(format!(
            "dropgate-cli-test-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(d.join("work")).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: String,
    raw_stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

struct Env {
    fake: Fake,
    dir: Dir,
}

impl Env {
    async fn new(config: Config) -> Env {
        Env {
            fake: Fake::start(config).await,
            dir: Dir::new(),
        }
    }

    async fn logged_in(config: Config) -> Env {
        let env = Env::new(config).await;
        let r = env.login().await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        env
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.0.join("config")
    }

    fn work(&self) -> PathBuf {
        self.dir.0.join("work")
    }

    /// A file of `len` bytes that differ from part to part.
    fn file(&self, name: &str, len: u64) -> PathBuf {
        let path = self.work().join(name);
        let bytes: Vec<u8> = (0..len).map(|i| (i * 31 + i / 4099) as u8).collect();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_in(&self.config_dir(), args)
    }

    fn command_in(&self, config: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dropgate"));
        c.args(args)
            .current_dir(self.work())
            .env("DROPGATE_CONFIG_DIR", config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for var in [
            "DROPGATE_API",
            "DROPGATE_EMAIL",
            "DROPGATE_PASSWORD",
            "http_proxy",
            "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "all_proxy",
        ] {
            c.env_remove(var);
        }
        c
    }

    async fn dg(&self, args: &[&str]) -> Run {
        finish(self.command(args).spawn().unwrap(), "").await
    }

    async fn login(&self) -> Run {
        let mut c = self.command(&[
            "login",
            "--api",
            &self.fake.base,
            "--email",
            EMAIL,
            "--password-stdin",
        ]);
        finish(c.spawn_ok(), &format!("{PASSWORD}\n")).await
    }

    fn states(&self) -> usize {
        std::fs::read_dir(self.config_dir().join("uploads"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

trait SpawnOk {
    fn spawn_ok(&mut self) -> Child;
}

impl SpawnOk for Command {
    fn spawn_ok(&mut self) -> Child {
        self.spawn().unwrap()
    }
}

async fn finish(mut child: Child, stdin: &str) -> Run {
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let t0 = std::time::Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command ends")
        .unwrap();
    if t0.elapsed() > Duration::from_secs(5) {
        eprintln!(
            "SLOW {:?}: {}",
            t0.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        raw_stdout: out.stdout,
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Reads the child's stderr until a line contains `needle`; the lines read.
async fn stderr_until(child: &mut Child, needle: &str) -> Vec<String> {
    let stderr = child.stderr.as_mut().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let hit = line.contains(needle);
            seen.push(line);
            if hit {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "no line with {needle:?} in {seen:#?}");
    seen
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn count(log: &[String], entry: &str) -> usize {
    log.iter().filter(|l| *l == entry).count()
}

#[tokio::test]
async fn login_put_ls_get_rm_logout() {
    let env = Env::new(Config::default()).await;
    let r = env.login().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        format!("Logged in to {} as {EMAIL}.", env.fake.base)
    );
    let session = env.config_dir().join("session.json");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&session), 0o600);
    assert_eq!(mode(&env.config_dir()), 0o700);

    env.file("hello.txt", 16);
    let r = env.dg(&["put", "hello.txt"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r.stdout.trim();
    assert!(
        line.starts_with("hello.txt: accepted (text/plain, 16 B), id file"),
        "{line}"
    );
    let id = line.rsplit(' ').next().unwrap().to_owned();
    assert!(
        r.stderr.contains("hello.txt: uploaded (16 B)"),
        "{}",
        r.stderr
    );
    assert_eq!(env.states(), 0, "no state left once complete");

    env.file("b.txt", 10);
    env.file("c.txt", 10);
    let r = env.dg(&["--json", "put", "b.txt", "c.txt"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    assert_eq!(v["files"][0]["method"], "put");
    assert_eq!(v["files"][0]["path"], "b.txt");
    assert_eq!(v["files"][0]["resumed"], false);
    assert_eq!(v["files"][1]["file"]["status"], "accepted");
    assert_eq!(v["files"][1]["file"]["name"], "c.txt");

    // Three files in pages of two: every page is read.
    let r = env.dg(&["ls", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["files"].as_array().unwrap().len(), 3);
    let r = env.dg(&["ls"]).await;
    assert!(r.stdout.starts_with("ID "), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 4);

    std::fs::remove_file(env.work().join("hello.txt")).unwrap();
    let r = env.dg(&["get", &id]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "Saved hello.txt (16 B).");
    let expected: Vec<u8> = (0..16u64).map(|i| (i * 31) as u8).collect();
    assert_eq!(
        std::fs::read(env.work().join("hello.txt")).unwrap(),
        expected
    );
    let r = env.dg(&["get", &id]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "error: hello.txt exists; pass --force to overwrite it."
    );
    let r = env.dg(&["get", &id, "--force", "-o", "copy.txt"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read(env.work().join("copy.txt")).unwrap(),
        expected
    );
    std::fs::create_dir(env.work().join("into")).unwrap();
    let r = env.dg(&["get", &id, "-o", "into"]).await;
    assert_eq!(r.stdout.trim(), "Saved into/hello.txt (16 B).");
    let r = env.dg(&["get", &id, "-o", "-"]).await;
    assert_eq!(r.raw_stdout, expected);
    assert_eq!(r.stderr.trim(), "hello.txt: downloaded (16 B)");
    // With --json, stdout still carries the bytes alone; the document goes to stderr.
    let r = env.dg(&["--json", "get", &id, "-o", "-"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.raw_stdout, expected);
    let doc = r
        .stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("JSON on stderr");
    let v: serde_json::Value = serde_json::from_str(doc).expect("JSON");
    assert_eq!(v["bytes"], 16);
    assert_eq!(v["path"], "-");
    let leftovers = std::fs::read_dir(env.work())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary file left behind");

    let r = env.dg(&["quota"]).await;
    assert_eq!(
        r.stdout.trim(),
        "36 B used and 0 B reserved of 1.0 GiB (0%), 3 files."
    );
    let r = env.dg(&["rm", &id]).await;
    // This server has no trash: the file is gone for good, and the answer says so.
    assert_eq!(r.stdout.trim(), format!("Deleted {id} for good."));
    let r = env.dg(&["rm", &id]).await;
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.trim(), format!("error: {id}: Not found."));

    let r = env.dg(&["logout"]).await;
    assert_eq!(r.stdout.trim(), "Logged out.");
    assert!(!session.exists());
    // The server was asked to revoke the session's refresh token.
    assert!(env.fake.state().refresh_dead);
    let r = env.dg(&["ls"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "error: Not logged in; run `dropgate login`."
    );

    // No secret ever reached the output.
    let log = env.fake.log();
    assert!(log.contains(&"PUT single".to_owned()));
}

#[tokio::test]
async fn logout_with_the_api_unreachable_still_forgets_the_session_and_says_so() {
    let env = Env::logged_in(Config::default()).await;
    let session = env.config_dir().join("session.json");
    let mut s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&session).unwrap()).unwrap();
    // Port 1 on loopback: nothing listens there.
    s["api"] = "http://127.0.0.1:1".into();
    std::fs::write(&session, s.to_string()).unwrap();

    let r = env.dg(&["logout", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), json!({"logged_out": true, "revoked": false}));
    assert!(
        r.stderr
            .starts_with("warning: the server did not end the session:"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("refresh-1"), "{}", r.stderr);
    assert!(!session.exists());
    assert!(!env.fake.state().refresh_dead);
}

#[tokio::test]
async fn logout_removes_a_session_file_that_does_not_parse() {
    let env = Env::logged_in(Config::default()).await;
    let session = env.config_dir().join("session.json");
    let text = std::fs::read_to_string(&session).unwrap();
    // Cut short: unreadable as a session, but its tokens are still on disk.
    std::fs::write(&session, &text[..text.len() / 2]).unwrap();
    let r = env.dg(&["logout", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), json!({"logged_out": false}));
    assert!(!session.exists());
}

#[tokio::test]
async fn multipart_streams_every_part_once_and_completes_with_their_etags() {
    let env = Env::logged_in(Config::default()).await;
    let path = env.file("big.bin", 5 * MIB + MIB / 2);
    let r = env
        .dg(&["put", "big.bin", "--json", "--parallel", "1"])
        .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let f = &v["files"][0];
    assert_eq!(f["method"], "multipart");
    assert_eq!(f["part_count"], 6);
    assert_eq!(f["parts_uploaded"], 6);
    assert_eq!(f["file"]["status"], "accepted");
    assert_eq!(f["file"]["size"], 5 * MIB + MIB / 2);
    // Plain progress lines, one per part, in order with one part at a time.
    assert!(
        r.stderr
            .contains("big.bin: part 3/6 uploaded (3.0 MiB of 5.5 MiB)\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("big.bin: part 6/6 uploaded (5.5 MiB of 5.5 MiB)\n")
    );

    let log = env.fake.log();
    for n in 1..=6 {
        assert_eq!(count(&log, &format!("PUT part {n}")), 1, "{log:#?}");
    }
    assert_eq!(count(&log, "POST complete"), 1);
    // The bytes S3 got are the file's, part by part.
    let bytes = std::fs::read(&path).unwrap();
    let expected: Vec<String> = bytes.chunks(MIB as usize).map(sha256_hex).collect();
    let state = env.fake.state();
    let file = state.files.values().next().unwrap();
    assert_eq!(file.assembled, expected);
    drop(state);
    assert_eq!(env.states(), 0);
}

#[tokio::test]
async fn a_part_failing_with_500_then_503_is_retried_then_succeeds() {
    let env = Env::logged_in(Config::default()).await;
    env.file("big.bin", 3 * MIB);
    env.fake.fail_part(2, &[500, 503]);
    let r = env.dg(&["put", "big.bin"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = env.fake.log();
    assert_eq!(count(&log, "PUT part 2"), 3, "{log:#?}");
    assert!(
        r.stderr
            .contains("big.bin: part 2: storage answered HTTP 500; trying again in "),
        "{}",
        r.stderr
    );
    assert_eq!(count(&log, "PUT part 1"), 1);
    assert!(r.stdout.starts_with("big.bin: accepted"), "{}", r.stdout);
}

#[tokio::test]
async fn a_403_from_storage_gets_a_new_url() {
    let env = Env::logged_in(Config::default()).await;
    env.file("big.bin", 3 * MIB);
    env.fake.fail_part(3, &[403]);
    let r = env.dg(&["put", "big.bin", "--parallel", "1"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = env.fake.log();
    assert_eq!(count(&log, "PUT part 3"), 2, "{log:#?}");
    let asked: Vec<&String> = log
        .iter()
        .filter(|l| {
            l.starts_with("POST parts") && l.split(' ').nth(2).unwrap().split(',').any(|n| n == "3")
        })
        .collect();
    assert_eq!(asked.len(), 2, "part 3's URL asked for twice: {log:#?}");
}

#[tokio::test]
async fn expired_urls_are_asked_for_again() {
    // The first batch of URLs (parts 1-4) expires once part 1 has landed.
    let env = Env::logged_in(Config {
        expire_urls_after_parts: Some(1),
        ..Config::default()
    })
    .await;
    env.file("big.bin", 6 * MIB);
    let r = env.dg(&["put", "big.bin", "--parallel", "1"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = env.fake.log();
    assert_eq!(count(&log, "PUT part 2"), 2, "{log:#?}");
    // One 403 drops every URL of its batch: the others are not tried with dead URLs.
    for n in [1, 3, 4, 5, 6] {
        assert_eq!(count(&log, &format!("PUT part {n}")), 1, "{log:#?}");
    }
    let asked: Vec<&str> = log
        .iter()
        .filter_map(|l| l.strip_prefix("POST parts "))
        .collect();
    assert_eq!(asked, ["1,2,3,4", "2,3,4,5", "6"]);
}

#[tokio::test]
async fn killed_mid_upload_it_resumes_with_only_the_missing_parts() {
    let env = Env::logged_in(Config::default()).await;
    env.file("big.bin", 5 * MIB + MIB / 2);
    env.fake.fail_part(4, &[HANG]);
    let mut child = env
        .command(&["put", "big.bin", "--parallel", "1"])
        .spawn_ok();
    stderr_until(&mut child, "big.bin: part 3/6 uploaded").await;
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    assert_eq!(env.states(), 1, "the state survives a kill");
    // Let the server see whatever the killed process had already sent, then forget it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    env.fake.fail_part(4, &[]);
    env.fake.clear_log();
    let r = env.dg(&["put", "big.bin", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("big.bin: resuming: 3 of 6 parts already uploaded (3.0 MiB of 5.5 MiB)"),
        "{}",
        r.stderr
    );
    let log = env.fake.log();
    assert_eq!(count(&log, "POST /files"), 0, "no new upload: {log:#?}");
    for n in 1..=3 {
        assert_eq!(count(&log, &format!("PUT part {n}")), 0, "{log:#?}");
    }
    for n in 4..=6 {
        assert_eq!(count(&log, &format!("PUT part {n}")), 1, "{log:#?}");
    }
    let v = r.json();
    assert_eq!(v["files"][0]["resumed"], true);
    assert_eq!(v["files"][0]["parts_uploaded"], 3);
    assert_eq!(v["files"][0]["file"]["status"], "accepted");
    assert_eq!(env.states(), 0);
}

#[tokio::test]
async fn ctrl_c_keeps_the_state_and_exits_130() {
    let env = Env::logged_in(Config::default()).await;
    env.file("big.bin", 3 * MIB);
    env.fake.fail_part(2, &[HANG]);
    let mut child = env
        .command(&["put", "big.bin", "--parallel", "1"])
        .spawn_ok();
    stderr_until(&mut child, "big.bin: part 1/3 uploaded").await;
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let r = finish(child, "").await;
    assert_eq!(r.code, 130);
    assert!(
        r.stderr
            .contains("error: interrupted; run the same command again to resume"),
        "{}",
        r.stderr
    );
    assert_eq!(env.states(), 1);
    // The hang may not have reached the server before the interrupt: not for the next run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    env.fake.fail_part(2, &[]);

    env.fake.clear_log();
    let r = env.dg(&["put", "big.bin"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = env.fake.log();
    assert_eq!(count(&log, "PUT part 1"), 0, "{log:#?}");
    assert_eq!(count(&log, "PUT part 2"), 1, "{log:#?}");
    assert!(r.stderr.contains("resuming: 1 of 3 parts"), "{}", r.stderr);
}

#[tokio::test]
async fn the_session_refreshes_once_and_a_dead_one_says_so() {
    let env = Env::logged_in(Config::default()).await;
    env.fake.rotate_id_token();
    let r = env.dg(&["ls"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(count(&env.fake.log(), "POST /auth/refresh"), 1);
    let r = env.dg(&["ls"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        count(&env.fake.log(), "POST /auth/refresh"),
        1,
        "the refreshed token was saved"
    );

    env.fake.rotate_id_token();
    env.fake.kill_refresh_token();
    let r = env.dg(&["ls"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "error: Your session has expired; run `dropgate login`."
    );
    let r = env.dg(&["--json", "quota"]).await;
    assert_eq!(r.json()["error"]["code"], "session_expired");
}

#[tokio::test]
async fn an_id_token_near_its_expiry_is_refreshed_before_use() {
    let env = Env::logged_in(Config {
        id_token_ttl: 30,
        ..Config::default()
    })
    .await;
    let r = env.dg(&["quota"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(count(&env.fake.log(), "POST /auth/refresh"), 1);
}

#[tokio::test]
async fn quota_exceeded_is_one_sentence_in_human_units() {
    let env = Env::logged_in(Config {
        quota_bytes: MIB,
        ..Config::default()
    })
    .await;
    env.file("big.bin", 2 * MIB);
    let r = env.dg(&["put", "big.bin"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "error: big.bin: Quota exceeded: this upload needs 2.0 MiB, and 0 B of your 1.0 MiB are used (0 B more reserved by uploads in progress)."
    );
    let r = env.dg(&["put", "big.bin", "--json"]).await;
    assert_eq!(r.code, 1);
    let e = &r.json()["files"][0]["error"];
    assert_eq!(e["code"], "quota_exceeded");
    assert_eq!(e["limit_bytes"], MIB);
    assert_eq!(e["requested_bytes"], 2 * MIB);
}

#[tokio::test]
async fn a_drop_larger_than_the_link_takes_is_said_to_the_uploader() {
    let env = Env::logged_in(Config {
        quota_bytes: MIB,
        ..Config::default()
    })
    .await;
    let r = env.dg(&["link", "create", "Returns"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let url = r.stdout.trim().to_owned();
    let stranger = env.dir.0.join("stranger");
    env.file("big.bin", 2 * MIB);
    let r = finish(
        env.command_in(&stranger, &["drop", &url, "big.bin"])
            .spawn_ok(),
        "",
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The owner's free space is the smallest limit: the page and the refusal both say it,
    // as what the link takes, never as anyone's quota.
    assert!(
        r.stderr
            .contains("This link can take files up to 1.0 MiB.\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("Allowed here: application/pdf, text/plain."),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("error: big.bin: This link can take files up to 1.0 MiB."),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.to_lowercase().contains("quota"), "{}", r.stderr);
}

#[tokio::test]
async fn a_rejected_file_exits_3() {
    let env = Env::logged_in(Config::default()).await;
    env.file("reject-me.txt", 100);
    env.file("fine.txt", 100);
    let r = env.dg(&["put", "fine.txt", "reject-me.txt"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("fine.txt: accepted"), "{lines:?}");
    assert!(
        lines[1].starts_with("reject-me.txt: rejected: type_not_allowed"),
        "{lines:?}"
    );

    // `get` says the file is not accepted before anything about the local file of its name.
    let id = lines[1].rsplit(' ').next().unwrap().to_owned();
    let r = env.dg(&["get", &id]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        "error: reject-me.txt: The file is not accepted (yet), so it cannot be downloaded."
    );
    let r = env.dg(&["--json", "get", &id]).await;
    assert_eq!(r.json()["error"]["code"], "not_ready");
    assert_eq!(r.json()["error"]["status"], "rejected");
}

#[tokio::test]
async fn no_wait_reports_pending_and_exits_0() {
    let env = Env::logged_in(Config {
        polls_before_verdict: 3,
        ..Config::default()
    })
    .await;
    env.file("a.txt", 10);
    let r = env.dg(&["put", "a.txt", "--wait", "0"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("a.txt: uploaded, verdict pending, id "),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn a_path_that_is_not_utf8_is_refused_before_anything_is_reserved() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::logged_in(Config::default()).await;
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.txt");
    std::fs::write(env.work().join(name), b"hi\n").unwrap();
    env.file("fine.txt", 10);
    let mut c = env.command(&["--json", "put", "fine.txt"]);
    c.arg(name);
    let r = finish(c.spawn_ok(), "").await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(doc["files"][0]["file"]["status"], "accepted");
    let bad = &doc["files"][1];
    assert_eq!(bad["path"], "bad\u{fffd}name.txt");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid UTF-8"),
        "{bad}"
    );
    assert_eq!(count(&env.fake.log(), "POST /files"), 1, "only fine.txt");
}

#[tokio::test]
async fn a_wait_too_long_for_the_clock_waits_for_the_verdict() {
    let env = Env::logged_in(Config::default()).await;
    env.file("a.txt", 10);
    let r = env
        .dg(&["put", "a.txt", "--wait", &u64::MAX.to_string()])
        .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("a.txt: accepted"), "{}", r.stdout);
}

#[tokio::test]
async fn drop_through_a_link_needs_no_account() {
    let env = Env::logged_in(Config::default()).await;
    let r = env
        .dg(&[
            "link",
            "create",
            "Tax documents",
            "--max-uploads",
            "3",
            "--types",
            "application/pdf,text/plain",
            "--require-name",
        ])
        .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let url = r.stdout.trim().to_owned();
    assert!(
        url.starts_with(&format!("{}/d/Tok", env.fake.base)),
        "{url}"
    );
    assert_eq!(r.stdout.lines().count(), 1, "only the URL on stdout");
    let created = env
        .fake
        .log()
        .into_iter()
        .find(|l| l.starts_with("POST /links"))
        .unwrap();
    assert!(
        created.contains(r#""allowed_types":["application/pdf","text/plain"]"#),
        "{created}"
    );
    assert!(
        created.contains(r#""require_uploader_name":true"#),
        "{created}"
    );

    // A stranger: another config dir, never logged in.
    let stranger = env.dir.0.join("stranger");
    env.file("return.txt", 1000);
    env.file("scan.txt", 2 * MIB + 7);
    let run = |args: &[&str]| finish(env.command_in(&stranger, args).spawn_ok(), "");
    let r = run(&["drop", &url, "return.txt"]).await;
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "error: This link asks for your name: pass --name NAME."
    );
    let r = run(&[
        "drop",
        &url,
        "return.txt",
        "scan.txt",
        "--name",
        "Bea",
        "--email",
        "bea@example.com",
        "--note",
        "Signed, see page 2",
    ])
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Dropping into \u{201c}Tax documents\u{201d} (3 uploads left).")
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "return.txt: accepted (text/plain, 1000 B)",
            "scan.txt: accepted (text/plain, 2.0 MiB)"
        ]
    );
    assert!(
        r.stderr.contains("scan.txt: part 3/3 uploaded")
            || r.stderr.contains("scan.txt: part 1/3 uploaded")
    );
    {
        let s = env.fake.state();
        let dropped: Vec<&fake::FakeFile> = s.files.values().collect();
        assert_eq!(dropped.len(), 2);
        assert_eq!(dropped[0].uploader["name"], "Bea");
        assert!(
            dropped
                .iter()
                .all(|f| f.uploader["note"] == "Signed, see page 2"),
            "the note goes with every file"
        );
        assert!(dropped.iter().all(|f| f.via_link.is_some()));
    }

    let r = env.dg(&["link", "ls", "--json"]).await;
    let links = r.json()["links"].clone();
    assert_eq!(links[0]["uploads_used"], 2);
    let id = links[0]["id"].as_str().unwrap().to_owned();
    let r = env.dg(&["link", "revoke", &id]).await;
    assert_eq!(r.stdout.trim(), format!("Revoked {id}."));
    let r = run(&["drop", &url, "return.txt", "--name", "Bea"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "error: This upload link was revoked by its owner."
    );
    assert!(!stranger.join("session.json").exists());
}

#[tokio::test]
async fn errors_are_sentences_without_secrets() {
    let env = Env::new(Config::default()).await;
    let r = finish(
        env.command(&[
            "login",
            "--api",
            &env.fake.base,
            "--email",
            EMAIL,
            "--password-stdin",
        ])
        .spawn_ok(),
        "wrong\n",
    )
    .await;
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.trim(), "error: Wrong email or password.");

    let r = finish(
        env.command(&[
            "login",
            "--api",
            "http://127.0.0.1:1",
            "--email",
            EMAIL,
            "--password-stdin",
        ])
        .spawn_ok(),
        "x\n",
    )
    .await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "error: Cannot reach the API at http://127.0.0.1:1 (connection refused)."
    );

    // Not a terminal and nothing given: a usage error, no prompt.
    let r = env.dg(&["login", "--api", &env.fake.base]).await;
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "error: Missing an email: pass --email EMAIL or set DROPGATE_EMAIL."
    );

    // Environment variables log in as well as flags.
    let r = finish(
        env.command(&["login", "--json"])
            .env("DROPGATE_API", &env.fake.base)
            .env("DROPGATE_EMAIL", EMAIL)
            .env("DROPGATE_PASSWORD", PASSWORD)
            .spawn_ok(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["email"], EMAIL);

    // Big uploads and their URLs: nothing secret on either stream.
    env.file("big.bin", 2 * MIB + 1);
    let r = env.dg(&["put", "big.bin", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    for secret in ["Signature", "secret", "id-1", "refresh-1", PASSWORD] {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "{secret}"
        );
    }

    let r = env.dg(&["put", "missing.bin"]).await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: missing.bin: "), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("missing.bin").count(),
        1,
        "the missing file is named once: {}",
        r.stderr
    );
    let r = env.dg(&["frobnicate"]).await;
    assert_eq!(r.code, 2);
}

/// Peak memory (VmHWM) of a 200 MiB upload in 8 MiB parts, 4 at a time.
#[tokio::test]
async fn memory_stays_bounded_whatever_the_file_size() {
    let env = Env::logged_in(Config {
        single_put_max: 100 * MIB,
        part_size: 8 * MIB,
        hash: false,
        ..Config::default()
    })
    .await;
    let path = env.work().join("big.bin");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(200 * MIB)
        .unwrap();
    let child = env
        .command(&["put", "big.bin", "--parallel", "4"])
        .spawn_ok();
    let pid = child.id().unwrap();
    let status = format!("/proc/{pid}/status");
    let watcher = tokio::spawn(async move {
        let mut peak_kib = 0u64;
        while let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peak_kib
    });
    let r = finish(child, "").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let peak_kib = watcher.await.unwrap();
    assert!(peak_kib > 0);
    assert!(peak_kib < 64 * 1024, "peak {peak_kib} KiB");
    let parts = r
        .stderr
        .lines()
        .filter(|l| l.contains(" uploaded ("))
        .count();
    assert_eq!(parts, 25, "{}", r.stderr);
    assert!(
        r.stderr.contains("(200.0 MiB of 200.0 MiB)"),
        "{}",
        r.stderr
    );
    eprintln!("peak memory: {} KiB", peak_kib);
}

/// Starts `put`, waits for `needle` on its stderr, then kills it (SIGKILL) and lets the server
/// see whatever it had sent.
async fn put_killed_after(env: &Env, args: &[&str], needle: &str) {
    let mut child = env.command(args).spawn_ok();
    stderr_until(&mut child, needle).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.states(), 1, "the state survives a kill");
}

#[tokio::test]
async fn an_interrupted_single_put_starts_over_and_frees_the_old_reservation() {
    let env = Env::logged_in(Config::default()).await;
    env.file("a.txt", 1000);
    env.fake.fail_part(0, &[HANG]);
    let mut child = env.command(&["put", "a.txt"]).spawn_ok();
    for _ in 0..200 {
        if env.fake.log().iter().any(|l| l == "PUT single") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    assert_eq!(env.states(), 1);
    let old = env.fake.state().files.keys().next().unwrap().clone();

    env.fake.clear_log();
    let r = env.dg(&["put", "a.txt"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("a.txt: the earlier upload did not finish; starting over"),
        "{}",
        r.stderr
    );
    let log = env.fake.log();
    assert_eq!(
        log,
        [
            format!("DELETE /files/{old}"),
            "POST /files".into(),
            "PUT single".into()
        ]
    );
    assert_eq!(env.states(), 0);
}

#[tokio::test]
async fn a_resumable_upload_the_server_forgot_starts_over() {
    let env = Env::logged_in(Config::default()).await;
    env.file("big.bin", 3 * MIB);
    env.fake.fail_part(2, &[HANG]);
    put_killed_after(&env, &["put", "big.bin", "--parallel", "1"], "part 1/3").await;
    env.fake.state().files.clear();
    env.fake.fail_part(2, &[]);
    env.fake.clear_log();
    let r = env.dg(&["put", "big.bin", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("big.bin: the earlier upload is gone; starting over"),
        "{}",
        r.stderr
    );
    let log = env.fake.log();
    assert_eq!(count(&log, "POST /files"), 1, "{log:#?}");
    assert_eq!(count(&log, "PUT part 1"), 1, "{log:#?}");
    assert_eq!(r.json()["files"][0]["resumed"], false);
}

/// Kills a 3-part upload of `big.bin` after its second part, then, as if the upload had
/// completed and reached `status` before its state could be removed, runs it again; returns
/// that run's JSON, which must report a resume that sent no part.
async fn resumed_after_kill_as(env: &Env, status: &str) -> Value {
    env.file("big.bin", 3 * MIB);
    env.fake.fail_part(3, &[HANG]);
    put_killed_after(env, &["put", "big.bin", "--parallel", "1"], "part 2/3").await;
    {
        let mut s = env.fake.state();
        let f = s.files.values_mut().next().unwrap();
        f.multipart = None;
        f.received = true;
        f.status = status.into();
    }
    env.fake.clear_log();
    let r = env.dg(&["put", "big.bin", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["files"][0]["resumed"], true);
    assert_eq!(v["files"][0]["parts_uploaded"], 0);
    v
}

#[tokio::test]
async fn an_upload_judged_after_the_kill_is_reported_not_sent_again() {
    let env = Env::logged_in(Config::default()).await;
    let v = resumed_after_kill_as(&env, "accepted").await;
    assert_eq!(v["files"][0]["file"]["status"], "accepted");
    assert!(
        env.fake.log().iter().all(|l| !l.starts_with("PUT")),
        "{:?}",
        env.fake.log()
    );
    assert_eq!(env.states(), 0);
}

#[tokio::test]
async fn put_waits_through_the_scan_and_malware_exits_3_naming_the_threat() {
    let env = Env::logged_in(Config::default()).await;
    env.file("fine.txt", 100);
    env.file("eicar.txt", 68);
    let r = env.dg(&["put", "fine.txt", "eicar.txt"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("fine.txt: accepted (text/plain, 100 B), id "),
        "{lines:?}"
    );
    assert!(
        lines[1]
            .starts_with("eicar.txt: rejected: malware_found (threat: Eicar-Test-Signature), id "),
        "{lines:?}"
    );
    // The wait says what it waits for, once per stage.
    assert_eq!(
        r.stderr.matches("eicar.txt: scanning for malware").count(),
        1,
        "{}",
        r.stderr
    );

    let r = env.dg(&["ls"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("ID "), "{}", r.stdout);
    let row = |name: &str| {
        r.stdout
            .lines()
            .find(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {}", r.stdout))
            .to_owned()
    };
    assert!(row("fine.txt").contains("  accepted  "), "{}", r.stdout);
    assert!(row("fine.txt").contains("  clean  "), "{}", r.stdout);
    assert!(
        row("eicar.txt").contains("rejected (malware_found)  infected (Eicar-Test-Signature)"),
        "{}",
        r.stdout
    );
    let r = env.dg(&["ls", "--json"]).await;
    let files = r.json()["files"].clone();
    let eicar = files
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "eicar.txt")
        .unwrap()
        .clone();
    assert_eq!(eicar["scan"]["threats"], json!(["Eicar-Test-Signature"]));
}

#[tokio::test]
async fn a_held_file_exits_4_and_a_rejection_wins_over_it() {
    let env = Env::logged_in(Config::default()).await;
    env.file("unscannable.zip", 50);
    let r = env.dg(&["put", "unscannable.zip"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("unscannable.zip: held for review (scan: unsupported), id "),
        "{}",
        r.stdout
    );
    env.file("unscannable2.zip", 50);
    env.file("eicar.com", 68);
    let r = env
        .dg(&["--json", "put", "unscannable2.zip", "eicar.com"])
        .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["files"][0]["file"]["status"], "held");
    assert_eq!(v["files"][1]["file"]["reason"], "malware_found");
    assert!(
        v["files"][1].get("error").is_none(),
        "a verdict, not an error"
    );
}

#[tokio::test]
async fn without_waiting_a_scanning_file_says_so_and_exits_0() {
    let env = Env::logged_in(Config::default()).await;
    env.file("a.txt", 10);
    // The fake passes the type on the first read: the file is scanning then.
    let r = env.dg(&["put", "a.txt", "--wait", "0"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("a.txt: uploaded, scanning for malware, id "),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn with_scanning_off_an_accepted_file_says_it_was_not_scanned() {
    let env = Env::logged_in(Config {
        scanning: false,
        ..Config::default()
    })
    .await;
    env.file("a.txt", 10);
    let r = env.dg(&["put", "a.txt"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("a.txt: accepted (text/plain, 10 B, not scanned for malware), id "),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("scanning"), "{}", r.stderr);
}

#[tokio::test]
async fn a_dropper_learns_only_that_malware_was_refused_for_safety() {
    let env = Env::logged_in(Config::default()).await;
    let r = env.dg(&["link", "create", "Inbox"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let url = r.stdout.trim().to_owned();
    let stranger = env.dir.0.join("stranger");
    env.file("eicar.txt", 68);
    env.file("ok.txt", 20);
    let run = |args: &[&str]| finish(env.command_in(&stranger, args).spawn_ok(), "");
    let r = run(&["drop", &url, "ok.txt", "eicar.txt"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "ok.txt: accepted (text/plain, 20 B)",
            "eicar.txt: refused for safety"
        ]
    );
    assert!(
        r.stderr.contains("eicar.txt: scanning for malware"),
        "{}",
        r.stderr
    );
    let r = run(&["--json", "drop", &url, "eicar.txt"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.json()["files"][0]["file"]["reason"], "refused_for_safety");
    assert!(
        !format!("{}{}", r.stdout, r.stderr).contains("Eicar-Test"),
        "no threat name for a stranger: {}{}",
        r.stdout,
        r.stderr
    );
}

#[tokio::test]
async fn an_upload_scanning_after_the_kill_is_waited_for_not_sent_again() {
    // The resumed run's first read finds the file still scanning.
    let env = Env::logged_in(Config {
        scan_reads: 1,
        ..Config::default()
    })
    .await;
    let v = resumed_after_kill_as(&env, "scanning").await;
    assert_eq!(v["files"][0]["file"]["status"], "accepted");
    assert_eq!(v["files"][0]["file"]["scan"]["status"], "clean");
    assert!(
        env.fake.log().iter().all(|l| !l.starts_with("PUT")),
        "{:?}",
        env.fake.log()
    );
    assert_eq!(count(&env.fake.log(), "POST /files"), 0);
    assert_eq!(env.states(), 0);
}

#[tokio::test]
async fn a_scan_that_does_not_answer_within_the_wait_is_no_verdict() {
    let env = Env::logged_in(Config {
        scan_reads: u32::MAX,
        ..Config::default()
    })
    .await;
    env.file("slow.txt", 10);
    let r = env.dg(&["--json", "put", "slow.txt", "--wait", "1"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "error: slow.txt: no verdict after 1 s (still scanning); see `dropgate ls` later."
        ),
        "{}",
        r.stderr
    );
    let v = r.json();
    assert_eq!(v["files"][0]["file"]["status"], "scanning");
    assert_eq!(v["files"][0]["file"]["scan"]["status"], "pending");
    assert_eq!(v["files"][0]["error"]["code"], "no_verdict");
}
