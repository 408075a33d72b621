// The trash: the owner's deleted files while the deployment keeps them (`trash_days`, which
// `GET /trash` tells), each restored (back in the file list, its shares still revoked) or
// deleted forever; and the words a delete asks with, which depend on the trash being on.

import * as api from './api.js';
import { $, h, show, ask } from './dom.js';
import { bytes, date } from './format.js';
import { errorWords, holdBadge } from './words.js';
import * as shares from './shares.js';
import { PAGE, state, message } from './state.js';
import { refreshQuota } from './quota.js';

function days(n) {
  return n === 1 ? '1 day' : `${n} days`;
}

// What deleting `files` does, asked before it is done. Only accepted files go to the trash;
// any other is removed at once. Not knowing whether the trash is on, the page says the worst.
export function deleteQuestion(files) {
  const kept = state.trashDays;
  const what = files.length === 1 ? `“${files[0].name}”` : `${files.length} files`;
  if (kept === null) return `Delete ${what}? This may not be undone.`;
  const trashed = kept > 0 ? files.filter((f) => f.status === 'accepted').length : 0;
  if (trashed === 0) return `Delete ${what}? This cannot be undone.`;
  const restore = `can be restored from the trash for ${days(kept)}, then ${trashed === 1 ? 'it is' : 'they are'} deleted for good`;
  if (trashed === files.length) return `Move ${what} to the trash? ${trashed === 1 ? 'It' : 'They'} ${restore}.`;
  const rest = files.length - trashed;
  return `Delete ${what}? ${trashed} accepted ${trashed === 1 ? 'file goes' : 'files go'} to the trash and ${restore}; the other ${rest === 1 ? 'file' : `${rest} files`} (not accepted) cannot be undone.`;
}

// What a delete did, in words: the trash takes accepted files only.
export function deletedWords(files) {
  const trashed = state.trashDays > 0 ? files.filter((f) => f.status === 'accepted').length : 0;
  const what = files.length === 1 ? `“${files[0].name}”` : `${files.length} files`;
  if (trashed === 0) return `Deleted ${what}.`;
  if (trashed === files.length) return `Moved ${what} to the trash: restore ${files.length === 1 ? 'it' : 'them'} there within ${days(state.trashDays)}.`;
  return `Deleted ${what}: ${trashed} moved to the trash, restorable within ${days(state.trashDays)}.`;
}

// Makes sure the page knows whether the trash is on before it asks about a delete.
export async function knowTrash() {
  if (state.trashDays === null) await loadTrash(false);
}

function trashItem(f) {
  return h(
    'li',
    { 'data-id': f.id },
    h('span', { class: 'name' }, f.name),
    holdBadge(f),
    h('span', { class: 'muted' }, f.legal_hold ? `${bytes(f.size)} · kept while the legal hold lasts` : `${bytes(f.size)} · deleted for good on ${date(f.purge_at)}`),
    h(
      'span',
      { class: 'actions' },
      h('button', { type: 'button', class: 'small', 'aria-label': `Restore ${f.name}`, onclick: () => restore(f) }, 'Restore'),
      h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${f.name} forever`, onclick: () => purge(f) }, 'Delete forever'),
    ),
  );
}

function settle() {
  const empty = $('#trash').children.length === 0;
  const off = state.trashDays === 0;
  show($('#trash-empty'), empty && !off);
  show($('#trash-off'), empty && off);
  $('#trash-kept').textContent =
    state.trashDays > 0 ? `Deleted files are kept here for ${days(state.trashDays)}, then deleted for good. They still count against your storage.` : '';
}

// The first page again (`more` false), or the next one.
export async function loadTrash(more) {
  try {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (more && state.trashCursor) q.set('cursor', state.trashCursor);
    const page = await api.call('GET', `/trash?${q}`);
    if (!more) $('#trash').replaceChildren();
    state.trashDays = Number.isInteger(page.trash_days) ? page.trash_days : null;
    for (const f of page.files) {
      if (!$('#trash').querySelector(`li[data-id="${CSS.escape(f.id)}"]`)) $('#trash').append(trashItem(f));
    }
    state.trashCursor = page.next_cursor;
    show($('#more-trash'), !!state.trashCursor);
    settle();
  } catch (err) {
    if (err.status !== 401) message(errorWords(err));
  }
}

function drop(f) {
  $('#trash').querySelector(`li[data-id="${CSS.escape(f.id)}"]`)?.remove();
  settle();
}

async function restore(f) {
  try {
    const { file } = await api.call('POST', `/trash/${encodeURIComponent(f.id)}/restore`);
    drop(f);
    restored(file);
    message(`Restored “${f.name}” to your files. Its shares stay revoked: share it again to send a new link.`, 'info');
    shares.load();
  } catch (err) {
    if (err.code === 'not_found') drop(f);
    message(errorWords(err));
  }
}

async function purge(f) {
  if (!(await ask(`Delete “${f.name}” forever? This cannot be undone.`, 'Delete forever'))) return;
  try {
    await api.call('DELETE', `/trash/${encodeURIComponent(f.id)}`);
    drop(f);
    message(`Deleted “${f.name}” forever.`, 'info');
    refreshQuota();
  } catch (err) {
    if (err.code === 'not_found') drop(f);
    message(errorWords(err));
  }
}

export function forgetTrash() {
  state.trashDays = null;
  state.trashCursor = null;
  $('#trash').replaceChildren();
}

// Puts a restored file back in the file list (given by the entry: the file list imports this
// module for its delete's words, so this one cannot import it back).
let restored = () => {};

export function wireTrash(onRestored) {
  restored = onRestored;
  $('#more-trash').addEventListener('click', () => loadTrash(true));
}
