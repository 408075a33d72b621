// A file's versions, in a dialog: each with its status, a Download and (for an accepted one
// that is not current) a Restore; and the upload of a new version, judged on its own before it
// becomes current. A restore only moves the file's pointer: nothing is copied.

import * as api from './api.js';
import { $, h, say, show } from './dom.js';
import { bytes, contentType, date } from './format.js';
import { errorWords, statusWords, judging } from './words.js';
import { put } from './upload.js';
import { POLL_MS, message } from './state.js';
import { refreshQuota } from './quota.js';

let file = null;
let onChange = () => {};
let polling = null;

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
  const words = `Version ${v.n}${v.current ? ' (current)' : ''} · ${bytes(v.size)} · ${statusWords(v)} · ${date(v.created_at)}`;
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
  const status = $('#version-status');
  try {
    const body = { size: chosen.size, content_type: contentType({ name: file.name, type: chosen.type }) };
    const created = await api.call('POST', path(), body);
    if (created.upload.method !== 'PUT') {
      say($('#versions-error'), 'This version is too large for the web page: upload it with the command-line client.');
      return;
    }
    status.textContent = `Uploading version ${created.file.version}…`;
    show(status, true);
    await put(created.upload, chosen, () => {}).done;
    status.textContent = `Version ${created.file.version} uploaded: it becomes current once it is accepted.`;
    refreshQuota();
    await load();
  } catch (err) {
    show(status, false);
    say($('#versions-error'), errorWords(err));
  } finally {
    $('#version-file').value = '';
  }
}

export async function open(f) {
  file = f;
  say($('#versions-error'), null);
  show($('#version-status'), false);
  $('#versions-file-name').textContent = f.name;
  $('#versions-list').replaceChildren();
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
    if (chosen) upload(chosen);
  });
}
