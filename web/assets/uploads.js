// Uploads from the owner's page: a placeholder row at once, then the file sent in one PUT or,
// when large, in parts; an interrupted upload in parts is remembered and offered again.

import * as api from './api.js';
import { $, show, ask } from './dom.js';
import { bytes, contentType } from './format.js';
import { errorWords } from './words.js';
import { progressRow, wireDropzone, showBatchIn } from './upload.js';
import { interruptedList, fileKey, resumable, gone } from './multipart.js';
import { inParts, sendUpload } from './sending.js';
import { state, big, message } from './state.js';
import { refreshQuota } from './quota.js';
import { announce, fileRow, render, poll, forget } from './files.js';
import { applyView } from './listview.js';
import { resumeVersion, discardVersion } from './versions.js';

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
  applyView();
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
  applyView();
  return row;
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
export async function showInterrupted() {
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

// The file's row in the list says "Uploading" while its bytes go out from this page.
function sendingBytes(id, yes) {
  if (yes) state.sending.add(id);
  else state.sending.delete(id);
  const f = state.files.get(id);
  if (f) render(f);
}

async function discard(entry) {
  if (!(await ask(`Discard the interrupted upload of “${entry.name}”? What was sent is deleted.`, 'Discard'))) return;
  try {
    if (entry.version_of) await discardVersion(entry);
    else await api.call('DELETE', `/files/${encodeURIComponent(entry.id)}`);
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
  // A new version's upload, cut short: it goes on as a version (versions.js).
  if (remembered?.version_of) return resumeVersion(file, remembered);
  const row = progressRow(file);
  $('#uploads').append(row.row);
  const early = remembered ? null : placeholder(file);
  let sending = null;
  let reserved = remembered ? { id: remembered.id } : null;
  let plan = remembered;
  let upload = remembered;
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
      sendingBytes(remembered.id, true);
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
      state.sending.add(reserved.id);
      settle(early, created.file);
      refreshQuota();
      upload = created.upload;
      if (inParts(upload)) {
        const { part_size, part_count, expires_at } = upload;
        plan = { part_size, part_count };
        big.store.remember(file, { id: reserved.id, part_size, part_count, expires_at });
        big.active.add(key);
      }
    }
    sending = sendUpload(file, reserved.id, upload, (loaded, total) => row.progress(loaded, total), {
      resume: !!remembered,
    });
    const answer = await sending.done;
    if (plan) {
      const { file: sent } = answer;
      big.store.forget(file);
      big.list.drop(key);
      if (!state.files.has(sent.id)) $('#files tbody').prepend(fileRow(sent));
      render(sent);
    }
    sendingBytes(reserved.id, false);
    row.state('Uploaded: checking…', 'done');
    row.finish();
    state.awaiting.set(reserved.id, row);
    const known = state.files.get(reserved.id);
    if (known) announce(known);
    show($('#clear-uploads'), true);
    poll();
  } catch (err) {
    early?.remove();
    if (reserved) sendingBytes(reserved.id, false);
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

export function wireUploads() {
  big.list = interruptedList($('#interrupted'), {
    store: () => big.store,
    start: uploadOne,
    discard,
    mismatch: (entry) =>
      message(`That is not the file that was interrupted: choose “${entry.name}” (${bytes(entry.size)}) again.`),
  });
  showBatchIn($('#batch'));
  wireDropzone($('#dropzone'), $('#file-input'), (files) => {
    for (const f of files) uploadOne(f);
  });
  $('#clear-uploads').addEventListener('click', () => {
    for (const li of $('#uploads').querySelectorAll('li[data-state]:not([data-state=""])')) li.remove();
    show($('#clear-uploads'), false);
  });
}
