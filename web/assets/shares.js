// The owner's shares: create one for an accepted file (a dialog), list them with every setting
// and their counts, copy a share's link again or show it as a QR code, see its download log,
// edit or revoke a live one, remove an ended one (hidden behind a toggle).

import * as api from './api.js';
import { $, h, show, say, ask } from './dom.js';
import { date } from './format.js';
import { errorWords } from './words.js';
import { qrSvg, copyUrl } from './qr.js';

const STATES = { active: 'Active', expired: 'Expired', exhausted: 'Used up', revoked: 'Revoked' };

let names = new Map(); // file id -> name, for the list
let message = () => {};

export function init({ fileNames, onMessage }) {
  names = fileNames;
  message = onMessage;
  $('#share-cancel').addEventListener('click', () => $('#share-dialog').close());
  $('#share-edit-cancel').addEventListener('click', () => $('#share-edit-dialog').close());
  $('#copy-share').addEventListener('click', () => copyUrl($('#new-share-url').value, message, 'Share link'));
  $('#show-ended-shares').addEventListener('change', (e) => {
    $('#shares').classList.toggle('hide-ended', !e.currentTarget.checked);
  });
}

// The counts in words: while live, what is left and until when; once ended, only what was.
function usage(s) {
  const done = `${s.downloads} ${s.downloads === 1 ? 'download' : 'downloads'}`;
  const pw = s.password_protected ? ' · password' : '';
  const mail = s.notify_owner ? ' · mails you' : '';
  if (s.state !== 'active') return `${done}${pw}${mail}`;
  const left = s.max_downloads === null ? 'no limit' : `${s.downloads_left} left`;
  return `${done} (${left})${pw}${mail} · until ${date(s.expires_at)}`;
}

async function showLog(s, box) {
  if (!box.hidden) return show(box, false);
  try {
    const { downloads } = await api.call('GET', `/shares/${encodeURIComponent(s.id)}/downloads?limit=50`);
    const rows = downloads.map((d) => h('li', {}, `${date(d.at)} · ${d.user_agent}${d.source_ip ? ` · ${d.source_ip}` : ''}`));
    box.replaceChildren(rows.length ? h('ul', { 'aria-label': 'Download log' }, rows) : h('p', { class: 'muted' }, 'No downloads yet.'));
    show(box, true);
  } catch (err) {
    message(errorWords(err));
  }
}

