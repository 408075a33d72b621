// The uploader's page at /d/{token}: what the link takes, several files with progress, then
// each file's verdict, followed through its receipt. No account; it shows nothing of the
// owner's other files, ever (the API it calls has nothing to show).

import { open, ApiError } from './api.js';
import { $, show, say, tokenFromPath, closedPage } from './dom.js';
import { bytes, date, contentType } from './format.js';
import { errorWords, allowedWords, dropStatusWords, judging } from './words.js';
import { put, progressRow, wireDropzone, showBatchIn } from './upload.js';
import { sendParts, resumeStore, interruptedList, digest, fileKey, resumable, gone } from './multipart.js';
import { sentStore } from './sent.js';

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
  // The link's own total only: the owner's storage is already in the largest file it takes.
  show($('#bytes-left-row'), i.bytes_left !== null);
  $('#bytes-left').textContent = i.bytes_left === null ? '' : bytes(i.bytes_left);
  $('#max-file').textContent = bytes(i.max_file_bytes);
  $('#allowed-types').textContent = allowedWords(i.allowed_types);
  $('#expires-at').textContent = date(i.expires_at);
  const nameInput = $('#uploader-name');
  nameInput.required = i.require_uploader_name;
  $('#uploader-name-label').textContent = i.require_uploader_name ? 'Your name (required)' : 'Your name (optional)';
  $('#file-input').accept = Array.isArray(i.allowed_types) ? i.allowed_types.join(',') : '';
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

async function follow(receipt, row, { now = false } = {}) {
  for (let first = true; ; first = false) {
    if (!first || !now) await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      const { file } = await open('GET', `/drop/receipts/${encodeURIComponent(receipt)}`);
      if (file.status !== 'pending') row.state(dropStatusWords(file), file.status);
      if (!judging(file)) return;
    } catch (err) {
      if (err.status === 404) {
        row.state(dropWords(err), 'failed');
        return;
      }
      // A passing failure (network, 503, 429): ask again.
    }
  }
}

// Refusals said to the uploader, who has no quota: what the link takes.
function dropWords(err) {
  if (err?.code === 'file_too_large' && err.extra?.max_file_bytes !== undefined) {
    return `This link can take files up to ${bytes(err.extra.max_file_bytes)}.`;
  }
  return errorWords(err);
}

function uploader() {
  const name = $('#uploader-name').value.trim();
  const email = $('#uploader-email').value.trim();
  const note = $('#uploader-note').value.trim();
  if (!name && !email && !note) return undefined;
  const u = {};
  if (name) u.name = name;
  if (email) u.email = email;
  if (note) u.note = note;
  return u;
}

// Large files go in parts; an unfinished one is remembered under its receipt (this uploader's
// credential for that one file) and offered again, here, for this link only.
const big = {
  store: null,
  ready: digest(`drop ${token}`)
    .then((scope) => resumeStore(`drop-${scope}`))
    .catch(() => null),
  list: null,
  active: new Set(),
};

function partRoutes(receipt) {
  const base = `/drop/receipts/${encodeURIComponent(receipt)}`;
  return {
    presign: (numbers) => open('POST', `${base}/parts`, { part_numbers: numbers }),
    list: () => open('GET', `${base}/parts`),
    complete: (parts) => open('POST', `${base}/complete`, { parts }),
  };
}

// What this tab sent through this link, listed again after a reload and followed to its
// verdict.
const sent = digest(`sent ${token}`)
  .then(sentStore)
  .catch(() => null);

async function showSent() {
  const store = await sent;
  for (const entry of store?.all() ?? []) {
    show($('#sent'), true);
    const row = progressRow(entry);
    row.finish();
    row.state('Sent: checking…', 'pending');
    $('#uploads').append(row.row);
    follow(entry.receipt, row, { now: true });
  }
}

// Shows this link's remembered uploads, forgetting those whose upload is over.
async function showInterrupted() {
  big.store = await big.ready;
  if (!big.store) return;
  await Promise.all(
    big.store.all().map(async (entry) => {
      if (big.active.has(entry.key)) return;
      try {
        const listing = await open('GET', `/drop/receipts/${encodeURIComponent(entry.receipt)}/parts`);
        big.list.show(entry, listing.parts.reduce((n, p) => n + p.size, 0));
      } catch (err) {
        if (gone(err)) big.store.forget(entry);
        else big.list.show(entry);
      }
    }),
  );
}

