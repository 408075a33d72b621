// The account: log in, sign up (with its confirmation code), log out, a session that ends;
// and what logging in loads (links, quota, files, shares, trash, interrupted uploads).

import * as api from './api.js';
import { $, show, say } from './dom.js';
import { errorWords } from './words.js';
import { resumeStore, digest } from './multipart.js';
import * as shares from './shares.js';
import { state, big, message, busy } from './state.js';
import { refreshQuota } from './quota.js';
import { loadProfile } from './profile.js';
import { forgetTokenSecret, loadTokens } from './apitokens.js';
import { loadRetention } from './retention.js';
import { forgetWebhookSecret, loadWebhooks } from './webhooks.js';
import { loadFiles, stopPolling } from './files.js';
import { showInterrupted } from './uploads.js';
import { forgetNewLink, loadLinks } from './links.js';
import { forgetTrash, loadTrash } from './trash.js';
import { wireRecovery } from './recover.js';
import { showSettings, wireSettings } from './settings.js';

export function view(name) {
  show($('#loading'), false);
  show($('#auth'), name === 'auth');
  show($('#app'), name === 'app');
  const email = api.currentEmail();
  $('#whoami').textContent = email ?? '';
  show($('#whoami'), name === 'app' && !!email);
  show($('#logout'), name === 'app');
}

export function tab(which) {
  const login = which === 'login';
  $('#tab-login').setAttribute('aria-selected', String(login));
  $('#tab-signup').setAttribute('aria-selected', String(!login));
  show($('#login-form'), login);
  show($('#signup-form'), !login);
  show($('#confirm-form'), false);
  show($('#forgot-form'), false);
  show($('#reset-form'), false);
  show($('#totp-login-form'), false);
  totpSession = null;
  say($('#auth-message'), null);
}

// A login's two-factor challenge, between the password and the code (memory only).
let totpSession = null;

// The last link or share URL shown carries its token: never left on screen for the next
// person to log in on this page.
function forgetSecrets() {
  forgetNewLink();
  shares.forget();
  forgetTokenSecret();
  forgetWebhookSecret();
}

export async function loggedIn() {
  view('app');
  message(null);
  forgetSecrets();
  state.files.clear();
  state.links.clear();
  $('#files tbody').replaceChildren();
  $('#links').replaceChildren();
  forgetTrash();
  big.list.clear();
  state.interrupted.clear();
  big.store = resumeStore(await accountScope());
  for (const entry of big.store.all()) state.interrupted.add(entry.id);
  showSettings();
  await Promise.all([loadLinks(false), refreshQuota(), loadProfile(), loadTokens(), loadTrash(false), loadRetention(), loadWebhooks()]);
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

export function wireAccount() {
  $('#tab-login').addEventListener('click', () => tab('login'));
  $('#tab-signup').addEventListener('click', () => tab('signup'));
  wireRecovery(() => tab('login'));
  wireSettings((words) => {
    stopPolling();
    forgetSecrets();
    tab('login');
    view('auth');
    say($('#auth-message'), words, 'info');
  });

  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    busy(form, async () => {
      try {
        const challenge = await api.login($('#login-email').value.trim(), $('#login-password').value);
        $('#login-password').value = '';
        if (challenge) {
          totpSession = challenge;
          show($('#login-form'), false);
          show($('#totp-login-form'), true);
          say($('#auth-message'), null);
          $('#totp-login-code').focus();
          return;
        }
        await loggedIn();
      } catch (err) {
        say($('#auth-message'), errorWords(err));
      }
    });
  });

  $('#totp-login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      try {
        await api.loginTotp(totpSession, $('#totp-login-code').value.replace(/\s/g, ''));
        $('#totp-login-code').value = '';
        totpSession = null;
        show($('#totp-login-form'), false);
        await loggedIn();
      } catch (err) {
        if (err.code === 'invalid_session') {
          tab('login');
          say($('#auth-message'), errorWords(err));
          return;
        }
        say($('#auth-message'), errorWords(err, 'totp'));
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
    // Already logged out on purpose (sign out everywhere, a password change): a request that
    // was under way when the session ended must not replace what the page said.
    if (!$('#auth').hidden) return;
    stopPolling();
    tab('login');
    view('auth');
    say($('#auth-message'), 'Your session has ended. Please log in again.');
  });
}
