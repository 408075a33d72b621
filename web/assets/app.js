// The owner's app: account, uploads, the file list (which follows each file's verdict on its
// own), the quota bar and upload links.

import * as api from './api.js';
import { $, h, show, say, ask, tieLabelsToUsableControls } from './dom.js';
import { bytes, date, typeName, contentType } from './format.js';
import { errorWords, statusWords, linkStateWords } from './words.js';
import { put, progressRow, wireDropzone } from './upload.js';
import { sendParts, resumeStore, interruptedList, digest, fileKey, resumable, gone } from './multipart.js';
import * as shares from './shares.js';

const POLL_MS = 1500;
const PAGE = 20;

const state = {
  files: new Map(), // id -> file, in the order shown
  cursor: null,
  links: new Map(), // id -> link (labels for the "From" column)
  linkCursor: null,
  polling: null,
  interrupted: new Set(), // ids of files whose upload in parts was interrupted
  awaiting: new Map(), // id -> the upload row (a live status) that tells its verdict when it comes
};

// The upload row's status is live: the verdict is said there too, not only in the list.
function announce(f) {
  const row = state.awaiting.get(f.id);
  if (!row || f.status === 'pending') return;
  state.awaiting.delete(f.id);
  row.state(statusWords(f), f.status);
}

function message(text, kind = 'error') {
  say($('#app-message'), text, kind);
}

// ---- Account ----

function view(name) {
  show($('#loading'), false);
  show($('#auth'), name === 'auth');
  show($('#app'), name === 'app');
  const email = api.currentEmail();
  $('#whoami').textContent = email ?? '';
  show($('#whoami'), name === 'app' && !!email);
  show($('#logout'), name === 'app');
}

function tab(which) {
  const login = which === 'login';
  $('#tab-login').setAttribute('aria-selected', String(login));
  $('#tab-signup').setAttribute('aria-selected', String(!login));
  show($('#login-form'), login);
  show($('#signup-form'), !login);
  show($('#confirm-form'), false);
  say($('#auth-message'), null);
}

async function busy(form, work) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

// The last link or share URL shown carries its token: never left on screen for the next
// person to log in on this page.
function forgetSecrets() {
  $('#new-link-url').value = '';
  show($('#new-link'), false);
  shares.forget();
}

async function loggedIn() {
  view('app');
  message(null);
  forgetSecrets();
  state.files.clear();
  state.links.clear();
  $('#files tbody').replaceChildren();
  $('#links').replaceChildren();
  big.list.clear();
  state.interrupted.clear();
  big.store = resumeStore(await accountScope());
  for (const entry of big.store.all()) state.interrupted.add(entry.id);
  await Promise.all([loadLinks(false), refreshQuota()]);
  await loadFiles(false);
  await Promise.all([shares.load(), showInterrupted()]);
}

// Where this account's unfinished uploads are remembered: a digest of its id, so that another
// account on the same browser is never offered them.
async function accountScope() {
  const user = api.currentUser() ?? '';
  try {
    return `owner-${await digest(`owner ${user}`)}`;
  } catch {
    return `owner-${user}`;
  }
}

function wireAccount() {
  $('#tab-login').addEventListener('click', () => tab('login'));
  $('#tab-signup').addEventListener('click', () => tab('signup'));

  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    busy(form, async () => {
      try {
        await api.login($('#login-email').value.trim(), $('#login-password').value);
        $('#login-password').value = '';
        await loggedIn();
      } catch (err) {
        say($('#auth-message'), errorWords(err));
      }
    });
  });

  $('#signup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    busy(form, async () => {
      const email = $('#signup-email').value.trim();
      const password = $('#signup-password').value;
      try {
        const r = await api.open('POST', '/auth/signup', { email, password });
        if (r.confirmed) {
          await api.login(email, password);
          $('#signup-password').value = '';
          await loggedIn();
        } else {
          $('#confirm-email').textContent = email;
          show($('#signup-form'), false);
          show($('#confirm-form'), true);
          say($('#auth-message'), null);
          $('#confirm-code').focus();
        }
      } catch (err) {
        say($('#auth-message'), errorWords(err));
      }
    });
  });

  $('#confirm-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    busy(form, async () => {
      const email = $('#signup-email').value.trim();
      try {
        await api.open('POST', '/auth/confirm', { email, code: $('#confirm-code').value.trim() });
        await api.login(email, $('#signup-password').value);
        $('#signup-password').value = '';
        await loggedIn();
      } catch (err) {
        say($('#auth-message'), errorWords(err));
      }
    });
  });

  $('#logout').addEventListener('click', async () => {
    stopPolling();
    forgetSecrets();
    await api.logout();
    tab('login');
    view('auth');
  });

  api.onSessionLost(() => {
    stopPolling();
    tab('login');
    view('auth');
    say($('#auth-message'), 'Your session has ended. Please log in again.');
  });
}

