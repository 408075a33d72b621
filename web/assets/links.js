// Upload links: the owner's list (paged; every setting shown; the URL to copy again or show as
// a QR code; live ones edited or revoked, ended ones hidden behind a toggle and removable) and
// the form that makes one.

import * as api from './api.js';
import { $, h, show, say, ask } from './dom.js';
import { bytes, date, typeName } from './format.js';
import { allowedWords, errorWords, linkStateWords } from './words.js';
import { PAGE, state, message, busy } from './state.js';
import { qrSvg, copyUrl } from './qr.js';

// The last link URL shown carries its token: cleared when the account on the page changes.
export function forgetNewLink() {
  $('#new-link-url').value = '';
  show($('#new-link'), false);
}

// Every setting of a link, in words.
function settings(l) {
  const types = allowedWords(l.allowed_types);
  const total = l.max_total_bytes === null ? 'no total limit' : `${bytes(l.max_total_bytes)} in all`;
  const name = l.require_uploader_name ? 'name required' : 'no name asked';
  return `Allowed: ${types} · up to ${bytes(l.max_file_bytes)} per file · ${total} · ${name} · ${keptWords(l.retain_days)}`;
}

// How long files received through the link are kept (`retain_days`).
function keptWords(days) {
  if (days === null || days === undefined) return "files kept as your account's default";
  return `files kept ${days === 1 ? '1 day' : `${days} days`}`;
}

// A days field: empty is none (null), anything else is the server's to judge.
function daysOf(input) {
  const raw = input.value.trim();
  return raw === '' ? null : Number(raw);
}

// What is used, and, while live, what is left and until when; an ended link says only that.
function usage(l) {
  const used = `${l.uploads_used} of ${l.max_uploads} uploads used`;
  if (l.state !== 'active') return used;
  const left = l.max_total_bytes === null ? '' : ` · ${bytes(l.bytes_left)} left`;
  return `${used}${left} · expires ${date(l.expires_at)}`;
}

