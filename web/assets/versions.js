// A file's versions, in a dialog: each with its status, a Download and (for an accepted one
// that is not current) a Restore; and the upload of a new version, judged on its own before it
// becomes current. A restore only moves the file's pointer: nothing is copied. A new version
// goes out as a new file does (sending.js: one PUT, or parts when large), with the same
// progress row, Cancel and error words; its row then tells its verdict.

import * as api from './api.js';
import { $, h, say, show } from './dom.js';
import { bytes, contentType, date } from './format.js';
import { errorWords, statusWords, judging } from './words.js';
import { progressRow } from './upload.js';
import { sendUpload } from './sending.js';
import { POLL_MS, message } from './state.js';
import { refreshQuota } from './quota.js';

let file = null;
let onChange = () => {};
let polling = null;
// Uploads of new versions from this page, by `${file id} ${n}`: their progress rows (which
// tell the verdict when it comes) and whether their bytes are still going out.
const uploading = new Map();
const tag = (fileId, n) => `${fileId} ${n}`;
// An upload row in one of these states has nothing more to tell.
const OVER = new Set(['cancelled', 'failed', 'accepted', 'rejected', 'held', 'expired']);

function path(tail = '') {
  return `/files/${encodeURIComponent(file.id)}/versions${tail}`;
}

async function download(v) {
  try {
    const { url } = await api.call('GET', path(`/${v.n}/download`));
    // Inside the dialog: behind a modal one, the page is inert.
    const a = h('a', { href: url, download: file.name, hidden: true });
    $('#versions-dialog').append(a);
    a.click();
    a.remove();
  } catch (err) {
    say($('#versions-error'), errorWords(err));
  }
}

async function restore(v) {
  try {
    const { versions } = await api.call('POST', path(`/${v.n}/restore`));
    render(versions);
    message(`Version ${v.n} of “${file.name}” is current again.`, 'info');
    await changed();
  } catch (err) {
    say($('#versions-error'), errorWords(err));
  }
}

function item(v) {
  const label = `version ${v.n} of ${file.name}`;
  const buttons = [];
  if (v.status === 'accepted') {
    buttons.push(
      h('button', { type: 'button', class: 'small', 'aria-label': `Download ${label}`, onclick: () => download(v) }, 'Download'),
    );
    if (!v.current) {
      buttons.push(
        h('button', { type: 'button', class: 'small', 'aria-label': `Restore ${label}`, onclick: () => restore(v) }, 'Restore'),
      );
    }
  }
  const sending = uploading.get(tag(file.id, v.n))?.sending;
  const status = sending && v.status === 'pending' ? 'Uploading' : statusWords(v);
  const words = `Version ${v.n}${v.current ? ' (current)' : ''} · ${bytes(v.size)} · ${status} · ${date(v.created_at)}`;
  return h('li', { 'data-n': String(v.n), 'data-status': v.status }, h('span', {}, words), ...buttons);
}

// An upload's row says its version's verdict, as a new file's row does.
function announce(v) {
  const up = uploading.get(tag(file.id, v.n));
  if (!up || up.sending || v.status === 'pending') return;
  up.row.state(statusWords(v), v.status);
  if (!judging(v)) uploading.delete(tag(file.id, v.n));
}

function render(versions) {
  $('#versions-list').replaceChildren(...versions.map(item));
  for (const v of versions) announce(v);
  // While a new version waits for its verdict, ask again.
  clearTimeout(polling);
  polling = null;
  if (versions.some(judging)) polling = setTimeout(load, POLL_MS);
}

async function load() {
  polling = null;
  if (!file || !$('#versions-dialog').open) return;
  try {
    const { versions } = await api.call('GET', path());
    const before = $('#versions-list').querySelectorAll('li[data-status="scanning"], li[data-status="pending"]').length;
    render(versions);
    if (before > 0 && !versions.some(judging)) {
      show($('#version-status'), false);
      await changed();
    }
  } catch (err) {
    say($('#versions-error'), errorWords(err));
  }
}

// The file's row follows its current version.
async function changed() {
  try {
    const { file: now } = await api.call('GET', `/files/${encodeURIComponent(file.id)}`);
    onChange(now);
  } catch {
    // Gone meanwhile: the list finds out on its own.
  }
  refreshQuota();
}

async function upload(chosen) {
  say($('#versions-error'), null);
  show($('#version-status'), false);
  const of = file;
  const base = `/files/${encodeURIComponent(of.id)}`;
  const row = progressRow(chosen);
  row.row.dataset.file = of.id;
  $('#version-uploads').append(row.row);
  let created = null;
  let sending = null;
  let cancelled = false;
  const key = () => tag(of.id, created.file.version);
  const reload = async () => {
    if (file === of) await load();
  };
  // Gives the reserved quota back at once rather than when the upload expires.
  const release = async () => {
    if (!created) return;
    uploading.delete(key());
    await api.call('DELETE', `${base}/versions/${created.file.version}`).catch(() => {});
    refreshQuota();
    await reload();
  };
  row.cancel.addEventListener('click', async () => {
    cancelled = true;
    sending?.cancel();
    row.state('Cancelled', 'cancelled');
    row.finish();
    await release();
  });
  try {
    row.state('Preparing…');
    const body = { size: chosen.size, content_type: contentType({ name: of.name, type: chosen.type }) };
    created = await api.call('POST', `${base}/versions`, body);
    if (cancelled) {
      await release();
      return;
    }
    uploading.set(key(), { row, sending: true });
    refreshQuota();
    await reload();
    sending = sendUpload(chosen, created.file.id, created.upload, (loaded, total) => row.progress(loaded, total));
    await sending.done;
    uploading.get(key()).sending = false;
    row.state('Uploaded: checking…', 'done');
    row.finish();
    if (file === of) {
      $('#version-status').textContent = `Version ${created.file.version} uploaded: it becomes current once it is accepted.`;
      show($('#version-status'), true);
    }
    await reload();
  } catch (err) {
    if (cancelled) return;
    row.finish();
    row.state(errorWords(err), 'failed');
    // The bytes did not arrive: free the reservation now.
    await release();
  }
}

export async function open(f) {
  file = f;
  say($('#versions-error'), null);
  show($('#version-status'), false);
  $('#versions-file-name').textContent = f.name;
  $('#versions-list').replaceChildren();
  // Only this file's uploads; those finished are cleared.
  for (const li of $('#version-uploads').children) {
    const mine = li.dataset.file === f.id;
    if (mine && OVER.has(li.dataset.state)) li.remove();
    else li.hidden = !mine;
  }
  $('#versions-dialog').showModal();
  await load();
}

export function wireVersions(render_) {
  onChange = render_;
  $('#versions-close').addEventListener('click', () => $('#versions-dialog').close());
  $('#versions-dialog').addEventListener('close', () => {
    clearTimeout(polling);
    polling = null;
  });
  $('#version-file').addEventListener('change', (e) => {
    const chosen = e.target.files?.[0];
    // Emptied at once, so that the same file can be picked again.
    e.target.value = '';
    if (chosen) upload(chosen);
  });
}
