// The console's users: a table searched by email prefix, each account's usage against its
// quota, the quota edited (a size like "20 GiB", or back to the deployment's default) and the
// kill switch (disable, enable), and erasure behind typing the account's email.

import * as api from './api.js';
import { $, h, show, ask } from './dom.js';
import { bytes } from './format.js';
import { errorWords } from './words.js';

const PAGE = 20;
const list = { cursor: null, query: '' };
let report = () => {};

const UNIT = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50 };

// "20 GiB", "500MB", "1048576": bytes, or null when it is not a size.
export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]i?b|b)?\s*$/i.exec(text ?? '');
  if (!m) return null;
  const n = Math.round(Number(m[1]) * UNIT[(m[2] ?? 'b').toLowerCase()]);
  return Number.isSafeInteger(n) ? n : null;
}

function usage(u) {
  const of = `${bytes(u.used_bytes)} of ${bytes(u.quota_bytes)}`;
  return `${of}${u.quota_custom ? ' (own quota)' : ''}${u.reserved_bytes ? `, ${bytes(u.reserved_bytes)} on the way` : ''}`;
}

function row(u) {
  const disabled = u.status === 'disabled';
  const bar = h('progress', { max: String(Math.max(1, u.quota_bytes)), value: String(Math.min(u.used_bytes, Math.max(1, u.quota_bytes))), 'aria-label': `Storage used by ${u.email}` });
  return h(
    'tr',
    { 'data-id': u.id },
    h('td', { class: 'name' }, u.email),
    h('td', {}, h('span', { class: `state ${disabled ? 'revoked' : 'active'}` }, disabled ? 'Disabled' : 'Active')),
    h('td', {}, bar, h('span', { class: 'muted usage' }, usage(u))),
    h('td', {}, `${u.files} files · ${u.links} links · ${u.shares} shares`),
    h(
      'td',
      { class: 'actions' },
      h('button', { type: 'button', class: 'small', 'aria-label': `Set quota for ${u.email}`, onclick: () => editQuota(u) }, 'Quota'),
      disabled
        ? h('button', { type: 'button', class: 'small', 'aria-label': `Enable ${u.email}`, onclick: () => setDisabled(u, false) }, 'Enable')
        : h('button', { type: 'button', class: 'small danger', 'aria-label': `Disable ${u.email}`, onclick: () => setDisabled(u, true) }, 'Disable'),
      h('button', { type: 'button', class: 'small danger', 'aria-label': `Erase ${u.email}`, onclick: () => erase(u) }, 'Erase'),
    ),
  );
}

function put(u) {
  const old = $(`#users tr[data-id="${CSS.escape(u.id)}"]`);
  if (old) old.replaceWith(row(u));
  else $('#users').append(row(u));
}

async function patch(u, body, done) {
  try {
    const r = await api.call('PATCH', `/admin/users/${encodeURIComponent(u.id)}`, body);
    put(r.user);
    report(done(r.user), 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

async function setDisabled(u, disabled) {
  if (disabled && !(await ask(`Disable ${u.email}? They are signed out at once, and their upload links and shares stop answering until you enable the account again.`, 'Disable'))) return;
  await patch(u, { disabled }, (n) => `${n.email} is ${disabled ? 'disabled' : 'enabled'}.`);
}

// A small form in a modal dialog; resolves with the field's text, `default`, or null.
function quotaDialog(u) {
  return new Promise((resolve) => {
    const input = h('input', { id: 'quota-input', name: 'quota', type: 'text', inputmode: 'decimal', autocomplete: 'off', value: bytes(u.quota_bytes) });
    const error = h('p', { class: 'message', role: 'alert', hidden: true });
    const dialog = h('dialog', { class: 'ask', 'aria-label': `Quota for ${u.email}` });
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const form = h(
      'form',
      { method: 'dialog' },
      h('label', { for: 'quota-input' }, `New quota for ${u.email}`),
      input,
      h('p', { class: 'hint' }, 'A size such as 20 GiB or 500 MB.'),
      error,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'),
        u.quota_custom ? h('button', { type: 'button', onclick: () => close('default') }, 'Use the default') : null,
        h('button', { type: 'submit', class: 'primary' }, 'Save quota'),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (parseSize(input.value) === null) {
        error.textContent = 'Enter a size such as 20 GiB.';
        error.hidden = false;
        return;
      }
      close(input.value);
    });
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(null);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    input.select();
  });
}

async function editQuota(u) {
  const answer = await quotaDialog(u);
  if (answer === null) return;
  const quota = answer === 'default' ? null : parseSize(answer);
  await patch(u, { quota_bytes: quota }, (n) => `${n.email} may now store ${bytes(n.quota_bytes)}${n.quota_custom ? '' : ' (the default)'}.`);
}

// The typed confirmation: resolves true once the account's email is typed and confirmed.
function eraseDialog(u) {
  return new Promise((resolve) => {
    const input = h('input', { id: 'erase-input', name: 'confirm', type: 'text', autocomplete: 'off' });
    const error = h('p', { class: 'message', role: 'alert', hidden: true });
    const dialog = h('dialog', { class: 'ask', 'aria-label': `Erase ${u.email}` });
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const form = h(
      'form',
      { method: 'dialog' },
      h('p', {}, `Erasing ${u.email} removes every file, upload link, share, API token and webhook of the account, then the account itself. This cannot be undone.`),
      h('label', { for: 'erase-input' }, `Type ${u.email} to confirm`),
      input,
      error,
      h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => close(false) }, 'Cancel'), h('button', { type: 'submit', class: 'danger' }, 'Erase account')),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (input.value.trim().toLowerCase() !== u.email.toLowerCase()) {
        error.textContent = `Type ${u.email} exactly.`;
        error.hidden = false;
        return;
      }
      close(true);
    });
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

async function erase(u) {
  if (!(await eraseDialog(u))) return;
  try {
    const r = await api.call('DELETE', `/admin/users/${encodeURIComponent(u.id)}`);
    $(`#users tr[data-id="${CSS.escape(u.id)}"]`)?.remove();
    show($('#users-empty'), $('#users').children.length === 0);
    const n = r.erasure;
    const count = (k, one) => `${k} ${one}${k === 1 ? '' : 's'}`;
    report(`${u.email} is erased: ${count(n.files, 'file')} (${bytes(n.bytes)}), ${count(n.links, 'upload link')} and ${count(n.shares, 'share')} removed.`, 'ok');
  } catch (e) {
    report(errorWords(e));
  }
}

// The first page for the current search (`more` false), or the next one. Throws what the
// first call meets (the page tells a refusal from a failure).
export async function loadUsers(more) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (list.query) q.set('query', list.query);
  if (more && list.cursor) q.set('cursor', list.cursor);
  const page = await api.call('GET', `/admin/users?${q}`);
  if (!more) $('#users').replaceChildren();
  for (const u of page.users) put(u);
  list.cursor = page.next_cursor;
  show($('#users-empty'), $('#users').children.length === 0);
  show($('#users-more'), Boolean(list.cursor));
}

export function wireUsers(onMessage) {
  report = onMessage;
  $('#users-search').addEventListener('submit', async (e) => {
    e.preventDefault();
    list.query = $('#users-query').value.trim();
    await loadUsers(false).catch((err) => report(errorWords(err)));
  });
  $('#users-more').addEventListener('click', () => loadUsers(true).catch((err) => report(errorWords(err))));
}
