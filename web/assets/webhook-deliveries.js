// A webhook's delivery log in a dialog: every attempt (event, attempt number, the receiver's
// status or why none came, when, when the retry is due), newest first and paged, each
// delivery's newest attempt with a Redeliver button. After a redelivery the log is read again
// for a while, until the new attempt shows.

import * as api from './api.js';
import { $, h, show, say } from './dom.js';
import { date } from './format.js';
import { eventWords } from './events.js';
import { errorWords } from './words.js';
import { POLL_MS } from './state.js';

let hook = null; // the webhook whose log is open
let cursor = null;
let rows = 0; // attempts shown
let seen = new Set(); // delivery ids with a Redeliver button already
let watching = null;

function error(text, kind = 'error') {
  say($('#deliveries-error'), text, kind);
}

function result(d) {
  if (d.status_code !== undefined && d.status_code !== null) return `HTTP ${d.status_code}`;
  return d.error ? String(d.error) : 'No answer';
}

function row(d) {
  const first = !seen.has(d.id);
  seen.add(d.id);
  const cell = (label, ...content) => h('td', { 'data-label': label }, ...content);
  return h(
    'tr',
    { 'data-delivery': d.id },
    cell('Event', eventWords(d.type)),
    cell('Attempt', String(d.attempt)),
    cell('Result', result(d)),
    cell('Time', date(d.at)),
    cell('Next attempt', d.next_attempt_at ? date(d.next_attempt_at) : '—'),
    h(
      'td',
      { class: 'actions' },
      first
        ? h(
            'button',
            { type: 'button', class: 'small', 'aria-label': `Redeliver ${eventWords(d.type)} of ${date(d.at)}`, onclick: () => redeliver(d) },
            'Redeliver',
          )
        : null,
    ),
  );
}

async function load(more) {
  const w = hook;
  if (!w) return;
  try {
    const q = more && cursor ? `?${new URLSearchParams({ cursor })}` : '';
    const page = await api.call('GET', `/webhooks/${encodeURIComponent(w.id)}/deliveries${q}`);
    if (hook !== w) return;
    const body = $('#deliveries tbody');
    if (!more) {
      body.replaceChildren();
      seen = new Set();
      rows = 0;
    }
    body.append(...page.deliveries.map(row));
    rows += page.deliveries.length;
    cursor = page.next_cursor;
    show($('#deliveries-more'), !!cursor);
    show($('#deliveries-empty'), rows === 0);
  } catch (err) {
    error(errorWords(err));
  }
}

// Reads the log again every POLL_MS, a bounded number of times, until it has more attempts.
function watch() {
  clearTimeout(watching);
  const before = rows;
  let left = 10;
  const tick = async () => {
    watching = null;
    if (!hook) return;
    await load(false);
    left -= 1;
    if (rows === before && left > 0) watching = setTimeout(tick, POLL_MS);
  };
  watching = setTimeout(tick, POLL_MS);
}

async function redeliver(d) {
  try {
    await api.call('POST', `/webhooks/${encodeURIComponent(hook.id)}/deliveries/${encodeURIComponent(d.id)}/redeliver`);
    error('Sent again: the new attempt shows here in a moment.', 'info');
    watch();
  } catch (err) {
    error(errorWords(err));
  }
}

export async function openDeliveries(w) {
  hook = w;
  cursor = null;
  error(null);
  $('#deliveries-url').textContent = w.url;
  $('#deliveries tbody').replaceChildren();
  show($('#deliveries-empty'), false);
  show($('#deliveries-more'), false);
  $('#deliveries-dialog').showModal();
  await load(false);
  // A test just sent is on its way: the log is read again until its attempt shows.
  if (rows === 0) watch();
}

export function wireDeliveries() {
  $('#deliveries-close').addEventListener('click', () => $('#deliveries-dialog').close());
  $('#deliveries-refresh').addEventListener('click', () => load(false));
  $('#deliveries-more').addEventListener('click', () => load(true));
  $('#deliveries-dialog').addEventListener('close', () => {
    clearTimeout(watching);
    watching = null;
    hook = null;
  });
}
