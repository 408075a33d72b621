// The console's review queue (files across owners by status: a held file released, any file
// deleted for good, each after a confirmation) and every upload link (revoked after a
// confirmation). Names and labels are strangers' words: they go in as text only.

import * as api from './api.js';
import { $, h, show, ask } from './dom.js';
import { bytes } from './format.js';
import { errorWords, holdBadge } from './words.js';

const PAGE = 20;
const queue = { cursor: null, status: 'held' };
const all = { cursor: null };
let report = () => {};

const STATUS_WORDS = { held: 'Held', rejected: 'Rejected', scanning: 'Scanning', accepted: 'Accepted' };
const LINK_WORDS = { active: 'Active', expired: 'Expired', used_up: 'Used up', revoked: 'Revoked' };

const ownerOf = (o) => o.email ?? o.id;

function fileRow(f) {
  const details = [f.reason, f.threats?.length ? `threats: ${f.threats.join(', ')}` : null, f.via_link ? 'through an upload link' : null].filter(Boolean).join(' · ');
  return h(
    'tr',
    { 'data-id': f.id },
    h('td', { class: 'name' }, f.name),
    h('td', {}, ownerOf(f.owner)),
    h(
      'td',
      {},
      h('span', { class: `state ${f.status === 'accepted' ? 'active' : f.status === 'rejected' ? 'revoked' : ''}` }, STATUS_WORDS[f.status] ?? f.status),
      holdBadge(f),
      details ? h('span', { class: 'muted usage' }, details) : null,
      f.legal_hold ? h('span', { class: 'muted usage hold-reason' }, `Hold: ${f.hold_reason ?? ''}`) : null,
    ),
    h('td', {}, bytes(f.size)),
    h(
      'td',
      { class: 'actions' },
      f.status === 'held' ? h('button', { type: 'button', class: 'small', 'aria-label': `Release ${f.name}`, onclick: () => release(f) }, 'Release') : null,
      f.legal_hold
        ? h('button', { type: 'button', class: 'small', 'aria-label': `Release the legal hold on ${f.name}`, onclick: () => unhold(f) }, 'Release hold')
        : f.status === 'held' || f.status === 'accepted'
          ? h('button', { type: 'button', class: 'small', 'aria-label': `Put ${f.name} under a legal hold`, onclick: () => hold(f) }, 'Hold')
          : null,
      h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${f.name} for good`, onclick: () => removeFile(f) }, 'Delete'),
    ),
  );
}

function rowOf(list, id) {
  return $(`#${list} tr[data-id="${CSS.escape(id)}"]`);
}

function afterChange(list, empty) {
  show($(`#${empty}`), $(`#${list}`).children.length === 0);
}

async function release(f) {
  if (!(await ask(`Release ${f.name}? Its owner can download and share it at once, and is told.`, 'Release'))) return;
  try {
    await api.call('POST', `/admin/files/${encodeURIComponent(f.id)}/release`);
    // Released files leave the held queue; in another view the row shows what it is now.
    rowOf('review', f.id)?.remove();
    afterChange('review', 'review-empty');
    report(`${f.name} is released.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

// Asks an admin why a file is held: the reason is required, kept for admins only.
function askReason(name) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'ask', 'aria-label': `Put ${name} under a legal hold` });
    const reason = h('textarea', { id: 'hold-reason', maxlength: '500', rows: '3', required: true });
    const yes = h('button', { type: 'button', class: 'danger' }, 'Hold');
    const no = h('button', { type: 'button' }, 'Cancel');
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener('click', () => {
      if (reason.value.trim()) close(reason.value);
      else reason.focus();
    });
    no.addEventListener('click', () => close(null));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(null);
    });
    dialog.append(
      h('p', {}, `Put ${name} under a legal hold? Nobody can delete it, its owner included, until the hold is released. Its owner sees that it is held, not why.`),
      h('label', { for: 'hold-reason' }, 'Reason (admins only)'),
      reason,
      h('div', { class: 'row' }, no, yes),
    );
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}

function replaceRow(f) {
  rowOf('review', f.id)?.replaceWith(fileRow(f));
}

async function hold(f) {
  const reason = await askReason(f.name);
  if (reason === null) return;
  try {
    const { file } = await api.call('POST', `/admin/files/${encodeURIComponent(f.id)}/hold`, { reason });
    replaceRow(file);
    report(`${f.name} is under a legal hold.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

async function unhold(f) {
  if (!(await ask(`Release the legal hold on ${f.name}? It can be deleted again, by its owner, an admin or its retention.`, 'Release hold'))) return;
  try {
    const { file } = await api.call('DELETE', `/admin/files/${encodeURIComponent(f.id)}/hold`);
    replaceRow(file);
    report(`The legal hold on ${f.name} is released.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

async function removeFile(f) {
  if (!(await ask(`Delete ${f.name} for good? Its bytes and record go at once; nothing brings them back.`, 'Delete'))) return;
  try {
    await api.call('DELETE', `/admin/files/${encodeURIComponent(f.id)}`);
    rowOf('review', f.id)?.remove();
    afterChange('review', 'review-empty');
    report(`${f.name} is deleted.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

function linkRow(l) {
  return h(
    'tr',
    { 'data-id': l.id },
    h('td', { class: 'name' }, l.label),
    h('td', {}, ownerOf(l.owner)),
    h('td', {}, h('span', { class: `state ${l.state}` }, LINK_WORDS[l.state] ?? l.state)),
    h('td', {}, `${l.uploads_used} of ${l.max_uploads} uploads`),
    h('td', { class: 'actions' }, l.state === 'revoked' ? null : h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke the link ${l.label}`, onclick: () => revoke(l) }, 'Revoke')),
  );
}

async function revoke(l) {
  if (!(await ask(`Revoke the link ${l.label}? It stops taking files at once.`, 'Revoke'))) return;
  try {
    await api.call('DELETE', `/admin/links/${encodeURIComponent(l.id)}`);
    rowOf('all-links', l.id)?.replaceWith(linkRow({ ...l, state: 'revoked', revoked: true }));
    report(`The link ${l.label} is revoked.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

// The first page of the chosen status (`more` false), or the next one.
export async function loadReview(more) {
  const q = new URLSearchParams({ limit: String(PAGE), status: queue.status });
  if (more && queue.cursor) q.set('cursor', queue.cursor);
  const page = await api.call('GET', `/admin/files?${q}`);
  if (!more) $('#review').replaceChildren();
  for (const f of page.files) $('#review').append(fileRow(f));
  queue.cursor = page.next_cursor;
  afterChange('review', 'review-empty');
  show($('#review-more'), Boolean(queue.cursor));
}

export async function loadLinks(more) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (more && all.cursor) q.set('cursor', all.cursor);
  const page = await api.call('GET', `/admin/links?${q}`);
  if (!more) $('#all-links').replaceChildren();
  for (const l of page.links) $('#all-links').append(linkRow(l));
  all.cursor = page.next_cursor;
  afterChange('all-links', 'links-empty');
  show($('#links-more'), Boolean(all.cursor));
}

export function wireReview(onMessage) {
  report = onMessage;
  const fail = (err) => report(errorWords(err));
  $('#review-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    queue.status = $('#review-status').value;
    loadReview(false).catch(fail);
  });
  $('#review-more').addEventListener('click', () => loadReview(true).catch(fail));
  $('#links-more').addEventListener('click', () => loadLinks(true).catch(fail));
  $('#links-reload').addEventListener('click', () => loadLinks(false).catch(fail));
}