function item(s) {
  const file = names.get(s.file_id) ?? 'a deleted file';
  const title = s.label ? `${s.label} (${file})` : file;
  const live = s.state === 'active';
  const qr = h('div', { class: 'qr-box', hidden: true });
  const log = h('div', { class: 'log', hidden: true });
  const toggleQr = () => {
    if (!qr.firstChild) qr.append(qrSvg(s.url, `QR code of the share ${title}`));
    show(qr, qr.hidden);
  };
  return h(
    'li',
    { 'data-id': s.id, 'data-state': s.state },
    h('span', { class: 'name' }, title),
    h('span', { class: `state ${s.state === 'exhausted' ? 'used_up' : s.state}` }, STATES[s.state] ?? s.state),
    h('span', { class: 'muted' }, usage(s)),
    live && !s.url ? h('span', { class: 'muted' }, 'Made before links could be copied again: revoke it and share again to copy it.') : null,
    h(
      'span',
      { class: 'actions' },
      live && s.url ? h('button', { type: 'button', class: 'small', 'aria-label': `Copy share link ${title}`, onclick: () => copyUrl(s.url, message, 'Share link') }, 'Copy link') : null,
      live && s.url ? h('button', { type: 'button', class: 'small', 'aria-label': `QR code of share ${title}`, onclick: toggleQr }, 'QR code') : null,
      h('button', { type: 'button', class: 'small', 'aria-label': `Downloads of share ${title}`, onclick: () => showLog(s, log) }, 'Downloads'),
      live ? h('button', { type: 'button', class: 'small', 'aria-label': `Edit share ${title}`, onclick: () => edit(s, title) }, 'Edit') : null,
      live
        ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke share ${title}`, onclick: () => revoke(s, title) }, 'Revoke')
        : h('button', { type: 'button', class: 'small', 'aria-label': `Remove share ${title}`, onclick: () => remove(s, title) }, 'Remove'),
    ),
    qr,
    log,
  );
}

// Forgets the last share link shown (it carries a token): on logout and login.
export function forget() {
  $('#new-share-url').value = '';
  show($('#new-share'), false);
}

export async function load() {
  try {
    const page = await api.call('GET', '/shares?limit=50');
    $('#shares').replaceChildren(...page.shares.map(item));
    show($('#shares-empty'), page.shares.length === 0);
    const ended = page.shares.filter((s) => s.state !== 'active').length;
    $('#ended-shares-count').textContent = ended ? ` (${ended})` : '';
  } catch (err) {
    if (err.status !== 401) message(errorWords(err));
  }
}

async function revoke(s, title) {
  if (!(await ask(`Revoke the share “${title}”? Its link stops working.`, 'Revoke'))) return;
  try {
    await api.call('DELETE', `/shares/${encodeURIComponent(s.id)}`);
    message(`Revoked the share “${title}”.`, 'info');
    await load();
  } catch (err) {
    message(errorWords(err));
  }
}

async function remove(s, title) {
  if (!(await ask(`Remove the ended share “${title}” from this list?`, 'Remove'))) return;
  try {
    await api.call('DELETE', `/shares/${encodeURIComponent(s.id)}?remove=true`);
    message(`Removed the share “${title}”.`, 'info');
    await load();
  } catch (err) {
    message(errorWords(err));
  }
}

// The edit dialog, filled with the share's settings; only what changed is sent.
function edit(s, title) {
  const dialog = $('#share-edit-dialog');
  const form = $('#share-edit-form');
  form.reset();
  say($('#share-edit-error'), null);
  $('#share-edit-name').textContent = title;
  $('#share-edit-label').value = s.label ?? '';
  $('#share-edit-max').value = s.max_downloads === null ? '' : String(s.max_downloads);
  $('#share-edit-notify').checked = s.notify_owner;
  show($('#share-edit-nopass-row'), s.password_protected);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const body = {};
    const label = $('#share-edit-label').value.trim();
    if (label !== (s.label ?? '')) body.label = label || null;
    const expiry = $('#share-edit-expiry').value;
    if (expiry) body.expires_in = Number(expiry);
    const max = $('#share-edit-max').value;
    const maxNow = max ? Number(max) : null;
    if (maxNow !== s.max_downloads) body.max_downloads = maxNow;
    const password = $('#share-edit-password').value;
    if (password) body.password = password;
    else if (s.password_protected && $('#share-edit-nopass').checked) body.password = null;
    if ($('#share-edit-notify').checked !== s.notify_owner) body.notify_owner = $('#share-edit-notify').checked;
    try {
      await api.call('PATCH', `/shares/${encodeURIComponent(s.id)}`, body);
      dialog.close();
      message(`Saved the share “${title}”.`, 'info');
      await load();
    } catch (err) {
      say($('#share-edit-error'), errorWords(err));
    }
  };
  dialog.showModal();
  $('#share-edit-label').focus();
}

// Opens the dialog for `file`; creates the share on submit.
export function open(file) {
  const dialog = $('#share-dialog');
  const form = $('#share-form');
  form.reset();
  say($('#share-error'), null);
  $('#share-file-name').textContent = file.name;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const body = {
      expires_in: Number($('#share-expiry').value),
      notify_owner: $('#share-notify').checked,
    };
    const label = $('#share-label').value.trim();
    if (label) body.label = label;
    const max = $('#share-max').value;
    if (max) body.max_downloads = Number(max);
    const password = $('#share-password-new').value;
    if (password) body.password = password;
    try {
      const { share } = await api.call('POST', `/files/${encodeURIComponent(file.id)}/shares`, body);
      dialog.close();
      $('#new-share-url').value = share.url;
      show($('#new-share'), true);
      message(`Share of “${file.name}” created. Copy its link here, or later from the list.`, 'info');
      await load();
      $('#new-share-url').focus();
      $('#new-share-url').select();
    } catch (err) {
      say($('#share-error'), errorWords(err));
    }
  };
  dialog.showModal();
  $('#share-label').focus();
}
