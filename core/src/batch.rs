//! Deciding a batch of messages by object: messages about one object one after another (each
//! sees what the previous one left), different objects concurrently. Two events for one object
//! in one batch (a multipart upload's) must never race: on a store whose transactions are not
//! isolated across threads, both would settle.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;

use futures_util::stream::{self, StreamExt};

use crate::files::PipelineLedger;
use crate::keys::{self, UploadKey};
use crate::{CoreError, FileRecord};

/// Objects of one batch decided at once. A batch is at most 10 messages (the event source's
/// batch size), each usually one object; the bound keeps a larger batch from opening more
/// connections than the SDK's pool holds.
pub const DECIDE_CONCURRENCY: usize = 16;

/// A batch's records, found from its messages' object keys: each key parsed (`None` for a key
/// that is no upload's), then one [`PipelineLedger::get_files`] for the distinct ones. The
/// lookup's failure is returned rather than raised so that only the messages needing a record
/// fail with it.
pub async fn fetch_records<'a>(
    ledger: &dyn PipelineLedger,
    keys: impl Iterator<Item = &'a str>,
) -> (
    Vec<Option<UploadKey>>,
    Result<HashMap<UploadKey, FileRecord>, CoreError>,
) {
    let parsed: Vec<Option<UploadKey>> = keys.map(keys::parse_upload_key).collect();
    let mut wanted: Vec<UploadKey> = parsed.iter().flatten().cloned().collect();
    wanted.sort();
    wanted.dedup();
    let records = if wanted.is_empty() {
        Ok(HashMap::new())
    } else {
        // Each record by the key it is stored under: an object under any other key (a
        // legacy-shaped key for a new file, or the reverse) is nobody's.
        ledger.get_files(&wanted).await.map(|files| {
            files
                .into_iter()
                .map(|f| (f.upload_key(), f))
                .collect::<HashMap<_, _>>()
        })
    };
    (parsed, records)
}

/// Groups the indices of `keys` by key, in order (each `None` alone), runs `run` on each group
/// (at most `concurrency` at a time) and returns every group's outputs in the order of `keys`.
/// `run` gets a group's indices and returns one output per index, in the same order.
pub async fn by_key<K, T, F, Fut>(keys: &[Option<K>], concurrency: usize, run: F) -> Vec<T>
where
    K: Hash + Eq,
    F: Fn(Vec<usize>) -> Fut,
    Fut: Future<Output = Vec<T>>,
{
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut slot: HashMap<&K, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        match k {
            Some(k) => {
                let g = *slot.entry(k).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[g].push(i);
            }
            None => groups.push(vec![i]),
        }
    }
    let runs = groups.into_iter().map(|idx| {
        let fut = run(idx.clone());
        async move { idx.into_iter().zip(fut.await).collect::<Vec<_>>() }
    });
    let mut done: Vec<(usize, T)> = stream::iter(runs)
        .buffer_unordered(concurrency.max(1))
        .flat_map(stream::iter)
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn one_key_in_order_and_results_in_input_order() {
        let keys = vec![Some("a"), Some("b"), None, Some("a"), Some("a")];
        let seen = Mutex::new(Vec::new());
        let out = by_key(&keys, 4, |idx: Vec<usize>| {
            let seen = &seen;
            async move {
                seen.lock().unwrap().push(idx.clone());
                idx.iter().map(|i| i * 10).collect::<Vec<_>>()
            }
        })
        .await;
        assert_eq!(out, vec![0, 10, 20, 30, 40]);
        let mut groups = seen.into_inner().unwrap();
        groups.sort();
        assert_eq!(groups, vec![vec![0, 3, 4], vec![1], vec![2]]);
    }
}
