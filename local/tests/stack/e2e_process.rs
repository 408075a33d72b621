//! The `dropgate-local` process itself: joining a running emulator, and stopping cleanly
//! (with the emulator it started) on SIGTERM and SIGINT.

use std::process::Stdio;
use std::time::Duration;

use dropgate_local::emulator::{Emulator, project_root};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

async fn spawn(extra: &[&str]) -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(180), lines.next_line())
        .await
        .expect("ready in time")
        .unwrap()
        .expect("a ready line");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, serde_json::from_str(&line).expect("JSON ready line"))
}

async fn reachable(url: &str) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    client.get(url).send().await.is_ok()
}

async fn signal_and_wait(child: &mut Child, signal: &str) {
    let pid = child.id().expect("pid").to_string();
    let status = Command::new("kill")
        .args([signal, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("stops within 30 s")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_sigint_stop_the_stack_and_its_emulator() {
    for signal in ["-TERM", "-INT"] {
        let (mut child, ready) = spawn(&[]).await;
        let api = ready["api"].as_str().unwrap().to_owned();
        let aws = ready["aws_endpoint"].as_str().unwrap().to_owned();
        assert!(reachable(&format!("{api}/health")).await);
        assert!(reachable(&format!("{aws}/moto-api/data.json")).await);
        signal_and_wait(&mut child, signal).await;
        let mut gone = false;
        for _ in 0..50 {
            if !reachable(&format!("{aws}/moto-api/data.json")).await {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(gone, "the emulator outlived the stack after {signal}");
        assert!(!reachable(&format!("{api}/health")).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_a_running_emulator_and_leaves_it_running() {
    let emulator = Emulator::start(&project_root()).await.expect("emulator");
    let (mut child, ready) = spawn(&["--aws-endpoint", &emulator.endpoint]).await;
    assert_eq!(ready["aws_endpoint"], emulator.endpoint.as_str());
    let api = ready["api"].as_str().unwrap();
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{api}/auth/signup"))
        .json(&serde_json::json!({"email": "ada@example.com", "password": "Correct1horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    signal_and_wait(&mut child, "-TERM").await;
    assert!(
        reachable(&format!("{}/moto-api/data.json", emulator.endpoint)).await,
        "not ours to stop"
    );
    // A second stack on the same emulator finds everything provisioned, and the account.
    let (_child, again) = spawn(&["--aws-endpoint", &emulator.endpoint]).await;
    assert_eq!(
        again["resources"]["user_pool_id"],
        ready["resources"]["user_pool_id"]
    );
    let r = client
        .post(format!("{}/auth/login", again["api"].as_str().unwrap()))
        .json(&serde_json::json!({"email": "ada@example.com", "password": "Correct1horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Sends `signal` to a process by id.
async fn kill(signal: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .await
        .expect("kill");
    assert!(ok.success(), "kill {signal} {pid}");
}

#[tokio::test]
async fn a_frozen_emulator_gets_503_unavailable_fast_then_service_resumes() {
    let emulator = Emulator::start(&project_root()).await.expect("emulator");
    let pid = emulator.pid().expect("emulator pid");
    let (_child, ready) = spawn(&["--aws-endpoint", &emulator.endpoint]).await;
    let api = ready["api"].as_str().unwrap().to_owned();
    // No client-side timeout short of the bound: the server must answer by itself.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let creds = serde_json::json!({"email": "ida@example.com", "password": "Correct1horse"});
    let r = client
        .post(format!("{api}/auth/signup"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let tokens: serde_json::Value = client
        .post(format!("{api}/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", tokens["id_token"].as_str().unwrap());
    let quota = || {
        client
            .get(format!("{api}/quota"))
            .header("authorization", &bearer)
            .send()
    };
    assert_eq!(quota().await.unwrap().status().as_u16(), 200);

    kill("-STOP", pid).await;
    let asked = std::time::Instant::now();
    let frozen = quota().await;
    let waited = asked.elapsed();
    kill("-CONT", pid).await;
    println!("FROZEN answered after {:.1} s", waited.as_secs_f64());
    let frozen = frozen.expect("an answer while AWS is frozen, not a hang");
    assert_eq!(frozen.status().as_u16(), 503);
    let body: serde_json::Value = frozen.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    // Health needs no AWS and never waits on it.
    let h = client.get(format!("{api}/health")).send().await.unwrap();
    assert_eq!(h.status().as_u16(), 200);
    // Thawed: served again (bounded retries while the emulator catches up).
    let mut status = 0;
    for _ in 0..20 {
        status = quota().await.unwrap().status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(status, 200);
    emulator.stop().await;
}
