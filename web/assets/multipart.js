// Large files in parts (upload API version 2), shared by the owner's app and the drop page:
// the parts go straight to storage, four at a time, each retried with backoff; one progress
// figure for the whole file. An unfinished upload is remembered in localStorage (by the file's
// name, size and last modification: a File cannot be kept across a reload) so that picking
// the same file again resumes it, sending only the parts storage does not hold yet.
// See docs/DESIGN.md, section 9.

import { ApiError } from './api.js';
import { h, show } from './dom.js';
import { bytes } from './format.js';
import { send } from './upload.js';

const PARALLEL = 4;
const ATTEMPTS = 4; // per part: the first try and three retries
const BACKOFF_MS = [1000, 2000, 4000];
const URL_BATCH = 16; // part URLs asked for at once (the API takes up to 100)
const URL_MARGIN_MS = 60_000; // a URL this close to its end is asked for again

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Worth another try: the network, storage or the API having a bad moment, an expired part URL.
function passing(err) {
  if (err.code === 'cancelled') return false;
  return err.status === 0 || err.status >= 500 || err.status === 429 || err.status === 408 || err.code === 'upload_failed';
}

// The upload can still be resumed after this error (as opposed to: the file is gone, or the
// request itself is wrong).
export function resumable(err) {
  return passing(err) || err.status === 401 || err.code === 'incomplete_upload';
}

// The file or its upload no longer exists: there is nothing left to resume.
export function gone(err) {
  return err.status === 404 || err.code === 'upload_gone';
}

// Sends `file` in the parts `plan` ({part_size, part_count}) describes, through `routes`:
// presign(numbers) -> {parts}, list() -> {part_size, part_count, parts}, complete(parts) ->
// {file}. With `resume`, first asks which parts storage holds and sends only the others (and
// those of the wrong size). `onProgress(loaded, total)` counts the bytes of every part.
// Returns {done, cancel}; `done` resolves with what `complete` answered.
export function sendParts(file, plan, routes, onProgress, { resume = false } = {}) {
  let size = plan.part_size;
  let count = plan.part_count;
  const bytesOf = (n) => (n < count ? size : file.size - size * (count - 1));
  const etags = new Map(); // part number -> ETag (without quotes; '' when storage hid it)
  const urls = new Map(); // part number -> {url, headers, expires_at}
  const asking = new Map(); // part number -> the presign call that will bring its URL
  const loading = new Map(); // part number -> bytes sent so far, while it is in flight
  const running = new Set();
  const queue = [];
  let held = 0;
  let stopped = null;

  const stop = (err) => {
    stopped ??= err;
    for (const r of running) r.cancel();
  };
  const report = () => {
    let inFlight = 0;
    for (const v of loading.values()) inFlight += v;
    onProgress(Math.min(held + inFlight, file.size), file.size);
  };
  const fresh = (n) => {
    const u = urls.get(n);
    return !!u && Date.parse(u.expires_at) - Date.now() > URL_MARGIN_MS;
  };

  // A part's URL, asked for with the next parts in line that need one too.
  async function urlFor(n) {
    if (fresh(n)) return urls.get(n);
    if (!asking.has(n)) {
      const batch = [n, ...queue.filter((m) => !asking.has(m) && !fresh(m))].slice(0, URL_BATCH);
      const call = routes
        .presign(batch)
        .then(({ parts }) => {
          for (const p of parts) urls.set(p.number, p);
        })
        .finally(() => {
          for (const m of batch) asking.delete(m);
        });
      call.catch(() => {}); // awaited below by whoever needs it
      for (const m of batch) asking.set(m, call);
    }
    await asking.get(n);
    if (!urls.has(n)) throw new ApiError(500, 'internal');
    return urls.get(n);
  }

  async function part(n) {
    for (let attempt = 1; ; attempt += 1) {
      if (stopped) throw stopped;
      try {
        const u = await urlFor(n);
        if (stopped) throw stopped;
        const start = (n - 1) * size;
        const r = send('PUT', u.url, u.headers, file.slice(start, start + bytesOf(n)), (loaded) => {
          loading.set(n, loaded);
          report();
        });
        running.add(r);
        let xhr;
        try {
          xhr = await r.done;
        } finally {
          running.delete(r);
          loading.delete(n);
        }
        etags.set(n, (xhr.getResponseHeader('etag') ?? '').replaceAll('"', ''));
        held += bytesOf(n);
        report();
        return;
      } catch (err) {
        if (stopped) throw stopped;
        report();
        if (err.status === 403) urls.delete(n); // expired (or refused): ask for a new one
        if (!passing(err) || attempt >= ATTEMPTS) throw err;
        await sleep(BACKOFF_MS[attempt - 1] * (0.75 + Math.random() / 2));
      }
    }
  }

  async function run(numbers) {
    queue.push(...numbers);
    const worker = async () => {
      while (queue.length && !stopped) await part(queue.shift());
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    } catch (err) {
      stop(err);
      throw stopped;
    }
  }

  const done = (async () => {
    if (resume) {
      const listing = await routes.list();
      size = listing.part_size;
      count = listing.part_count;
      for (const p of listing.parts) {
        if (p.size === bytesOf(p.number)) {
          etags.set(p.number, p.etag.replaceAll('"', ''));
          held += p.size;
        }
      }
    }
    report();
    const missing = [];
    for (let n = 1; n <= count; n += 1) if (!etags.has(n)) missing.push(n);
    await run(missing);
    // Completion checks every part itself; what it finds missing or wrong is sent once more.
    for (let round = 1; ; round += 1) {
      if (stopped) throw stopped;
      const parts = [...etags]
        .filter(([, etag]) => etag)
        .map(([number, etag]) => ({ number, etag }))
        .sort((a, b) => a.number - b.number);
      try {
        return await routes.complete(parts);
      } catch (err) {
        // S3 still assembling a large object (or the API having a bad moment): ask again.
        if (passing(err) && round < 10) {
          await new Promise((r) => setTimeout(r, 2000));
          continue;
        }
        if (err.code !== 'incomplete_upload' || round >= 2) throw err;
        const again = new Set(
          [err.extra.missing_parts, err.extra.wrong_size_parts, err.extra.mismatched_parts].flatMap((l) => l ?? []),
        );
        for (const n of again) {
          if (etags.delete(n)) held -= bytesOf(n);
        }
        await run([...again].sort((a, b) => a - b));
      }
    }
  })();
  return { done, cancel: () => stop(new ApiError(0, 'cancelled')) };
}

