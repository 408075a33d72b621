// The console's audit log: entries newest first, filtered by action, actor, target and time,
// and the whole log (or the filtered time range) exported as JSONL, page by page, as
// `dropgate admin audit verify` reads it.

import * as api from './api.js';
import { $, h, show, say } from './dom.js';
import { date } from './format.js';
import { errorWords } from './words.js';

const PAGE = 50;
const audit = { cursor: null, filters: {} };
let report = () => {};

function iso(local) {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function filters() {
  const f = {};
  for (const k of ['action', 'actor', 'target']) {
    const v = $(`#audit-${k}`).value.trim();
    if (v) f[k] = v;
  }
  for (const k of ['since', 'until']) {
    const v = iso($(`#audit-${k}`).value);
    if (v) f[k] = v;
  }
  return f;
}

function row(e) {
  return h(
    'tr',
    {},
    h('td', {}, String(e.seq)),
    h('td', {}, date(e.at)),
    h('td', {}, `${e.actor?.kind ?? ''} ${e.actor?.id ?? ''}`.trim()),
    h('td', {}, e.action),
    h('td', {}, `${e.target?.kind ?? ''}:${e.target?.id ?? ''}`),
  );
}

export async function loadAudit(more) {
  const q = new URLSearchParams({ ...audit.filters, limit: String(PAGE) });
  if (more && audit.cursor) q.set('cursor', audit.cursor);
  const page = await api.call('GET', `/admin/audit?${q}`);
  if (!more) $('#audit').replaceChildren();
  for (const e of page.entries) $('#audit').append(row(e));
  audit.cursor = page.next_cursor;
  show($('#audit-empty'), $('#audit').children.length === 0);
  show($('#audit-more'), Boolean(audit.cursor));
}

// Every page of the export, then one file to save. The first page records the export itself.
async function exportLog() {
  const button = $('#audit-export');
  button.disabled = true;
  say($('#audit-message'), 'Exporting…', 'ok');
  try {
    const chunks = [];
    let cursor = null;
    let entries = 0;
    do {
      const q = new URLSearchParams({ format: 'jsonl' });
      for (const k of ['since', 'until']) if (audit.filters[k]) q.set(k, audit.filters[k]);
      if (cursor) q.set('cursor', cursor);
      const r = await api.raw('GET', `/admin/audit/export?${q}`);
      const text = await r.text();
      entries += text.split('\n').filter(Boolean).length;
      chunks.push(text);
      cursor = r.headers.get('dropgate-next-cursor');
    } while (cursor);
    const blob = new Blob(chunks, { type: 'application/x-ndjson' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `dropgate-audit-${new Date().toISOString().slice(0, 10)}.jsonl` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    say($('#audit-message'), `Exported ${entries} ${entries === 1 ? 'entry' : 'entries'}. Check it with: dropgate admin audit verify FILE`, 'ok');
  } catch (e) {
    say($('#audit-message'), errorWords(e));
  } finally {
    button.disabled = false;
  }
}

export function wireAudit(onMessage) {
  report = onMessage;
  const fail = (e) => report(errorWords(e));
  $('#audit-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    audit.filters = filters();
    loadAudit(false).catch(fail);
  });
  $('#audit-more').addEventListener('click', () => loadAudit(true).catch(fail));
  $('#audit-export').addEventListener('click', exportLog);
}
