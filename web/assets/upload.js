// Sends a file's bytes straight to storage through its presigned request, with progress and
// a way to cancel. XMLHttpRequest, because fetch still reports no upload progress. Also the
// picking of files: a file input and a drop zone, shared by the owner's and the drop page.

import { ApiError } from './api.js';
import { h } from './dom.js';
import { bytes } from './format.js';

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

// One row per file being sent: name, progress bar, status line and a Cancel button. The row's
// height is fixed from the start, so nothing moves while bytes go out.

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
  return {
    row,
    cancel,
    progress(loaded, total) {
      bar.value = total ? Math.round((loaded / total) * 100) : 0;
      status.textContent = `Uploading ${bar.value}%`;
    },
    state(text, kind) {
      status.textContent = text;
      row.dataset.state = kind ?? '';
    },
    finish() {
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
