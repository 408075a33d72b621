//! The web client in headless Chromium (Debian's package), driven by playwright-core: the
//! browser suite in `web/tests/*.test.mjs` runs against a stack of its own, and the malware
//! gate's pages (`web/tests/scan.gate.mjs`) against one whose scanner answers late, and the
//! trash's (`web/tests/trash.gate.mjs`) against one whose trash is on. Chromium and
//! playwright-core are installed by scripts/test.sh (apt-get, `npm ci` with the committed lockfile); a machine
//! without them fails here with what to install, it never skips.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::LocalStack;

/// The whole suite takes about 70 s on an idle machine (some 30 s of it the uploads in parts, two
/// of which wait out a part's retries); CI's is shared, and beside builds it took over 360 s.
const SUITE_LIMIT: Duration = Duration::from_secs(900);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What the browser tests need: playwright-core and Chromium.
fn browser_tools(tests: &Path) {
    assert!(
        tests.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `npm ci --prefix web/tests` (scripts/test.sh does)"
    );
    assert!(
        chromium().is_file(),
        "Chromium is missing at {}: `apt-get install -y chromium` (scripts/test.sh does), or set CHROMIUM",
        chromium().display()
    );
}

/// Runs `files` with node's test runner against `stack`, one at a time, within `limit`; their
/// output.
async fn run_browser_tests(
    stack: &LocalStack,
    tests: &Path,
    files: &[PathBuf],
    shots: &Path,
    limit: Duration,
) -> String {
    let run = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        .args(files)
        .current_dir(tests)
        .env("DROPGATE_API", stack.url(""))
        .env("DROPGATE_SCREENSHOTS", shots)
        .env("CHROMIUM", chromium())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| panic!("the browser tests took over {limit:?}"))
        .expect("node runs (Node.js 20 or newer)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser tests failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_suite_passes_in_headless_chromium() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&tests)
        .expect("web/tests")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "the browser tests are there: {files:?}");

    // Files over 1 MiB go in parts (web/tests/multipart.test.mjs); the other tests' files are
    // a few hundred bytes and keep the single PUT. Webhooks may reach a receiver the test runs
    // on 127.0.0.1 (web/tests/webhooks.test.mjs).
    let stack = LocalStack::start_with_args(
        &["--allow-loopback-webhooks"],
        &[("SINGLE_PUT_MAX_BYTES", "1048576")],
    )
    .await;
    let shots = root.join("target/screenshots");
    run_browser_tests(&stack, &tests, &files, &shots, SUITE_LIMIT).await;
    // Every page at 360 px and on a desktop, light and dark.
    for page in ["login", "app", "drop", "share", "notfound"] {
        for size in ["phone", "desktop"] {
            for scheme in ["", "-dark"] {
                let shot = shots.join(format!("{page}-{size}{scheme}.png"));
                assert!(shot.is_file(), "screenshot {}", shot.display());
            }
        }
    }
}

/// The malware gate in the browser: a clean file shows its scan, then its verdict; EICAR is
/// refused, named to the owner only. The scanner answers 4 s late, so the wait is on screen
/// for more than two of the pages' polls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_malware_gate_shows_in_the_browser() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let stack = LocalStack::start_with_args(&["--scanner-faults", "delay_ms=4000"], &[]).await;
    assert_eq!(
        stack.ready["resources"]["scanner"], "clamd",
        "{}",
        stack.ready
    );
    let files = [tests.join("scan.gate.mjs")];
    let shots = root.join("target/screenshots");
    let out = run_browser_tests(&stack, &tests, &files, &shots, Duration::from_secs(180)).await;
    assert!(out.contains("# pass 2"), "{out}");
}

/// What a link takes, in the browser: a stack whose quota (4000 bytes) is an owner's smallest
/// limit, so the drop page's largest file is the owner's free space and a larger file is refused
/// in words for the uploader; everyday files (Word, HEIC, unknown bytes) pass the scanner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_links_limits_and_everyday_files_show_in_the_browser() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let stack = LocalStack::start_with(&[("QUOTA_BYTES", "4000")]).await;
    let files = [tests.join("limits.gate.mjs")];
    let shots = root.join("target/screenshots");
    let out = run_browser_tests(&stack, &tests, &files, &shots, Duration::from_secs(180)).await;
    assert!(out.contains("# pass 1"), "{out}");
}

/// The trash in the browser, on a stack that keeps deleted files 7 days (the main suite's stack
/// deletes at once): delete, restore, delete forever, at 360 px and on a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trash_shows_in_the_browser() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let stack = LocalStack::start_with(&[("TRASH_DAYS", "7")]).await;
    let files = [tests.join("trash.gate.mjs")];
    let shots = root.join("target/screenshots");
    let out = run_browser_tests(&stack, &tests, &files, &shots, Duration::from_secs(180)).await;
    assert!(out.contains("# pass 2"), "{out}");
}

/// A file's versions in the browser: a new version uploaded from the file's dialog, current
/// once accepted, an older one restored, each downloading its own bytes; a 2 MiB one in parts
/// (the stack sends everything over 1 MiB in parts) with progress, Cancel and an error, at
/// 360 px and on a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_show_in_the_browser() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let stack = LocalStack::start_with(&[("SINGLE_PUT_MAX_BYTES", "1048576")]).await;
    let files = [tests.join("versions.gate.mjs")];
    let shots = root.join("target/screenshots");
    let out = run_browser_tests(&stack, &tests, &files, &shots, Duration::from_secs(400)).await;
    assert!(out.contains("# pass 4"), "{out}");
}

/// The operator console in the browser, on a stack that makes `console-admin@example.com` an
/// admin at start (web/tests/admin.gate.mjs holds the same address and password) and holds
/// every file for review (its scanner judges nothing): refused to others, then users, quota,
/// kill switch, review, links and the audit export, at 360 px and on a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_the_browser() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let stack = LocalStack::start_with_args(
        &[
            "--admin",
            "console-admin@example.com",
            "--scanner-faults",
            "unsupported=1",
        ],
        &[
            ("DROPGATE_LOCAL_ADMIN_PASSWORD", "Console1admin"),
            ("UNSCANNABLE_POLICY", "hold"),
        ],
    )
    .await;
    let files = [tests.join("admin.gate.mjs")];
    let shots = root.join("target/screenshots");
    let out = run_browser_tests(&stack, &tests, &files, &shots, Duration::from_secs(600)).await;
    // The gate and the log-in page, two sizes of the console, and erasure behind a typed email.
    assert!(out.contains("# pass 5"), "{out}");
}

/// Legal holds in the browser, on the console's stack: an admin holds a client's file with a
/// reason, the client sees "Legal hold" (not why) and cannot delete it, the hold is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legal_holds_show_in_the_browser() {
    let root = root();
    let tests = root.join("web/tests");
    browser_tools(&tests);
    let stack = LocalStack::start_with_args(
        &[
            "--admin",
            "console-admin@example.com",
            "--scanner-faults",
            "unsupported=1",
        ],
        &[
            ("DROPGATE_LOCAL_ADMIN_PASSWORD", "Console1admin"),
            ("UNSCANNABLE_POLICY", "hold"),
        ],
    )
    .await;
    let files = [tests.join("hold.gate.mjs")];
    let shots = root.join("target/screenshots");
    let out = run_browser_tests(&stack, &tests, &files, &shots, Duration::from_secs(300)).await;
    assert!(out.contains("# pass 1"), "{out}");
}
