// API tokens for scripts and CI: make one (its secret shown once, to copy), list them (name,
// scope, expiry, last use), revoke one. A section of its own: the settings page places it.

import * as api from './api.js';
import { $, h, ask, say } from './dom.js';
import { date } from './format.js';
import { errorWords } from './words.js';
import { busy } from './state.js';

const SCOPES = {
  full: 'Full: everything but account settings',
  upload: 'Upload: upload files and read their status',
  read: 'Read: list, get and download files',
};

function note(text, kind = 'error') {
  say($('#tokens-message'), text, kind);
}

// The secret is on screen only until it is copied, another token is made or someone logs out.
export function forgetTokenSecret() {
  $('#token-secret-value').value = '';
  $('#token-secret').hidden = true;
}

function row(t) {
  const expired = Date.parse(t.expires_at) <= Date.now();
  return h(
    'li',
    { class: 'token' },
    h('strong', {}, t.name),
    ' ',
    h('span', { class: 'muted' }, SCOPES[t.scope] ?? t.scope),
    h(
      'p',
      { class: 'muted' },
      `${expired ? 'Expired' : 'Expires'} ${date(t.expires_at)} · `,
      t.last_used_at ? `last used ${date(t.last_used_at)}` : 'never used',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'small danger',
        'aria-label': `Revoke token ${t.name}`,
        onclick: () => revoke(t),
      },
      'Revoke',
    ),
  );
}

export async function loadTokens() {
  try {
    const r = await api.call('GET', '/account/tokens');
    const list = $('#tokens');
    list.replaceChildren(...r.tokens.map(row));
    $('#tokens-empty').hidden = r.tokens.length > 0;
  } catch (err) {
    if (err.status !== 401) note(errorWords(err));
  }
}

async function revoke(t) {
  if (!(await ask(`Revoke the token “${t.name}”? Scripts using it stop working at once.`, 'Revoke'))) return;
  try {
    await api.call('DELETE', `/account/tokens/${encodeURIComponent(t.id)}`);
    note(`Revoked “${t.name}”.`, 'info');
  } catch (err) {
    note(errorWords(err));
  }
  await loadTokens();
}

export function wireTokens() {
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      forgetTokenSecret();
      const body = {
        name: $('#token-name').value.trim(),
        scope: $('#token-scope').value,
        expires_in: Number($('#token-expiry').value),
      };
      try {
        const r = await api.call('POST', '/account/tokens', body);
        $('#token-secret-value').value = r.token.secret;
        $('#token-secret').hidden = false;
        $('#token-name').value = '';
        note('Token created. Copy it now: it is not shown again.', 'info');
        await loadTokens();
      } catch (err) {
        note(errorWords(err));
      }
    });
  });
  $('#token-copy').addEventListener('click', async () => {
    const secret = $('#token-secret-value').value;
    try {
      await navigator.clipboard.writeText(secret);
      note('Token copied.', 'info');
    } catch {
      $('#token-secret-value').select();
      note('Select the token and copy it.', 'info');
    }
  });
}
