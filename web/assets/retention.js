// Retention: when a file is deleted by itself (`delete_after`, shown on its row and set or
// cleared in a dialog), and the owner's default for new files (`file_retention_days`, in
// Account settings). An upload link's `retain_days` is on the link's forms (links.js). The
// rules (a time in the future, 1 to 36500 days) are the server's: its refusals are shown.

import * as api from './api.js';
import { $, h, say } from './dom.js';
import { date } from './format.js';
import { errorWords } from './words.js';
import { busy } from './state.js';

// "Deleted on …" under a file's status, or nothing when it is kept until deleted.
export function retentionNote(f) {
  return f.delete_after ? h('span', { class: 'retention' }, `Deleted on ${date(f.delete_after)}`) : null;
}

// The row's button that opens the dialog; `saved` draws the file as the server now has it.
export function retentionButton(f, saved) {
  return h(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Retention of ${f.name}`, onclick: () => openRetention(f, saved) },
    'Retention',
  );
}

// A date input's value (YYYY-MM-DD) for a time, in this browser's time zone.
function dayOf(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// The start of a chosen day, in this browser's time zone, as RFC 3339 (UTC).
function startOf(day) {
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? day : d.toISOString();
}

let current = null; // the file the dialog is about, and what to do once it is saved

async function patch(deleteAfter) {
  const { f, saved } = current;
  try {
    const { file } = await api.call('PATCH', `/files/${encodeURIComponent(f.id)}`, { delete_after: deleteAfter });
    $('#retention-dialog').close();
    saved(file);
  } catch (err) {
    say($('#retention-error'), errorWords(err));
  }
}

export function openRetention(f, saved) {
  current = { f, saved };
  $('#retention-file-form').reset();
  say($('#retention-error'), null);
  $('#retention-file-name').textContent = f.name;
  $('#retention-now').textContent = f.delete_after
    ? `Now deleted on ${date(f.delete_after)}.`
    : 'Now kept until you delete it.';
  $('#retention-date').value = f.delete_after ? dayOf(f.delete_after) : '';
  $('#retention-remove').hidden = !f.delete_after;
  $('#retention-dialog').showModal();
  $('#retention-date').focus();
}

function note(text, kind = 'error') {
  say($('#retention-message'), text, kind);
}

function keptWords(days) {
  if (days === null || days === undefined) return 'New files are kept until you delete them.';
  return `New files are deleted ${days === 1 ? '1 day' : `${days} days`} after they arrive.`;
}

// Whether the owner typed in the days box since it was last filled: the load at log-in, which
// may answer after that, then leaves it alone.
let typed = false;

export async function loadRetention() {
  note(null);
  typed = false;
  try {
    const { settings } = await api.call('GET', '/account/settings');
    if (!typed) $('#retention-days').value = settings.file_retention_days ?? '';
  } catch (err) {
    if (err.status !== 401) note(errorWords(err));
  }
}

async function saveDefault(days) {
  try {
    const { settings } = await api.call('PATCH', '/account/settings', { file_retention_days: days });
    typed = false;
    $('#retention-days').value = settings.file_retention_days ?? '';
    note(keptWords(settings.file_retention_days), 'info');
  } catch (err) {
    note(errorWords(err));
  }
}

export function wireRetention() {
  $('#retention-file-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, () => patch(startOf($('#retention-date').value)));
  });
  $('#retention-remove').addEventListener('click', () => patch(null));
  $('#retention-cancel').addEventListener('click', () => $('#retention-dialog').close());
  $('#retention-dialog').addEventListener('close', () => {
    current = null;
  });

  $('#retention-days').addEventListener('input', () => {
    typed = true;
  });
  $('#retention-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const raw = $('#retention-days').value.trim();
    // Empty is no default, as Clear is; anything else is the server's to judge.
    busy(e.currentTarget, () => saveDefault(raw === '' ? null : Number(raw)));
  });
  $('#retention-clear').addEventListener('click', () => saveDefault(null));
}
