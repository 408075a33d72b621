// The console's review queue (files across owners by status: held ones released or deleted)
// and every owner's upload links (revoked by an admin). Names come from strangers: text only.

import * as api from './api.js';
import { $, h, show, ask } from './dom.js';
import { bytes, date, typeName } from './format.js';
import { errorWords, reasonWords, linkStateWords } from './words.js';

const PAGE = 20;
const review = { cursor: null, status: 'held' };
const links = { cursor: null };
let report = () => {};

function fileItem(f) {
  const owner = f.owner?.email ?? f.owner?.id ?? '';
  const why = f.reason ? ` · ${reasonWords(f.reason)}` : '';
  const threats = (f.threats ?? []).length ? ` (${f.threats.map(String).join(', ')})` : '';
  const from = f.via_link ? ` · through an upload link${f.uploader ? ` from ${f.uploader}` : ''}` : '';
  return h(
    'li',
    { 'data-id': f.id },
    h('span', { class: 'name' }, f.name),
    h('span', { class: `state ${f.status}` }, f.status),
    h('span', { class: 'muted' }, `${owner} · ${bytes(f.size)} · ${typeName(f.detected_type)} · ${date(f.created_at)}${why}${threats}${from}`),
    h(
      'span',
      { class: 'actions' },
      f.status === 'held'
        ? h('button', { type: 'button', class: 'small', 'aria-label': `Release ${f.name}`, onclick: () => release(f) }, 'Release')
        : null,
      h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${f.name}`, onclick: () => remove(f) }, 'Delete'),
    ),
  );
}

async function release(f) {
  try {
    await api.call('POST', `/admin/files/${encodeURIComponent(f.id)}/release`);
    $(`#review li[data-id="${CSS.escape(f.id)}"]`)?.remove();
    show($('#review-empty'), $('#review').children.length === 0);
    report(`Released “${f.name}”: its owner can use it now.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

async function remove(f) {
  if (!(await ask(`Delete “${f.name}” for good? Its owner is not asked.`, 'Delete'))) return;
  try {
    await api.call('DELETE', `/admin/files/${encodeURIComponent(f.id)}`);
    $(`#review li[data-id="${CSS.escape(f.id)}"]`)?.remove();
    show($('#review-empty'), $('#review').children.length === 0);
    report(`Deleted “${f.name}”.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

export async function loadReview(more) {
  const q = new URLSearchParams({ status: review.status, limit: String(PAGE) });
  if (more && review.cursor) q.set('cursor', review.cursor);
  const page = await api.call('GET', `/admin/files?${q}`);
  if (!more) $('#review').replaceChildren();
  for (const f of page.files) $('#review').append(fileItem(f));
  review.cursor = page.next_cursor;
  show($('#review-empty'), $('#review').children.length === 0);
  show($('#review-more'), Boolean(review.cursor));
}

function linkItem(l) {
  const name = l.label || l.name || 'Upload link';
  const owner = l.owner?.email ?? l.owner?.id ?? '';
  return h(
    'li',
    { 'data-id': l.id },
    h('span', { class: 'name' }, name),
    h('span', { class: `state ${l.state}` }, linkStateWords(l.state)),
    h('span', { class: 'muted' }, `${owner}${l.expires_at ? ` · until ${date(l.expires_at)}` : ''}`),
    l.state === 'active'
      ? h('span', { class: 'actions' }, h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke ${name} of ${owner}`, onclick: () => revoke(l, name) }, 'Revoke'))
      : null,
  );
}

async function revoke(l, name) {
  if (!(await ask(`Revoke the upload link “${name}”? Nobody can send files through it any more.`, 'Revoke'))) return;
  try {
    await api.call('DELETE', `/admin/links/${encodeURIComponent(l.id)}`);
    const item = $(`#admin-links li[data-id="${CSS.escape(l.id)}"]`);
    item?.replaceWith(linkItem({ ...l, state: 'revoked' }));
    report(`Revoked “${name}”.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

export async function loadLinks(more) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (more && links.cursor) q.set('cursor', links.cursor);
  const page = await api.call('GET', `/admin/links?${q}`);
  if (!more) $('#admin-links').replaceChildren();
  for (const l of page.links) $('#admin-links').append(linkItem(l));
  links.cursor = page.next_cursor;
  show($('#admin-links-empty'), $('#admin-links').children.length === 0);
  show($('#admin-links-more'), Boolean(links.cursor));
}

export function wireReview(onMessage) {
  report = onMessage;
  const fail = (e) => report(errorWords(e));
  $('#review-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    review.status = $('#review-status').value;
    loadReview(false).catch(fail);
  });
  $('#review-more').addEventListener('click', () => loadReview(true).catch(fail));
  $('#admin-links-more').addEventListener('click', () => loadLinks(true).catch(fail));
}
