// The file list: one row per file (which follows its verdict on its own while it is pending),
// paged, with each file's download, share and delete.

import * as api from './api.js';
import { $, h, show, ask } from './dom.js';
import { bytes, date, typeName } from './format.js';
import { errorWords, statusWords, judging, holdBadge } from './words.js';
import * as shares from './shares.js';
import * as versions from './versions.js';
import { POLL_MS, PAGE, state, big, message } from './state.js';
import { refreshQuota } from './quota.js';
import { applyView, narrowed, select, selectedIds, wireListView } from './listview.js';
import { deleteQuestion, deletedWords, knowTrash, loadTrash } from './trash.js';
import { retentionButton, retentionNote } from './retention.js';

// The upload row's status is live: the verdict is said there too, not only in the list (the
// scan's wait as well: it can take a while).
export function announce(f) {
  const row = state.awaiting.get(f.id);
  if (!row || f.status === 'pending') return;
  row.state(statusWords(f), f.status);
  if (!judging(f)) state.awaiting.delete(f.id);
}

function fromWords(f) {
  if (!f.via_link) return 'You';
  const link = state.links.get(f.via_link);
  const through = link ? `Link “${link.label}”` : 'An upload link';
  const who = f.uploader?.name || f.uploader?.email;
  return who ? `${who}, via ${through}` : through;
}

// The uploader's note, for the owner's eyes: a text node like every stranger's words.
function noteOf(f) {
  const note = f.uploader?.note;
  return note ? h('span', { class: 'note', title: note }, `Note: ${note}`) : null;
}

function statusOf(f) {
  // Its bytes are still going out from this page: nothing is being checked yet.
  if (f.status === 'pending' && (!f.id || state.sending.has(f.id))) return 'Uploading';
  return f.status === 'pending' && state.interrupted.has(f.id) ? 'Upload interrupted' : statusWords(f);
}

export function fileRow(f) {
  // Both buttons are always there (Download hidden until accepted: not while pending, scanning
  // or held): a verdict changes no size.
  const download = h(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Download ${f.name}`, onclick: () => download_(f) },
    'Download',
  );
  download.classList.toggle('unavailable', f.status !== 'accepted');
  const share = h(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Share ${f.name}`, onclick: () => shares.open(f) },
    'Share',
  );
  share.classList.toggle('unavailable', f.status !== 'accepted');
  const versions_ = h(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Versions of ${f.name}`, onclick: () => versions.open(f) },
    'Versions',
  );
  versions_.classList.toggle('unavailable', f.status !== 'accepted');
  const actions = h(
    'td',
    { class: 'actions' },
    download,
    share,
    retentionButton(f, render),
    versions_,
    h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${f.name}`, onclick: () => remove(f) }, 'Delete'),
  );
  const tick = h('input', {
    type: 'checkbox',
    class: 'select',
    'aria-label': `Select ${f.name}`,
    checked: !!f.id && state.selected.has(f.id),
    disabled: !f.id,
    onchange: (e) => select(f.id, e.target.checked),
  });
  return h(
    'tr',
    { 'data-id': f.id, 'data-status': f.status, 'data-name': f.name, 'data-size': f.size, 'data-created': f.created_at },
    h('td', { class: 'pick' }, tick),
    h('td', { class: 'name', 'data-label': 'Name' }, f.name),
    h('td', { class: 'type', 'data-label': 'Type' }, typeName(f.detected_type ?? f.content_type)),
    h('td', { class: 'size', 'data-label': 'Size' }, bytes(f.size)),
    h('td', { class: 'date', 'data-label': 'Date' }, date(f.created_at)),
    h('td', { class: 'from', 'data-label': 'From' }, h('span', { class: 'sender' }, fromWords(f)), noteOf(f)),
    h('td', { class: `status ${f.status}`, 'data-label': 'Status' }, h('span', {}, statusOf(f)), holdBadge(f), retentionNote(f)),
    actions,
  );
}

export function render(f) {
  state.files.set(f.id, f);
  announce(f);
  const body = $('#files tbody');
  const old = body.querySelector(`tr[data-id="${CSS.escape(f.id)}"]`);
  const row = fileRow(f);
  if (old) old.replaceWith(row);
  else body.append(row);
  show($('#files-empty'), state.files.size === 0);
  applyView();
}

export async function loadFiles(more) {
  try {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (more && state.cursor) q.set('cursor', state.cursor);
    const page = await api.call('GET', `/files?${q}`);
    for (const f of page.files) if (!state.files.has(f.id)) render(f);
    state.cursor = page.next_cursor;
    show($('#more-files'), !!state.cursor);
    show($('#files-empty'), state.files.size === 0);
    applyView();
    poll();
  } catch (err) {
    if (err.status !== 401) message(errorWords(err));
  }
}

