// The uploader's page at /d/{token}: what the link takes, several files with progress, then
// each file's verdict, followed through its receipt. No account; it shows nothing of the
// owner's other files, ever (the API it calls has nothing to show).

import { open, ApiError } from './api.js';
import { $, show, say, tokenFromPath, closedPage } from './dom.js';
import { bytes, date, typeName, contentType } from './format.js';
import { errorWords, statusWords } from './words.js';
import { put, progressRow, wireDropzone } from './upload.js';

const POLL_MS = 1500;
const token = tokenFromPath();
const base = `/drop/${encodeURIComponent(token)}`;
let info = null;

const CLOSED = {
  link_not_found: ['This link does not exist', 'Check that you have the whole address, or ask for a new link.'],
  link_expired: ['This link has expired', 'Ask the person who sent it for a new one.'],
  link_revoked: ['This link was withdrawn', 'Its owner no longer takes files through it. Ask them for a new one.'],
  link_used_up: ['This link has been used up', 'It takes no more files. Ask the person who sent it for a new one.'],
};

function closed(code) {
  closedPage('drop', CLOSED, code, ['This link cannot be used', errorWords({ code })]);
}

function renderInfo(i) {
  info = i;
  $('#drop-label').textContent = i.label;
  document.title = `${i.label} · Dropgate`;
  $('#uploads-left').textContent = String(i.uploads_left);
  $('#bytes-left').textContent = i.bytes_left === null ? 'No total limit' : bytes(i.bytes_left);
  $('#max-file').textContent = bytes(i.max_file_bytes);
  $('#allowed-types').textContent = i.allowed_types.map(typeName).join(', ');
  $('#expires-at').textContent = date(i.expires_at);
  const nameInput = $('#uploader-name');
  nameInput.required = i.require_uploader_name;
  $('#uploader-name-label').textContent = i.require_uploader_name ? 'Your name (required)' : 'Your name (optional)';
  $('#file-input').accept = i.allowed_types.join(',');
  show($('#loading'), false);
  show($('#closed'), false);
  show($('#drop'), true);
}

async function load() {
  try {
    renderInfo(await open('GET', base));
    return true;
  } catch (err) {
    if (err.status === 404 || err.status === 410) closed(err.code);
    else {
      show($('#loading'), false);
      say($('#drop-message'), errorWords(err));
    }
    return false;
  }
}

async function follow(receipt, row) {
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      const { file } = await open('GET', `/drop/receipts/${encodeURIComponent(receipt)}`);
      if (file.status !== 'pending') {
        row.state(statusWords(file), file.status);
        return;
      }
    } catch (err) {
      if (err.status === 404) {
        row.state(errorWords(err), 'failed');
        return;
      }
      // A passing failure (network, 503, 429): ask again.
    }
  }
}

function uploader() {
  const name = $('#uploader-name').value.trim();
  const email = $('#uploader-email').value.trim();
  if (!name && !email) return undefined;
  const u = {};
  if (name) u.name = name;
  if (email) u.email = email;
  return u;
}

async function send(file) {
  show($('#sent'), true);
  const row = progressRow(file);
  $('#uploads').append(row.row);
  let sending = null;
  let cancelled = false;
  row.cancel.addEventListener('click', () => {
    cancelled = true;
    sending?.cancel();
    row.state('Cancelled', 'cancelled');
    row.finish();
  });
  try {
    row.state('Preparing…');
    const body = { name: file.name, size: file.size, content_type: contentType(file) };
    const who = uploader();
    if (who) body.uploader = who;
    const created = await open('POST', `${base}/files`, body);
    if (cancelled) return;
    sending = put(created.upload, file, (loaded, total) => row.progress(loaded, total));
    await sending.done;
    row.state('Uploaded: checking…', 'pending');
    row.finish();
    await load();
    await follow(created.receipt, row);
  } catch (err) {
    if (cancelled) return;
    row.finish();
    row.state(errorWords(err), 'failed');
    if (err instanceof ApiError && err.status === 410) closed(err.code);
  }
}

function pick(files) {
  say($('#drop-message'), null);
  if (info?.require_uploader_name && !$('#uploader-name').value.trim()) {
    say($('#drop-message'), errorWords({ code: 'uploader_name_required' }));
    $('#uploader-name').focus();
    return;
  }
  for (const f of files) send(f);
}

function wire() {
  wireDropzone($('#dropzone'), $('#file-input'), pick);
  $('#drop-form').addEventListener('submit', (e) => e.preventDefault());
}

wire();
load();
