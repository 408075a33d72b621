// A file's versions, in a dialog: each with its status, a Download and (for an accepted one
// that is not current) a Restore; and the upload of a new version, judged on its own before it
// becomes current. A restore only moves the file's pointer: nothing is copied. A new version
// goes out as a new file does (sending.js: one PUT, or parts when large), with the same
// progress row, Cancel, error words and resume; its row then tells its verdict.

import * as api from './api.js';
import { $, h, say, show } from './dom.js';
import { bytes, contentType, date } from './format.js';
import { errorWords, statusWords, judging } from './words.js';
import { progressRow } from './upload.js';
import { fileKey, resumable, gone } from './multipart.js';
import { inParts, sendUpload } from './sending.js';
import { POLL_MS, big, message } from './state.js';
import { refreshQuota } from './quota.js';

let file = null;
let onChange = () => {};
let polling = null;
// New versions whose bytes are going out from this page, by `${file id} ${n}`.
const sendingNow = new Set();
const tag = (fileId, n) => `${fileId} ${n}`;
// An upload row in one of these states has nothing more to tell.
const OVER = new Set(['cancelled', 'failed', 'accepted', 'rejected', 'held', 'expired']);

// Whether version `n` of the open file is an upload in parts cut short, kept to resume.
function cutShort(n) {
  return (big.store?.all() ?? []).some((e) => e.version_of === file.id && e.version === n);
}

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
  let status = statusWords(v);
  if (v.status === 'pending' && sendingNow.has(tag(file.id, v.n))) status = 'Uploading';
  else if (v.status === 'pending' && cutShort(v.n)) status = 'Upload interrupted';
  const words = `Version ${v.n}${v.current ? ' (current)' : ''} · ${bytes(v.size)} · ${status} · ${date(v.created_at)}`;
  return h('li', { 'data-n': String(v.n), 'data-status': v.status }, h('span', {}, words), ...buttons);
}

function render(versions) {
  $('#versions-list').replaceChildren(...versions.map(item));
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
async function changed(of = file) {
  try {
    const { file: now } = await api.call('GET', `/files/${encodeURIComponent(of.id)}`);
    onChange(now);
  } catch {
    // Gone meanwhile: the list finds out on its own.
  }
  refreshQuota();
}

// An upload's row tells its version's verdict, as a new file's row does: asked for until it
// comes (bounded), whether the dialog is open or not.
async function follow(ofId, n, row) {
  for (let i = 0; i < 400; i += 1) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let v;
    try {
      const { versions } = await api.call('GET', `/files/${encodeURIComponent(ofId)}/versions`);
      v = versions.find((x) => x.n === n);
    } catch {
      return; // the file is gone, or the session: nothing more to tell here
    }
    if (!v) return;
    if (v.status !== 'pending') row.state(statusWords(v), v.status);
    if (!judging(v)) {
      await changed({ id: ofId });
      return;
    }
  }
}

// Sends a new version of `of` ({id, name}): `chosen` as picked in the dialog, or, with
// `remembered`, an upload in parts cut short and picked again (multipart.js keeps it as it
// keeps a new file's, with the version's file and number). Its row is in the dialog while that
// is open on the file, else among the page's uploads.
async function send(chosen, of, remembered = null) {
  const base = `/files/${encodeURIComponent(of.id)}`;
  const inDialog = $('#versions-dialog').open && file?.id === of.id;
  const row = progressRow(chosen);
  row.row.dataset.file = of.id;
  (inDialog ? $('#version-uploads') : $('#uploads')).append(row.row);
  const key = fileKey(chosen);
  let n = remembered?.version ?? null;
  let id = remembered?.id ?? null;
  let plan = remembered;
  let upload = remembered;
  let sending = null;
  let cancelled = false;
  const reload = async () => {
    if (file?.id === of.id) await load();
  };
  // Gives the reserved quota back at once rather than when the upload expires.
  const release = async () => {
    if (plan) {
      big.store.forget(chosen);
      big.list.drop(key);
    }
    if (n === null) return;
    sendingNow.delete(tag(of.id, n));
    await api.call('DELETE', `${base}/versions/${n}`).catch(() => {});
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
    if (remembered) {
      row.state('Resuming…');
      big.active.add(key);
      big.list.hide(key);
    } else {
      row.state('Preparing…');
      const body = { size: chosen.size, content_type: contentType({ name: of.name, type: chosen.type }) };
      const created = await api.call('POST', `${base}/versions`, body);
      n = created.file.version;
      id = created.file.id;
      upload = created.upload;
      if (cancelled) {
        await release();
        return;
      }
      if (inParts(upload)) {
        const { part_size, part_count, expires_at } = upload;
        plan = { part_size, part_count };
        big.store.remember(chosen, { id, part_size, part_count, expires_at, version_of: of.id, version: n });
        big.active.add(key);
      }
      refreshQuota();
    }
    sendingNow.add(tag(of.id, n));
    await reload();
    sending = sendUpload(chosen, id, upload, (loaded, total) => row.progress(loaded, total), { resume: !!remembered });
    await sending.done;
    sendingNow.delete(tag(of.id, n));
    if (plan) {
      big.store.forget(chosen);
      big.list.drop(key);
    }
    row.state('Uploaded: checking…', 'done');
    row.finish();
    if (file?.id === of.id && $('#versions-dialog').open) {
      $('#version-status').textContent = `Version ${n} uploaded: it becomes current once it is accepted.`;
      show($('#version-status'), true);
    }
    await reload();
    follow(of.id, n, row);
  } catch (err) {
    if (n !== null) sendingNow.delete(tag(of.id, n));
    if (cancelled) return;
    row.finish();
    if (plan && resumable(err)) {
      // Kept, as a new file's upload in parts is: Resume is offered among the page's uploads.
      row.state(`${errorWords(err)} It can be resumed.`, 'failed');
      big.list.hold(chosen);
      const entry = big.store.get(chosen);
      if (entry) big.list.show(entry);
      await reload();
      return;
    }
    if (plan && gone(err)) {
      row.state(errorWords({ code: 'upload_gone' }), 'failed');
      big.store.forget(chosen);
      big.list.drop(key);
      await reload();
      return;
    }
    row.state(errorWords(err), 'failed');
    // The bytes did not arrive: free the reservation now.
    await release();
  } finally {
    if (plan) big.active.delete(key);
  }
}

async function upload(chosen) {
  say($('#versions-error'), null);
  show($('#version-status'), false);
  await send(chosen, file);
}

// A new version's upload in parts, remembered (`entry.version_of`, `entry.version`), goes on
// with the file picked again (uploads.js hands it here).
export function resumeVersion(chosen, entry) {
  return send(chosen, { id: entry.version_of, name: chosen.name }, entry);
}

// Discards a remembered version's upload: the pending version goes, and what it held.
export async function discardVersion(entry) {
  await api.call('DELETE', `/files/${encodeURIComponent(entry.version_of)}/versions/${entry.version}`);
  refreshQuota();
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
