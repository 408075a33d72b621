// The owner's app, its entry: wires the page's sections (account.js, files.js, uploads.js,
// links.js, shares.js, trash.js; the quota bar in quota.js, what they share in state.js) and starts on
// the login form or, with a session left, on the account.

import * as api from './api.js';
import { tieLabelsToUsableControls, wirePasswordToggles } from './dom.js';
import * as shares from './shares.js';
import { state, message } from './state.js';
import { view, tab, loggedIn, wireAccount } from './account.js';
import { render, wireFiles } from './files.js';
import { wireTrash } from './trash.js';
import { wireVersions } from './versions.js';
import { wireUploads } from './uploads.js';
import { wireLinks } from './links.js';
import { wireProfile } from './profile.js';
import { wireTokens } from './apitokens.js';
import { wireRetention } from './retention.js';
import { wireWebhooks } from './webhooks.js';

async function start() {
  tieLabelsToUsableControls();
  wirePasswordToggles();
  wireAccount();
  wireUploads();
  wireFiles();
  wireTrash(render);
  wireVersions(render);
  wireLinks();
  wireProfile();
  wireTokens();
  wireRetention();
  wireWebhooks();
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