// Forgotten here only: what was sent stays with the link until the upload's deadline.
function discard(entry) {
  big.store?.forget(entry);
  big.list.drop(entry.key);
}

async function send(file) {
  const key = fileKey(file);
  if (big.active.has(key)) {
    say($('#drop-message'), `“${file.name}” is being uploaded already.`, 'info');
    return;
  }
  show($('#sent'), true);
  const remembered = big.store?.get(file);
  const row = progressRow(file);
  $('#uploads').append(row.row);
  let sending = null;
  let plan = remembered;
  let receipt = remembered?.receipt;
  let cancelled = false;
  row.cancel.addEventListener('click', () => {
    cancelled = true;
    sending?.cancel();
    row.state('Cancelled', 'cancelled');
    row.finish();
    if (plan) {
      big.store?.forget(file);
      big.list.drop(key);
    }
  });
  try {
    if (remembered) {
      row.state('Resuming…');
      big.active.add(key);
      big.list.hide(key);
    } else {
      row.state('Preparing…');
      const body = { name: file.name, size: file.size, content_type: contentType(file) };
      const who = uploader();
      if (who) body.uploader = who;
      const created = await open('POST', `${base}/files`, body);
      if (cancelled) return;
      receipt = created.receipt;
      if (created.upload.method === 'multipart') {
        const { part_size, part_count, expires_at } = created.upload;
        plan = { part_size, part_count };
        big.store?.remember(file, { receipt, part_size, part_count, expires_at });
        big.active.add(key);
      } else {
        sending = put(created.upload, file, (loaded, total) => row.progress(loaded, total));
        await sending.done;
      }
    }
    if (plan) {
      sending = sendParts(file, plan, partRoutes(receipt), (loaded, total) => row.progress(loaded, total), {
        resume: !!remembered,
      });
      await sending.done;
      big.store?.forget(file);
      big.list.drop(key);
    }
    row.state('Uploaded: checking…', 'pending');
    row.finish();
    (await sent)?.remember({ receipt, name: file.name, size: file.size });
    await load();
    await follow(receipt, row);
  } catch (err) {
    if (cancelled) return;
    row.finish();
    if (plan && resumable(err)) {
      row.state(`${dropWords(err)} It can be resumed.`, 'failed');
      big.list.hold(file);
      const entry = big.store?.get(file);
      if (entry) big.list.show(entry);
      return;
    }
    if (plan) {
      big.store?.forget(file);
      big.list.drop(key);
    }
    row.state(dropWords(plan && gone(err) ? { code: 'upload_gone' } : err), 'failed');
    if (err instanceof ApiError && err.status === 410) closed(err.code);
  } finally {
    if (plan) big.active.delete(key);
  }
}

async function pick(files) {
  say($('#drop-message'), null);
  big.store = await big.ready;
  // A file picked again after an interruption goes on where it stopped: its name was given.
  const again = files.filter((f) => big.store?.get(f));
  const fresh = files.filter((f) => !again.includes(f));
  for (const f of again) send(f);
  if (fresh.length === 0) return;
  if (info?.require_uploader_name && !$('#uploader-name').value.trim()) {
    say($('#drop-message'), errorWords({ code: 'uploader_name_required' }));
    $('#uploader-name').focus();
    return;
  }
  for (const f of fresh) send(f);
}

function wire() {
  showBatchIn($('#batch'));
  wireDropzone($('#dropzone'), $('#file-input'), pick);
  big.list = interruptedList($('#interrupted'), {
    store: () => big.store,
    start: (file) => pick([file]),
    discard,
    mismatch: (entry) =>
      say($('#drop-message'), `That is not the file that was interrupted: choose “${entry.name}” (${bytes(entry.size)}) again.`),
  });
  $('#drop-form').addEventListener('submit', (e) => e.preventDefault());
}

wire();
load();
showSent();
showInterrupted();
