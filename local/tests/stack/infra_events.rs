//! The EventBridge adapter against the emulator: a put of more entries than one call takes goes
//! through in batches, and a bus that refuses every entry (one that does not exist) fails the
//! put after its retries instead of losing the events.

use chrono::{TimeZone, Utc};
use dropgate_core::events::{EventBus, PUT_BATCH};
use dropgate_core::notify::{EventType, OutboxEntry};
use dropgate_core::{FileId, FileRecord, OwnerId};
use dropgate_infra::eventbridge::EventBridgeBus;

use crate::infra_adapters::env;

fn entries(n: usize) -> Vec<dropgate_core::events::Event> {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let f = FileRecord::pending(
                FileId::parse(&format!("f{i}")).unwrap(),
                OwnerId::parse("owner-1").unwrap(),
                "a.pdf".into(),
                1,
                "application/pdf".into(),
                at,
                std::time::Duration::from_secs(900),
            );
            OutboxEntry {
                id: OutboxEntry::key(at, &f, EventType::UploadAccepted),
                event: EventType::UploadAccepted,
                file: f,
                at,
                share: None,
            }
            .event()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bus_takes_batches_and_an_unknown_bus_fails_the_put() {
    let e = env().await;
    let bus = EventBridgeBus {
        client: e.clients.eventbridge().clone(),
        bus_name: e.r.event_bus_name.clone(),
    };
    bus.put(&entries(2 * PUT_BATCH + 3))
        .await
        .expect("the stack's bus takes them");
    bus.put(&[]).await.expect("nothing to put");
    let nowhere = EventBridgeBus {
        client: e.clients.eventbridge().clone(),
        bus_name: "no-such-bus".into(),
    };
    assert!(
        nowhere.put(&entries(2)).await.is_err(),
        "every entry refused: the put fails, the stream retries"
    );
}
