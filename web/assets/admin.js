// The operator console (/admin), its entry. The page holds nothing until the API says the
// caller is an admin: the first call (the users) tells a refusal (`admin_only`) from a
// session that is gone; each section then loads on its own.

import * as api from './api.js';
import { $, show, say, tieLabelsToUsableControls } from './dom.js';
import { errorWords } from './words.js';
import { wireUsers, loadUsers } from './admin-users.js';
import { wireAudit, loadAudit } from './admin-audit.js';
import { wireReview, loadReview, loadLinks } from './admin-review.js';

function message(text, kind = 'error') {
  say($('#admin-message'), text, kind);
}

function only(id) {
  for (const s of ['loading', 'signed-out', 'refused', 'console']) show($(`#${s}`), s === id);
}

async function start() {
  tieLabelsToUsableControls();
  api.onSessionLost(() => only('signed-out'));
  if (!(await api.refresh())) {
    only('signed-out');
    return;
  }
  wireUsers(message);
  wireAudit(message);
  wireReview(message);
  try {
    await loadUsers(false);
  } catch (e) {
    if (e.code === 'admin_only') only('refused');
    else if (e.status === 401) only('signed-out');
    else {
      only('console');
      message(errorWords(e));
    }
    return;
  }
  const who = $('#whoami');
  who.textContent = api.currentEmail() ?? '';
  show(who, true);
  only('console');
  const fail = (e) => message(errorWords(e));
  await Promise.all([loadReview(false).catch(fail), loadLinks(false).catch(fail), loadAudit(false).catch(fail)]);
}

start();