// A file whose verdict is to come, the type's or the malware scan's (not one whose upload was
// interrupted: nothing comes until it is resumed).
function waiting(f) {
  return judging(f) && !state.interrupted.has(f.id);
}

// While any shown file is waiting for its verdict, asks for it again every POLL_MS.
export function poll() {
  if (state.polling) return;
  state.polling = setTimeout(async () => {
    state.polling = null;
    const pending = [...state.files.values()].filter(waiting);
    if (pending.length === 0) return;
    let changed = false;
    await Promise.all(
      pending.map(async (f) => {
        try {
          const { file } = await api.call('GET', `/files/${encodeURIComponent(f.id)}`);
          if (file.status !== f.status) {
            render(file);
            changed = true;
          }
        } catch (err) {
          if (err.code === 'not_found') forget(f.id);
        }
      }),
    );
    if (changed) refreshQuota();
    if ([...state.files.values()].some(waiting)) poll();
  }, POLL_MS);
}

export function stopPolling() {
  clearTimeout(state.polling);
  state.polling = null;
}

export function forget(id) {
  // A deleted file has nothing left to resume either, nor a verdict to tell.
  state.interrupted.delete(id);
  state.sending.delete(id);
  state.awaiting.delete(id);
  for (const entry of big.store?.all() ?? []) {
    if (entry.id === id) {
      big.store.forget(entry);
      big.list.drop(entry.key);
    }
  }
  state.files.delete(id);
  $(`#files tr[data-id="${CSS.escape(id)}"]`)?.remove();
  show($('#files-empty'), state.files.size === 0);
  applyView();
}

async function fetchFile(f) {
  const { url } = await api.call('GET', `/files/${encodeURIComponent(f.id)}/download`);
  // The URL answers with Content-Disposition: attachment, so the page stays.
  const a = h('a', { href: url, download: f.name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}

async function download_(f) {
  try {
    await fetchFile(f);
  } catch (err) {
    message(errorWords(err));
  }
}

// Every ticked file that can be downloaded, one after the other (a browser takes one
// download at a time from a page more readily than a burst).
async function downloadSelected() {
  const files = selectedIds().map((id) => state.files.get(id)).filter(Boolean);
  const ready = files.filter((f) => f.status === 'accepted');
  for (const f of ready) {
    try {
      await fetchFile(f);
    } catch (err) {
      // Deleted meanwhile: nothing to fetch, and nothing to say.
      if (err.code === 'not_found') continue;
      message(errorWords(err));
      return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const skipped = files.length - ready.length;
  if (skipped > 0) {
    message(`${skipped === 1 ? '1 file was' : `${skipped} files were`} skipped: only accepted files can be downloaded.`, 'info');
  }
}

async function deleteSelected() {
  const files = selectedIds().map((id) => state.files.get(id)).filter(Boolean);
  if (files.length === 0) return;
  await knowTrash();
  if (!(await ask(deleteQuestion(files), 'Delete'))) return;
  const deleted = [];
  let failure = null;
  for (const f of files) {
    try {
      await api.call('DELETE', `/files/${encodeURIComponent(f.id)}`);
      forget(f.id);
      deleted.push(f);
    } catch (err) {
      if (err.code === 'not_found') forget(f.id);
      else failure = err;
    }
  }
  refreshQuota();
  shares.load();
  loadTrash(false);
  if (failure) message(`Deleted ${deleted.length} of ${files.length} files. ${errorWords(failure)}`);
  else if (deleted.length) message(deletedWords(deleted), 'info');
  else message('Deleted 0 files.', 'info');
}

// Searching, sorting or filtering is over every file, not only the pages loaded so far.
let loadingAll = null;
function loadAll() {
  loadingAll ??= (async () => {
    for (let pages = 0; state.cursor && pages < 50 && narrowed(); pages += 1) {
      const before = state.cursor;
      await loadFiles(true);
      if (state.cursor === before) break;
    }
  })().finally(() => {
    loadingAll = null;
  });
  return loadingAll;
}

async function remove(f) {
  await knowTrash();
  if (!(await ask(deleteQuestion([f]), 'Delete'))) return;
  try {
    await api.call('DELETE', `/files/${encodeURIComponent(f.id)}`);
    forget(f.id);
    message(deletedWords([f]), 'info');
    refreshQuota();
    shares.load();
    loadTrash(false);
  } catch (err) {
    if (err.code === 'not_found') forget(f.id);
    message(errorWords(err));
  }
}

export function wireFiles() {
  $('#more-files').addEventListener('click', () => loadFiles(true));
  $('#download-selected').addEventListener('click', downloadSelected);
  $('#delete-selected').addEventListener('click', deleteSelected);
  wireListView(loadAll);
}
