// Sends a file's bytes straight to storage through its presigned request, with progress and
// a way to cancel. XMLHttpRequest, because fetch still reports no upload progress. Also the
// picking of files: a file input and a drop zone, shared by the owner's and the drop page.

import { ApiError } from './api.js';
import { h } from './dom.js';
import { bytes, rate, duration } from './format.js';

// The browser sets these itself (and refuses to be told).
const SET_BY_BROWSER = new Set(['content-length', 'host']);

// One request with its body (a File or a slice of one), reporting upload progress; `done`
// resolves with the XMLHttpRequest once storage answered 2xx.
export function send(method, url, headers, body, onProgress) {
  const xhr = new XMLHttpRequest();
  const size = body.size;
  const done = new Promise((resolve, reject) => {
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.total || size));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(size, size);
        resolve(xhr);
      } else {
        reject(new ApiError(xhr.status, 'upload_failed'));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'cancelled')));
  });
  xhr.open(method, url);
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (!SET_BY_BROWSER.has(k.toLowerCase())) xhr.setRequestHeader(k, v);
  }
  xhr.send(body);
  return { done, cancel: () => xhr.abort() };
}

// A whole file in one presigned PUT.
export function put(upload, file, onProgress) {
  const sending = send(upload.method || 'PUT', upload.url, upload.headers, file, onProgress);
  return { done: sending.done.then(() => undefined), cancel: sending.cancel };
}

// How fast bytes go out: the rate over the last few seconds (a whole-upload average would hide
// a stall), and what is left at that rate. Nothing is said before a second of data.
const WINDOW_MS = 4000;

function meter() {
  const samples = []; // [ms, loaded]
  return {
    add(loaded) {
      const now = performance.now();
      samples.push([now, loaded]);
      while (samples.length > 2 && now - samples[1][0] >= WINDOW_MS) samples.shift();
    },
    // Bytes a second, or null while too little is known.
    reset() {
      samples.length = 0;
    },
    speed() {
      if (samples.length < 2) return null;
      const [[t0, b0], [t1, b1]] = [samples[0], samples[samples.length - 1]];
      return t1 - t0 >= 1000 ? ((b1 - b0) * 1000) / (t1 - t0) : null;
    },
  };
}

// `12.0 MiB of 150.0 MiB · 3.2 MiB/s · 43 s left`
function progressWords(loaded, total, speed) {
  let words = `${bytes(loaded)} of ${bytes(total)}`;
  if (speed !== null) {
    words += ` · ${rate(speed)}`;
    if (speed > 0 && loaded < total) words += ` · ${duration((total - loaded) / speed)} left`;
  }
  return words;
}

// The whole batch: every upload whose bytes are going out on this page, summed on one line
// (`el`, laid out from the start so that it moves nothing). Empty when nothing is being sent.
export function batchLine(el) {
  const rows = new Set();
  const m = meter();
  const update = () => {
    const sending = [...rows];
    if (sending.length === 0) {
      el.textContent = '';
      return;
    }
    const loaded = sending.reduce((n, r) => n + r.loaded, 0);
    const total = sending.reduce((n, r) => n + r.total, 0);
    m.add(loaded);
    const files = sending.length === 1 ? '1 file' : `${sending.length} files`;
    el.textContent = `Sending ${files}: ${progressWords(loaded, total, m.speed())}`;
  };
  return {
    start(r) {
      rows.add(r);
      update();
    },
    update,
    stop(r) {
      rows.delete(r);
      // A new batch starts its rate afresh.
      if (rows.size === 0) m.reset();
      update();
    },
  };
}

// The page's batch line, when it has one.
let batch = null;
export function showBatchIn(el) {
  batch = batchLine(el);
}

// One row per file being sent: name, progress bar, status line and a Cancel button. The row's
// height is fixed from the start, so nothing moves while bytes go out. The status says
// "Uploading" with bytes sent, speed and time left until every byte is in.

export function progressRow(file) {
  const bar = h('progress', { max: 100, value: 0, 'aria-label': `Upload progress of ${file.name}` });
  const status = h('span', { class: 'status', role: 'status' }, 'Waiting…');
  const cancel = h('button', { type: 'button', class: 'small', 'aria-label': `Cancel upload of ${file.name}` }, 'Cancel');
  const row = h(
    'li',
    { class: 'upload' },
    h('span', { class: 'name' }, file.name),
    h('span', { class: 'size' }, bytes(file.size)),
    bar,
    status,
    cancel,
  );
  const m = meter();
  const sent = { loaded: 0, total: file.size };
  let counted = false;
  const stopCounting = () => {
    if (counted) batch?.stop(sent);
    counted = false;
  };
  return {
    row,
    cancel,
    progress(loaded, total) {
      if (!counted) batch?.start(sent);
      counted = true;
      sent.loaded = loaded;
      sent.total = total || file.size;
      m.add(loaded);
      bar.value = total ? Math.round((loaded / total) * 100) : 0;
      status.textContent = `Uploading ${bar.value}% · ${progressWords(loaded, sent.total, m.speed())}`;
      batch?.update();
    },
    state(text, kind) {
      status.textContent = text;
      row.dataset.state = kind ?? '';
      if (kind !== undefined) stopCounting();
    },
    finish() {
      stopCounting();
      cancel.disabled = true;
      cancel.hidden = true;
    },
  };
}

// Files picked with `input` or dropped on `zone` go to `onFiles` (an array); the zone is
// marked `over` while something is dragged over it, and the input is emptied after each pick
// so that the same file can be picked again.

export function wireDropzone(zone, input, onFiles) {
  input.addEventListener('change', () => {
    onFiles([...input.files]);
    input.value = '';
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    onFiles([...e.dataTransfer.files]);
  });
}