// ---- Quota ----

async function refreshQuota() {
  try {
    const q = await api.call('GET', '/quota');
    const held = q.used_bytes + q.reserved_bytes;
    const bar = $('#quota-bar');
    bar.max = Math.max(q.limit_bytes, 1);
    bar.value = Math.min(held, q.limit_bytes);
    bar.setAttribute('aria-valuetext', `${bytes(held)} of ${bytes(q.limit_bytes)}`);
    const pending = q.reserved_bytes ? ` (${bytes(q.reserved_bytes)} being uploaded)` : '';
    $('#quota-text').textContent =
      `${bytes(held)} of ${bytes(q.limit_bytes)} used${pending} · ${q.files} ${q.files === 1 ? 'file' : 'files'}`;
  } catch (err) {
    if (err.status !== 401) message(errorWords(err));
  }
}

// ---- Files ----

function fromWords(f) {
  if (!f.via_link) return 'You';
  const link = state.links.get(f.via_link);
  const through = link ? `Link “${link.label}”` : 'An upload link';
  const who = f.uploader?.name || f.uploader?.email;
  return who ? `${who}, via ${through}` : through;
}

function statusOf(f) {
  return f.status === 'pending' && state.interrupted.has(f.id) ? 'Upload interrupted' : statusWords(f);
}

function fileRow(f) {
  // Both buttons are always there (Download hidden until accepted): a verdict changes no size.
  const download = h(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Download ${f.name}`, onclick: () => download_(f) },
    'Download',
  );
  download.classList.toggle('unavailable', f.status !== 'accepted');
  const share = h(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Share ${f.name}`, onclick: () => shares.open(f) },
    'Share',
  );
  share.classList.toggle('unavailable', f.status !== 'accepted');
  const actions = h(
    'td',
    { class: 'actions' },
    download,
    share,
    h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${f.name}`, onclick: () => remove(f) }, 'Delete'),
  );
  return h(
    'tr',
    { 'data-id': f.id, 'data-status': f.status },
    h('td', { class: 'name', 'data-label': 'Name' }, f.name),
    h('td', { 'data-label': 'Type' }, typeName(f.detected_type ?? f.content_type)),
    h('td', { 'data-label': 'Size' }, bytes(f.size)),
    h('td', { 'data-label': 'Date' }, date(f.created_at)),
    h('td', { class: 'from', 'data-label': 'From' }, fromWords(f)),
    h('td', { class: `status ${f.status}`, 'data-label': 'Status' }, h('span', {}, statusOf(f))),
    actions,
  );
}

function render(f) {
  state.files.set(f.id, f);
  announce(f);
  const body = $('#files tbody');
  const old = body.querySelector(`tr[data-id="${CSS.escape(f.id)}"]`);
  const row = fileRow(f);
  if (old) old.replaceWith(row);
  else body.append(row);
  show($('#files-empty'), state.files.size === 0);
}

async function loadFiles(more) {
  try {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (more && state.cursor) q.set('cursor', state.cursor);
    const page = await api.call('GET', `/files?${q}`);
    for (const f of page.files) if (!state.files.has(f.id)) render(f);
    state.cursor = page.next_cursor;
    show($('#more-files'), !!state.cursor);
    show($('#files-empty'), state.files.size === 0);
    poll();
  } catch (err) {
    if (err.status !== 401) message(errorWords(err));
  }
}

// A file whose verdict is to come (not one whose upload was interrupted: nothing comes until
// it is resumed).
function waiting(f) {
  return f.status === 'pending' && !state.interrupted.has(f.id);
}

// While any shown file is waiting for its verdict, asks for it again every POLL_MS.
function poll() {
  if (state.polling) return;
  state.polling = setTimeout(async () => {
    state.polling = null;
    const pending = [...state.files.values()].filter(waiting);
    if (pending.length === 0) return;
    let changed = false;
    await Promise.all(
      pending.map(async (f) => {
        try {
          const { file } = await api.call('GET', `/files/${encodeURIComponent(f.id)}`);
          if (file.status !== f.status) {
            render(file);
            changed = true;
          }
        } catch (err) {
          if (err.code === 'not_found') forget(f.id);
        }
      }),
    );
    if (changed) refreshQuota();
    if ([...state.files.values()].some(waiting)) poll();
  }, POLL_MS);
}

function stopPolling() {
  clearTimeout(state.polling);
  state.polling = null;
}

function forget(id) {
  // A deleted file has nothing left to resume either, nor a verdict to tell.
  state.interrupted.delete(id);
  state.awaiting.delete(id);
  for (const entry of big.store?.all() ?? []) {
    if (entry.id === id) {
      big.store.forget(entry);
      big.list.drop(entry.key);
    }
  }
  state.files.delete(id);
  $(`#files tr[data-id="${CSS.escape(id)}"]`)?.remove();
  show($('#files-empty'), state.files.size === 0);
}