function linkItem(l) {
  const live = l.state === 'active';
  const qr = h('div', { class: 'qr-box', hidden: true });
  const toggleQr = () => {
    if (!qr.firstChild) qr.append(qrSvg(l.url, `QR code of the link ${l.label}`));
    show(qr, qr.hidden);
  };
  return h(
    'li',
    { 'data-id': l.id, 'data-state': l.state },
    h('span', { class: 'name' }, l.label),
    h('span', { class: `state ${l.state}` }, linkStateWords(l.state)),
    h('span', { class: 'muted' }, usage(l)),
    h('span', { class: 'muted settings' }, settings(l)),
    live && !l.url ? h('span', { class: 'muted' }, 'Made before links could be copied again: revoke it and make a new one to copy it.') : null,
    h(
      'span',
      { class: 'actions' },
      live && l.url ? h('button', { type: 'button', class: 'small', 'aria-label': `Copy link ${l.label}`, onclick: () => copyUrl(l.url, message, 'Link') }, 'Copy link') : null,
      live && l.url ? h('button', { type: 'button', class: 'small', 'aria-label': `QR code of link ${l.label}`, onclick: toggleQr }, 'QR code') : null,
      live ? h('button', { type: 'button', class: 'small', 'aria-label': `Edit link ${l.label}`, onclick: () => edit(l) }, 'Edit') : null,
      live
        ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke link ${l.label}`, onclick: () => revoke(l) }, 'Revoke')
        : h('button', { type: 'button', class: 'small', 'aria-label': `Remove link ${l.label}`, onclick: () => remove(l) }, 'Remove'),
    ),
    qr,
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
  countEnded();
}

// Ended links are hidden unless asked for; the toggle says how many there are.
function countEnded() {
  const ended = $('#links').querySelectorAll('li:not([data-state="active"])').length;
  $('#ended-links-count').textContent = ended ? ` (${ended})` : '';
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

async function reread(l) {
  const { link } = await api.call('GET', `/links/${encodeURIComponent(l.id)}`);
  renderLink(link, false);
}

async function revoke(l) {
  if (!(await ask(`Revoke the link “${l.label}”? It will take no more files.`, 'Revoke'))) return;
  try {
    await api.call('DELETE', `/links/${encodeURIComponent(l.id)}`);
    await reread(l);
    message(`Revoked “${l.label}”.`, 'info');
  } catch (err) {
    message(errorWords(err));
  }
}

async function remove(l) {
  if (!(await ask(`Remove the ended link “${l.label}” from this list? Files it brought stay.`, 'Remove'))) return;
  try {
    await api.call('DELETE', `/links/${encodeURIComponent(l.id)}?remove=true`);
    $('#links').querySelector(`li[data-id="${CSS.escape(l.id)}"]`)?.remove();
    state.links.delete(l.id);
    countEnded();
    message(`Removed “${l.label}”.`, 'info');
  } catch (err) {
    message(errorWords(err));
  }
}

// The edit dialog's type boxes: the creation form's choices plus any type the link allows
// beyond them. Built when the dialog opens and removed when it closes, so the page never holds
// two checkboxes labelled "PDF" while only one of them can be seen.
function typeBoxes(had) {
  const set = $('#link-edit-types');
  set.querySelectorAll('label').forEach((n) => n.remove());
  const choices = [...document.querySelectorAll('#link-form input[name=type]')].map((c) => [c.value, c.parentElement.textContent.trim()]);
  for (const t of had) if (!choices.some(([v]) => v === t)) choices.push([t, typeName(t)]);
  const hint = set.querySelector('.hint');
  return choices.map(([value, words]) => {
    const box = h('input', { type: 'checkbox', name: 'edit-type', value });
    box.checked = had.includes(value);
    set.insertBefore(h('label', {}, box, ` ${words}`), hint);
    return box;
  });
}

// The edit dialog, filled with the link's settings; only what changed is sent.
function edit(l) {
  const dialog = $('#link-edit-dialog');
  const form = $('#link-edit-form');
  form.reset();
  say($('#link-edit-error'), null);
  $('#link-edit-label').value = l.label;
  $('#link-edit-uses').value = String(l.max_uploads);
  $('#link-edit-size').value = String(Math.max(1, Math.round(l.max_file_bytes / (1024 * 1024))));
  $('#link-edit-name').checked = l.require_uploader_name;
  $('#link-edit-retain').value = l.retain_days ?? '';
  const had = Array.isArray(l.allowed_types) ? l.allowed_types : [];
  const boxes = typeBoxes(had);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const body = {};
    const label = $('#link-edit-label').value.trim();
    if (label !== l.label) body.label = label;
    const expiry = $('#link-edit-expiry').value;
    if (expiry) body.expires_in = Number(expiry);
    const uses = Number($('#link-edit-uses').value);
    if (uses !== l.max_uploads) body.max_uploads = uses;
    const size = Math.round(Number($('#link-edit-size').value) * 1024 * 1024);
    if ($('#link-edit-size').value && Math.abs(size - l.max_file_bytes) >= 1024 * 1024) body.max_file_bytes = size;
    if ($('#link-edit-name').checked !== l.require_uploader_name) body.require_uploader_name = $('#link-edit-name').checked;
    const retain = daysOf($('#link-edit-retain'));
    if (retain !== (l.retain_days ?? null)) body.retain_days = retain;
    const types = boxes.filter((b) => b.checked).map((b) => b.value);
    if (types.length !== had.length || types.some((t) => !had.includes(t))) {
      // None checked gives the link back to what the service allows.
      body.allowed_types = types.length ? types : null;
    }
    try {
      const { link } = await api.call('PATCH', `/links/${encodeURIComponent(l.id)}`, body);
      dialog.close();
      renderLink(link, false);
      message(`Saved “${link.label}”.`, 'info');
    } catch (err) {
      say($('#link-edit-error'), errorWords(err));
    }
  };
  dialog.showModal();
  $('#link-edit-label').focus();
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
      const retain = daysOf($('#link-retain'));
      if (retain !== null) body.retain_days = retain;
      const types = [...form.querySelectorAll('input[name=type]:checked')].map((c) => c.value);
      if (types.length) body.allowed_types = types;
      try {
        const { link } = await api.call('POST', '/links', body);
        renderLink(link, true);
        $('#new-link-url').value = link.url;
        show($('#new-link'), true);
        $('#new-link-url').select();
        form.reset();
        message(`Link “${link.label}” created. Copy it here, or later from the list.`, 'info');
      } catch (err) {
        message(errorWords(err));
      }
    });
  });
  $('#copy-link').addEventListener('click', () => copyUrl($('#new-link-url').value, message, 'Link'));
  $('#link-edit-cancel').addEventListener('click', () => $('#link-edit-dialog').close());
  $('#link-edit-dialog').addEventListener('close', () => $('#link-edit-types').querySelectorAll('label').forEach((n) => n.remove()));
  $('#show-ended-links').addEventListener('change', (e) => {
    $('#links').classList.toggle('hide-ended', !e.currentTarget.checked);
  });
  $('#more-links').addEventListener('click', () => loadLinks(true));
}
