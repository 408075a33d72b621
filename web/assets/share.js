// The recipient's page at /s/{token}: what is shared, and a Download button. Loading this
// page (or its info) counts nothing; only the button's POST counts one download.

import { open } from './api.js';
import { $, show, say, tokenFromPath, closedPage } from './dom.js';
import { bytes, date, typeName } from './format.js';
import { errorWords } from './words.js';

const token = tokenFromPath();
const base = `/share/${encodeURIComponent(token)}`;

const CLOSED = {
  share_not_found: ['This share does not exist', 'Check that you have the whole address.'],
  share_expired: ['This share has expired', 'Ask the person who sent it for a new link.'],
  share_revoked: ['This share was withdrawn', 'Its owner no longer shares this file.'],
  share_exhausted: ['No downloads left', 'This file has been downloaded as many times as its owner allowed.'],
  file_gone: ['This file is gone', 'Its owner deleted it.'],
};

function closed(code) {
  closedPage('share', CLOSED, code, ['This share cannot be used', errorWords({ code })]);
}

function render(i) {
  $('#file-name').textContent = i.name;
  document.title = `${i.name} · Dropgate`;
  $('#file-size').textContent = bytes(i.size);
  $('#file-type').textContent = typeName(i.content_type);
  $('#downloads-left').textContent = i.downloads_left === null ? 'Unlimited' : String(i.downloads_left);
  $('#expires-at').textContent = date(i.expires_at);
  show($('#password-row'), i.password_required);
  $('#share-password').required = i.password_required;
  show($('#loading'), false);
  show($('#share'), true);
}

async function load() {
  try {
    render(await open('GET', base));
  } catch (err) {
    if (err.status === 404 || err.status === 410) closed(err.code);
    else {
      show($('#loading'), false);
      say($('#share-message'), errorWords(err));
    }
  }
}

$('#download-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const button = e.currentTarget.querySelector('button[type=submit]');
  button.disabled = true;
  say($('#share-message'), null);
  try {
    const body = {};
    const password = $('#share-password').value;
    if (password) body.password = password;
    const { url } = await open('POST', `${base}/download`, body);
    // The URL answers with Content-Disposition: attachment: the page stays.
    location.assign(url);
    say($('#share-message'), 'Your download has started.', 'info');
    await load();
  } catch (err) {
    if (err.status === 410) closed(err.code);
    else say($('#share-message'), errorWords(err));
  } finally {
    button.disabled = false;
  }
});

load();