async function download_(f) {
  try {
    const { url } = await api.call('GET', `/files/${encodeURIComponent(f.id)}/download`);
    // The URL answers with Content-Disposition: attachment, so the page stays.
    const a = h('a', { href: url, download: f.name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    message(errorWords(err));
  }
}

async function remove(f) {
  if (!(await ask(`Delete “${f.name}”? This cannot be undone.`, 'Delete'))) return;
  try {
    await api.call('DELETE', `/files/${encodeURIComponent(f.id)}`);
    forget(f.id);
    message(`Deleted “${f.name}”.`, 'info');
    refreshQuota();
    shares.load();
  } catch (err) {
    if (err.code === 'not_found') forget(f.id);
    message(errorWords(err));
  }
}

// ---- Uploads ----

// The placeholder becomes the file's row; unless the list, loading while the file was created,
// drew that row first: then the placeholder goes, so the file is never shown twice.
function settle(early, f) {
  state.files.set(f.id, f);
  const drawn = $(`#files tbody tr[data-id="${CSS.escape(f.id)}"]`);
  if (drawn) {
    early.remove();
    drawn.replaceWith(fileRow(f));
  } else {
    early.replaceWith(fileRow(f));
  }
}

// The file's row, shown at once (in the same turn as the pick, so that what it moves counts
// as the person's own doing, not as a layout shift), completed when the API answers.
function placeholder(file) {
  const f = {
    id: '',
    name: file.name,
    size: file.size,
    content_type: contentType(file),
    status: 'pending',
    created_at: new Date().toISOString(),
  };
  const row = fileRow(f);
  row.dataset.placeholder = 'true';
  for (const b of row.querySelectorAll('button')) b.disabled = true;
  $('#files tbody').prepend(row);
  show($('#files-empty'), false);
  return row;
}

// Large files go in parts; an unfinished one is remembered (multipart.js) and offered again.
const big = {
  store: null, // this account's remembered uploads
  list: null, // the interrupted uploads on screen
  active: new Set(), // file keys being sent in parts now
};

function partRoutes(id) {
  const base = `/files/${encodeURIComponent(id)}`;
  return {
    presign: (numbers) => api.call('POST', `${base}/parts`, { part_numbers: numbers }),
    list: () => api.call('GET', `${base}/parts`),
    complete: (parts) => api.call('POST', `${base}/complete`, { parts }),
  };
}

// An interrupted file says so in the list, and is not polled: no verdict comes before it is
// resumed.
function interrupted(id, yes) {
  if (yes) state.interrupted.add(id);
  else state.interrupted.delete(id);
  const f = state.files.get(id);
  if (f) render(f);
}

// Shows the remembered uploads of this account, forgetting those whose upload is over (done,
// deleted, expired).
async function showInterrupted() {
  await Promise.all(
    big.store.all().map(async (entry) => {
      if (big.active.has(entry.key)) return;
      try {
        const listing = await api.call('GET', `/files/${encodeURIComponent(entry.id)}/parts`);
        big.list.show(entry, listing.parts.reduce((n, p) => n + p.size, 0));
      } catch (err) {
        if (gone(err)) {
          big.store.forget(entry);
          interrupted(entry.id, false);
          poll();
        } else if (err.status !== 401) big.list.show(entry);
      }
    }),
  );
}

async function discard(entry) {
  if (!(await ask(`Discard the interrupted upload of “${entry.name}”? What was sent is deleted.`, 'Discard'))) return;
  try {
    await api.call('DELETE', `/files/${encodeURIComponent(entry.id)}`);
  } catch (err) {
    if (!gone(err)) {
      message(errorWords(err));
      return;
    }
  }
  forget(entry.id);
  refreshQuota();
}

async function uploadOne(file) {
  const key = fileKey(file);
  if (big.active.has(key)) {
    message(`“${file.name}” is being uploaded already.`, 'info');
    return;
  }
  const remembered = big.store?.get(file);
  const row = progressRow(file);
  $('#uploads').append(row.row);
  const early = remembered ? null : placeholder(file);
  let sending = null;
  let reserved = remembered ? { id: remembered.id } : null;
  let plan = remembered;
  let cancelled = false;
  // Gives the reserved quota back at once rather than when the upload expires.
  const release = async () => {
    if (reserved) {
      await api.call('DELETE', `/files/${encodeURIComponent(reserved.id)}`).catch(() => {});
      forget(reserved.id);
      refreshQuota();
    }
  };
  row.cancel.addEventListener('click', async () => {
    cancelled = true;
    sending?.cancel();
    row.state('Cancelled', 'cancelled');
    row.finish();
    early?.remove();
    await release();
  });
  try {
    if (remembered) {
      row.state('Resuming…');
      big.active.add(key);
      big.list.hide(key);
      interrupted(remembered.id, false);
    } else {
      row.state('Preparing…');
      const created = await api.call('POST', '/files', {
        name: file.name,
        size: file.size,
        content_type: contentType(file),
      });
      reserved = created.file;
      if (cancelled) {
        early.remove();
        await api.call('DELETE', `/files/${encodeURIComponent(reserved.id)}`).catch(() => {});
        return;
      }
      settle(early, created.file);
      refreshQuota();
      if (created.upload.method === 'multipart') {
        const { part_size, part_count, expires_at } = created.upload;
        plan = { part_size, part_count };
        big.store.remember(file, { id: reserved.id, part_size, part_count, expires_at });
        big.active.add(key);
      } else {
        sending = put(created.upload, file, (loaded, total) => row.progress(loaded, total));
        await sending.done;
      }
    }
    if (plan) {
      sending = sendParts(file, plan, partRoutes(reserved.id), (loaded, total) => row.progress(loaded, total), {
        resume: !!remembered,
      });
      const { file: sent } = await sending.done;
      big.store.forget(file);
      big.list.drop(key);
      if (!state.files.has(sent.id)) $('#files tbody').prepend(fileRow(sent));
      render(sent);
    }
    row.state('Uploaded: checking…', 'done');
    row.finish();
    state.awaiting.set(reserved.id, row);
    const known = state.files.get(reserved.id);
    if (known) announce(known);
    show($('#clear-uploads'), true);
    poll();
  } catch (err) {
    early?.remove();
    if (cancelled) return;
    row.finish();
    if (plan && resumable(err)) {
      // Kept: what storage holds stays there until the upload's own deadline.
      row.state(`${errorWords(err)} It can be resumed.`, 'failed');
      big.list.hold(file);
      interrupted(reserved.id, true);
      const entry = big.store.get(file);
      if (entry) big.list.show(entry);
      return;
    }
    if (plan && gone(err)) {
      row.state(errorWords({ code: 'upload_gone' }), 'failed');
      forget(reserved.id);
      refreshQuota();
      return;
    }
    row.state(errorWords(err), 'failed');
    // The bytes did not arrive: free the reservation now.
    await release();
  } finally {
    if (plan) big.active.delete(key);
  }
}

function wireUploads() {
  big.list = interruptedList($('#interrupted'), {
    store: () => big.store,
    start: uploadOne,
    discard,
    mismatch: (entry) =>
      message(`That is not the file that was interrupted: choose “${entry.name}” (${bytes(entry.size)}) again.`),
  });
  wireDropzone($('#dropzone'), $('#file-input'), (files) => {
    for (const f of files) uploadOne(f);
  });
  $('#more-files').addEventListener('click', () => loadFiles(true));
  $('#clear-uploads').addEventListener('click', () => {
    for (const li of $('#uploads').querySelectorAll('li[data-state]:not([data-state=""])')) li.remove();
    show($('#clear-uploads'), false);
  });
}

// ---- Upload links ----

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

async function loadLinks(more) {
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

function wireLinks() {
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

// ---- Start ----

async function start() {
  tieLabelsToUsableControls();
  wireAccount();
  wireUploads();
  wireLinks();
  shares.init({
    fileNames: { get: (id) => state.files.get(id)?.name },
    onMessage: message,
  });
  if (await api.refresh()) await loggedIn();
  else {
    tab('login');
    view('auth');
  }
}

start();
