// Upload links: the owner's list (paged, each revocable) and the form that makes one, whose
// URL is shown once.

import * as api from './api.js';
import { $, h, show, ask } from './dom.js';
import { bytes, date } from './format.js';
import { errorWords, linkStateWords } from './words.js';
import { PAGE, state, message, busy } from './state.js';

// The last link URL shown carries its token: cleared when the account on the page changes.
export function forgetNewLink() {
  $('#new-link-url').value = '';
  show($('#new-link'), false);
}

function linkItem(l) {
  const left = l.max_total_bytes === null ? '' : ` · ${bytes(l.bytes_left)} left`;
  return h(
    'li',
    { 'data-id': l.id, 'data-state': l.state },
    h('span', { class: 'name' }, l.label),
    h('span', { class: `state ${l.state}` }, linkStateWords(l.state)),
    h('span', { class: 'muted' }, `${l.uploads_used} of ${l.max_uploads} uploads used${left} · expires ${date(l.expires_at)}`),
    l.state === 'revoked'
      ? null
      : h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke link ${l.label}`, onclick: () => revoke(l) }, 'Revoke'),
  );
}

function renderLink(l, first) {
  state.links.set(l.id, l);
  const list = $('#links');
  const old = list.querySelector(`li[data-id="${CSS.escape(l.id)}"]`);
  const item = linkItem(l);
  if (old) old.replaceWith(item);
  else if (first) list.prepend(item);
  else list.append(item);
}

export async function loadLinks(more) {
  try {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (more && state.linkCursor) q.set('cursor', state.linkCursor);
    const page = await api.call('GET', `/links?${q}`);
    for (const l of page.links) renderLink(l, false);
    state.linkCursor = page.next_cursor;
    show($('#more-links'), !!state.linkCursor);
  } catch (err) {
    if (err.status !== 401) message(errorWords(err));
  }
}

async function revoke(l) {
  if (!(await ask(`Revoke the link “${l.label}”? It will take no more files.`, 'Revoke'))) return;
  try {
    await api.call('DELETE', `/links/${encodeURIComponent(l.id)}`);
    const { link } = await api.call('GET', `/links/${encodeURIComponent(l.id)}`);
    renderLink(link, false);
    message(`Revoked “${l.label}”.`, 'info');
  } catch (err) {
    message(errorWords(err));
  }
}

export function wireLinks() {
  $('#link-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    show($('#new-link'), false);
    busy(form, async () => {
      const body = {
        label: $('#link-label').value.trim(),
        expires_in: Number($('#link-expiry').value),
        max_uploads: Number($('#link-uses').value),
        require_uploader_name: $('#link-name').checked,
      };
      const mb = $('#link-size').value;
      if (mb) body.max_file_bytes = Math.round(Number(mb) * 1024 * 1024);
      const types = [...form.querySelectorAll('input[name=type]:checked')].map((c) => c.value);
      if (types.length) body.allowed_types = types;
      try {
        const { link } = await api.call('POST', '/links', body);
        renderLink(link, true);
        $('#new-link-url').value = link.url;
        show($('#new-link'), true);
        $('#new-link-url').select();
        form.reset();
        message(`Link “${link.label}” created. Copy it now: it is shown only once.`, 'info');
      } catch (err) {
        message(errorWords(err));
      }
    });
  });
  $('#copy-link').addEventListener('click', async () => {
    const url = $('#new-link-url').value;
    try {
      await navigator.clipboard.writeText(url);
      message('Link copied.', 'info');
    } catch {
      $('#new-link-url').select();
      message('Select the link and copy it.', 'info');
    }
  });
  $('#more-links').addEventListener('click', () => loadLinks(true));
}