// ---- Remembering unfinished uploads ----

// A short, one-way name for what scopes the remembered uploads (an account, a link's token):
// the token itself is a credential and never goes into storage.
export async function digest(text) {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(hash).slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// What identifies a file across a reload.
export function fileKey(f) {
  return JSON.stringify([f.name, f.size, f.lastModified ?? f.last_modified]);
}

// The unfinished uploads of one scope. Each entry is {name, size, last_modified, part_size,
// part_count, expires_at} and the one thing needed to go on: the file's id (owner) or the
// drop's receipt. Storage that refuses (private mode, full) means no resume, not no upload.
export function resumeStore(scope) {
  const prefix = `dropgate.resume.${scope}.`;
  const storage = () => {
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  };
  const read = (k) => {
    try {
      const entry = JSON.parse(storage()?.getItem(k) ?? 'null');
      if (!entry) return null;
      if (!(Date.parse(entry.expires_at) > Date.now())) {
        storage()?.removeItem(k);
        return null;
      }
      return { ...entry, key: k.slice(prefix.length) };
    } catch {
      return null;
    }
  };
  return {
    get: (file) => read(prefix + fileKey(file)),
    remember(file, value) {
      const entry = { name: file.name, size: file.size, last_modified: file.lastModified, ...value };
      try {
        storage()?.setItem(prefix + fileKey(file), JSON.stringify(entry));
      } catch {
        // Not remembered: this upload cannot be resumed after a reload.
      }
    },
    forget(fileOrEntry) {
      try {
        storage()?.removeItem(prefix + fileKey(fileOrEntry));
      } catch {
        // Nothing to do.
      }
    },
    all() {
      const s = storage();
      if (!s) return [];
      const keys = [];
      for (let i = 0; i < s.length; i += 1) {
        const k = s.key(i);
        if (k?.startsWith(prefix)) keys.push(k);
      }
      return keys.map(read).filter(Boolean);
    },
  };
}

// ---- The interrupted uploads, on screen ----

// A file input of its own, opened at once (from a click): Resume asks for the file again.
function chooseFile(onFile) {
  const input = h('input', { type: 'file', hidden: true });
  input.addEventListener('change', () => {
    const f = input.files[0];
    input.remove();
    if (f) onFile(f);
  });
  input.addEventListener('cancel', () => input.remove());
  document.body.append(input);
  input.click();
}

// The list `ul` of interrupted uploads, each with Resume and Discard. `held` files (still in
// this page's memory, after a dropped connection) resume at once; the others ask for the file
// again. `start(file)` resumes a picked file that matches a remembered upload; `mismatch(entry)`
// is told when the file picked is not the one that was interrupted.
export function interruptedList(ul, { store, start, discard, mismatch }) {
  const held = new Map(); // file key -> File
  const items = new Map(); // file key -> li

  const update = () => show(ul, items.size > 0);

  function resume(entry) {
    const file = held.get(entry.key);
    if (file) {
      start(file);
      return;
    }
    chooseFile((picked) => {
      if (fileKey(picked) === entry.key || store().get(picked)) start(picked);
      else mismatch(entry);
    });
  }

  return {
    hold(file) {
      held.set(fileKey(file), file);
    },
    show(entry, sent) {
      const inMemory = held.has(entry.key);
      const done = sent === undefined ? '' : ` (${bytes(sent)} of ${bytes(entry.size)} sent)`;
      const li = h(
        'li',
        { 'data-key': entry.key },
        h(
          'p',
          {},
          `${entry.name} was interrupted${done}.`,
          inMemory ? '' : ' Choose the same file again to resume.',
        ),
        h(
          'span',
          { class: 'buttons' },
          h('button', { type: 'button', class: 'small primary', 'aria-label': `Resume ${entry.name}`, onclick: () => resume(entry) }, 'Resume'),
          h('button', { type: 'button', class: 'small', 'aria-label': `Discard ${entry.name}`, onclick: () => discard(entry) }, 'Discard'),
        ),
      );
      items.get(entry.key)?.replaceWith(li);
      if (!items.has(entry.key)) ul.append(li);
      items.set(entry.key, li);
      update();
    },
    hide(key) {
      items.get(key)?.remove();
      items.delete(key);
      update();
    },
    drop(key) {
      held.delete(key);
      this.hide(key);
    },
    clear() {
      held.clear();
      items.clear();
      ul.replaceChildren();
      update();
    },
  };
}
