// The recipient's page at /s/{token}: what is shared, and a Download button. Loading this
// page (or its info) counts nothing; only the button's POST counts one download. A share with
// a password tells nothing before it: the page asks for the password first, unlocks the share
// (which counts nothing), then shows the file and the button.

import { open } from './api.js';
import { $, show, say, tokenFromPath, closedPage } from './dom.js';
import { bytes, date, typeName } from './format.js';
import { errorWords } from './words.js';

const token = tokenFromPath();
const base = `/share/${encodeURIComponent(token)}`;
// The password that unlocked the share, kept for its downloads (only in this page's memory).
let password = null;

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

// A refused password attempt in words: a locked share says for how long.
function refusal(err) {
  if (err.code === 'share_locked') {
    const secs = Number(err.extra?.retry_after) || 0;
    const wait = secs >= 120 ? `${Math.ceil(secs / 60)} minutes` : `${Math.max(secs, 1)} seconds`;
    return `This share is locked after too many wrong passwords. Try again in ${wait}.`;
  }
  return errorWords(err);
}

function render(i) {
  $('#file-name').textContent = i.name;
  // The owner's own words, as text; nothing at all when they set no name.
  const by = $('#shared-by');
  by.textContent = i.shared_by ? `Shared by ${i.shared_by}` : '';
  by.hidden = !i.shared_by;
  document.title = `${i.name} · Dropgate`;
  $('#file-size').textContent = bytes(i.size);
  $('#file-type').textContent = typeName(i.content_type);
  // Which version of the file this is, once it has more than one (or the share names one).
  const versioned = Number.isInteger(i.version);
  $('#file-version').textContent = versioned ? String(i.version) : '';
  $('#file-version').hidden = !versioned;
  $('#file-version-term').hidden = !versioned;
  $('#downloads-left').textContent = i.downloads_left === null ? 'Unlimited' : String(i.downloads_left);
  $('#expires-at').textContent = date(i.expires_at);
  show($('#loading'), false);
  show($('#unlock'), false);
  show($('#share'), true);
}

function askPassword() {
  show($('#loading'), false);
  show($('#share'), false);
  show($('#unlock'), true);
  $('#share-password').focus();
}

// What the share holds now: for a protected share, through the unlock with the password
// already given.
async function load() {
  try {
    if (password !== null) {
      render(await open('POST', `${base}/unlock`, { password }));
      return;
    }
    const info = await open('GET', base);
    if (info.password_required) askPassword();
    else render(info);
  } catch (err) {
    if (err.status === 404 || err.status === 410) closed(err.code);
    else {
      show($('#loading'), false);
      say($('#share-message'), refusal(err));
    }
  }
}

$('#unlock-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const button = e.currentTarget.querySelector('button[type=submit]');
  const given = $('#share-password').value;
  if (!given) return;
  button.disabled = true;
  say($('#share-message'), null);
  try {
    render(await open('POST', `${base}/unlock`, { password: given }));
    password = given;
    $('#share-password').value = '';
  } catch (err) {
    if (err.status === 404 || err.status === 410) closed(err.code);
    else say($('#share-message'), refusal(err));
  } finally {
    button.disabled = false;
  }
});

$('#download-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const button = e.currentTarget.querySelector('button[type=submit]');
  button.disabled = true;
  say($('#share-message'), null);
  try {
    const body = password === null ? {} : { password };
    const { url } = await open('POST', `${base}/download`, body);
    // The URL answers with Content-Disposition: attachment: the page stays.
    location.assign(url);
    say($('#share-message'), 'Your download has started.', 'info');
    await load();
  } catch (err) {
    if (err.status === 410) closed(err.code);
    else say($('#share-message'), refusal(err));
  } finally {
    button.disabled = false;
  }
});

load();
