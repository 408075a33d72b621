// The owner's shares: create one for an accepted file (a dialog), list them with their
// counts, revoke.

import * as api from './api.js';
import { $, h, show, say, ask } from './dom.js';
import { date } from './format.js';
import { errorWords } from './words.js';

const STATES = { active: 'Active', expired: 'Expired', exhausted: 'No downloads left', revoked: 'Revoked' };

let names = new Map(); // file id -> name, for the list
let message = () => {};

export function init({ fileNames, onMessage }) {
  names = fileNames;
  message = onMessage;
  $('#share-cancel').addEventListener('click', () => $('#share-dialog').close());
  $('#copy-share').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('#new-share-url').value);
      message('Share link copied.', 'info');
    } catch {
      $('#new-share-url').select();
    }
  });
}

function item(s) {
  const file = names.get(s.file_id) ?? 'a deleted file';
  const left = s.max_downloads === null ? 'no limit' : `${s.downloads_left} left`;
  const title = s.label ? `${s.label} (${file})` : file;
  return h(
    'li',
    { 'data-id': s.id, 'data-state': s.state },
    h('span', { class: 'name' }, title),
    h('span', { class: `state ${s.state === 'exhausted' ? 'used_up' : s.state}` }, STATES[s.state] ?? s.state),
    h(
      'span',
      { class: 'muted' },
      `${s.downloads} ${s.downloads === 1 ? 'download' : 'downloads'} (${left})${s.password_protected ? ' · password' : ''} · until ${date(s.expires_at)}`,
    ),
    s.state === 'revoked'
      ? null
      : h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke share ${title}`, onclick: () => revoke(s, title) }, 'Revoke'),
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
      message(`Share of “${file.name}” created. Copy its link now: it is shown only once.`, 'info');
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
