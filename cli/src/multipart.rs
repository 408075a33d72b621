//! Sends the parts of a multipart upload that storage does not hold yet, `parallel` at a time,
//! then completes it. Part URLs live at most 15 minutes, so they are asked for just before use,
//! a few at a time, and asked for again when storage answers 403.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::try_join_all;

use crate::api::Api;
use crate::endpoints::{Completion, Target, completion_list, etags_of};
use crate::error::{CliError, Result};
use crate::plan::Layout;
use crate::progress::FileBar;
use crate::resume::{FileKey, ensure_unchanged};
use crate::retry;
use crate::storage::{self, Next};
use crate::units::bytes;
use crate::wire::ListedPart;

/// A URL older than this is asked for again before use (they live at most 15 minutes).
const URL_FRESH: Duration = Duration::from_secs(10 * 60);
/// Fresh URLs after a 403 before the part is given up.
const MAX_NEW_URLS: u32 = 3;
/// Completions refused as incomplete before the upload is given up.
const MAX_ROUNDS: u32 = 3;

pub struct Multipart<'a> {
    pub api: &'a Api,
    pub path: &'a Path,
    pub key: &'a FileKey,
    pub target: &'a Target,
    pub layout: Layout,
    pub parallel: usize,
    pub bar: &'a FileBar,
}

