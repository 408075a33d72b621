//! Bounded reads: a large object is decided from its first bytes only.

use std::sync::atomic::Ordering;

use dropgate_core::pipeline::Decision;
use dropgate_core::policy::Verdict;
use dropgate_core::sniff::SAMPLE_BYTES;

use crate::world::*;

#[tokio::test]
async fn a_large_object_is_decided_from_its_first_bytes_only() {
    let w = world();
    let size = 50 * 1024 * 1024;
    let up = uploaded(&w, "image/png", padded(&png(), size)).await;
    let d = decide(&w, &up.key).await;
    let Decision::Settled {
        verdict,
        sampled_bytes,
        stored_size,
        ..
    } = &d
    else {
        panic!("expected Settled, got {d:?}");
    };
    assert_eq!(*verdict, Verdict::Accepted);
    assert_eq!(*stored_size, size as u64);
    assert!(*sampled_bytes as u64 <= SAMPLE_BYTES);
    let read = w.store.bytes_read.load(Ordering::Relaxed);
    assert!(read <= 8 * 1024, "read {read} bytes");
    assert!(read > 0);
    assert_eq!(usage(&w).await, (size as u64, 0, 1));
}

#[tokio::test]
async fn a_large_text_file_cut_inside_a_character_is_still_text() {
    let w = world();
    // 'é' is two bytes; an odd prefix puts a character across the 8 KiB boundary.
    let mut text = b"x".to_vec();
    while text.len() < 20_000 {
        text.extend_from_slice("\u{e9}".as_bytes());
    }
    let up = uploaded(&w, "text/plain", text).await;
    let d = decide(&w, &up.key).await;
    assert!(
        matches!(
            &d,
            Decision::Settled {
                verdict: Verdict::Accepted,
                ..
            }
        ),
        "{d:?}"
    );
    assert!(w.store.bytes_read.load(Ordering::Relaxed) <= SAMPLE_BYTES);
}