impl Multipart<'_> {
    /// Sends what `listed` lacks and completes; the number of parts this run sent.
    pub async fn run(&self, mut listed: Vec<ListedPart>) -> Result<u32> {
        let count = self.layout.part_count();
        let mut etags: BTreeMap<u32, String> =
            etags_of(self.layout.good(&listed)).into_iter().collect();
        if !etags.is_empty() {
            let have = self.layout.bytes_of(etags.keys().copied());
            self.bar.say(&format!(
                "resuming: {} of {count} parts already uploaded ({} of {})",
                etags.len(),
                bytes(have),
                bytes(self.layout.size())
            ));
        }
        let mut sent = 0;
        let mut round = 0;
        loop {
            let todo = self.layout.missing(&listed);
            let have = self.layout.bytes_of(etags.keys().copied());
            self.bar.start_at(have);
            for (n, etag) in self.send(&todo, have).await? {
                etags.insert(n, etag);
                sent += 1;
            }
            ensure_unchanged(self.path, self.key)?;
            let again = match self
                .api
                .complete(self.target, &completion_list(&etags))
                .await?
            {
                Completion::Done => {
                    self.bar.note("all parts uploaded");
                    return Ok(sent);
                }
                Completion::Incomplete(again) => again,
            };
            round += 1;
            if round >= MAX_ROUNDS {
                return Err(CliError::Incomplete {
                    name: self.bar.name().to_owned(),
                    message: format!("storage still lacks parts {again:?}; run the command again"),
                });
            }
            // Storage's own listing decides what to send again (and which etags to name).
            match self.api.list_parts(self.target).await? {
                Some(listing) => {
                    listed = listing.parts;
                    etags = etags_of(self.layout.good(&listed)).into_iter().collect();
                }
                // Completed meanwhile (by another run of the same command).
                None => return Ok(sent),
            }
        }
    }

    /// Sends the parts `todo`, `parallel` at a time; their etags. The first part that fails
    /// for good stops the others.
    async fn send(&self, todo: &[u32], have: u64) -> Result<Vec<(u32, String)>> {
        let queue = Mutex::new(todo.iter().copied().collect::<VecDeque<u32>>());
        let urls = UrlPool::new((self.parallel * 2).clamp(4, 100));
        let done = AtomicU64::new(have);
        let results = Mutex::new(Vec::with_capacity(todo.len()));
        let worker = || async {
            loop {
                let Some(n) = queue.lock().expect("queue").pop_front() else {
                    return Ok::<(), CliError>(());
                };
                let etag = self.send_part(n, &urls, &queue).await?;
                let len = self.layout.len(n);
                let so_far = done.fetch_add(len, Ordering::Relaxed) + len;
                self.bar.part_done(n, self.layout.part_count(), so_far);
                results.lock().expect("results").push((n, etag));
            }
        };
        let workers = self.parallel.min(todo.len());
        try_join_all((0..workers).map(|_| worker())).await?;
        Ok(results.into_inner().expect("results"))
    }

    /// One part, retried with backoff on transient failures, with a new URL after a 403.
    async fn send_part(
        &self,
        n: u32,
        urls: &UrlPool,
        queue: &Mutex<VecDeque<u32>>,
    ) -> Result<String> {
        let policy = retry::STORAGE;
        let range = self.layout.range(n);
        let mut attempt = 0;
        let mut new_urls = 0;
        loop {
            let (url, headers, fetched) = urls.get(self.api, self.target, n, queue).await?;
            attempt += 1;
            let answer = storage::put_range(
                self.api.http(),
                &url,
                &headers,
                self.path,
                range.clone(),
                self.bar,
            )
            .await?;
            let wait = match answer.next(attempt, &policy)? {
                Next::Stored(etag) => {
                    urls.forget(n);
                    return Ok(etag.unwrap_or_default());
                }
                Next::NewUrl if new_urls < MAX_NEW_URLS => {
                    // Expired (or refused): a 403 is not the part's fault, no backoff. The
                    // URLs fetched with it (or before) are no younger: dropped too.
                    urls.forget_fetched_by(fetched);
                    new_urls += 1;
                    attempt -= 1;
                    continue;
                }
                Next::NewUrl => return Err(CliError::Storage { status: 403 }),
                Next::Again { wait, why } => {
                    self.bar.note(&format!("part {n}: {why}"));
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

type UrlAndHeaders = (String, BTreeMap<String, String>);
/// A URL, its headers and when it was fetched.
type PartUrlAt = (String, BTreeMap<String, String>, Instant);

/// Presigned part URLs, fetched in small batches: the part asked for and the next few in the
/// queue, so a batch is used well within its URLs' lifetime.
struct UrlPool {
    batch: usize,
    cache: Mutex<HashMap<u32, (UrlAndHeaders, Instant)>>,
    fetching: tokio::sync::Mutex<()>,
}

impl UrlPool {
    fn new(batch: usize) -> Self {
        Self {
            batch,
            cache: Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self, n: u32) -> Option<PartUrlAt> {
        let cache = self.cache.lock().expect("url cache");
        cache
            .get(&n)
            .filter(|(_, at)| at.elapsed() < URL_FRESH)
            .map(|((url, headers), at)| (url.clone(), headers.clone(), *at))
    }

    fn forget(&self, n: u32) {
        self.cache.lock().expect("url cache").remove(&n);
    }

    fn forget_fetched_by(&self, when: Instant) {
        self.cache
            .lock()
            .expect("url cache")
            .retain(|_, (_, at)| *at > when);
    }

    async fn get(
        &self,
        api: &Api,
        target: &Target,
        n: u32,
        queue: &Mutex<VecDeque<u32>>,
    ) -> Result<PartUrlAt> {
        if let Some(u) = self.fresh(n) {
            return Ok(u);
        }
        // One fetch at a time: a worker that waited here usually finds its URL fetched.
        let _one = self.fetching.lock().await;
        if let Some(u) = self.fresh(n) {
            return Ok(u);
        }
        let mut ask = vec![n];
        {
            let queue = queue.lock().expect("queue");
            for &m in queue.iter() {
                if ask.len() >= self.batch {
                    break;
                }
                if self.fresh(m).is_none() {
                    ask.push(m);
                }
            }
        }
        let parts = api.part_urls(target, &ask).await?;
        let now = Instant::now();
        {
            let mut cache = self.cache.lock().expect("url cache");
            for p in parts {
                cache.insert(p.number, ((p.url, p.headers), now));
            }
        }
        self.fresh(n).ok_or_else(|| api.protocol(200))
    }
}
