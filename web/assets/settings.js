// Account settings: the address Dropgate mails (changed through a code mailed to the new one),
// the password, every session at once, two-factor authentication, and deleting the account
// (behind typing its email, the password and, with two-factor authentication on, a code). A
// password change or a sign-out everywhere ends this session too: the page goes back to the
// log-in form and says why.

import * as api from './api.js';
import { $, show, say, ask } from './dom.js';
import { errorWords } from './words.js';
import { busy } from './state.js';
import { qrSvg } from './qr.js';

export function showSettings() {
  $('#settings-email').textContent = api.currentEmail() ?? '';
  show($('#email-verify-form'), false);
  show($('#email-form'), true);
  for (const id of ['#email-message', '#password-message', '#sessions-message', '#totp-message', '#delete-message']) {
    say($(id), null);
  }
  show($('#totp-enable-form'), false);
  $('#totp-qr').replaceChildren();
  $('#totp-secret').textContent = '';
  showTotpState(null);
  loadTotpState();
}

// Whether two-factor authentication is on (`null`: not known yet): the block says so and offers
// the matching switch; deleting the account then asks for a code too.
function showTotpState(on) {
  $('#totp-state').textContent = on === null ? '' : `Two-factor authentication is ${on ? 'on' : 'off'}.`;
  show($('#totp-start'), on === false);
  show($('#totp-disable-form'), on === true);
  show($('#delete-code-row'), on === true);
  $('#delete-code').required = on === true;
}

async function loadTotpState() {
  try {
    const r = await api.call('GET', '/account/mfa');
    showTotpState(r.totp?.enabled === true);
  } catch (err) {
    say($('#totp-message'), errorWords(err));
  }
}

// Two-factor authentication: a secret shown as a QR code drawn here (nothing leaves the page)
// and as text; on with a code of it, off with a current code.
function wireTotp() {
  const message = (words, kind) => say($('#totp-message'), words, kind);
  $('#totp-start').addEventListener('click', async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      const r = await api.call('POST', '/account/mfa/totp', undefined, { access: true });
      $('#totp-qr').replaceChildren(qrSvg(r.otpauth_uri, 'QR code for your authenticator app'));
      $('#totp-secret').textContent = r.secret;
      show($('#totp-start'), false);
      show($('#totp-enable-form'), true);
      message(null);
      $('#totp-enable-code').focus();
    } catch (err) {
      message(errorWords(err));
    } finally {
      button.disabled = false;
    }
  });
  $('#totp-enable-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      try {
        const code = $('#totp-enable-code').value.replace(/\s/g, '');
        await api.call('POST', '/account/mfa/totp/verify', { code }, { access: true });
        $('#totp-enable-code').value = '';
        show($('#totp-enable-form'), false);
        $('#totp-qr').replaceChildren();
        $('#totp-secret').textContent = '';
        message(null);
        showTotpState(true);
      } catch (err) {
        message(errorWords(err, 'totp'));
      }
    });
  });
  $('#totp-disable-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      try {
        const code = $('#totp-disable-code').value.replace(/\s/g, '');
        await api.call('DELETE', '/account/mfa/totp', { code }, { access: true });
        $('#totp-disable-code').value = '';
        message(null);
        showTotpState(false);
      } catch (err) {
        message(errorWords(err, 'totp'));
      }
    });
  });
}

export function wireSettings(endedEverywhere) {
  wireTotp();
  $('#email-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      try {
        const r = await api.call('POST', '/account/email', { email: $('#email-new').value.trim() });
        $('#email-pending').textContent = r.pending_email;
        show($('#email-form'), false);
        show($('#email-verify-form'), true);
        say($('#email-message'), null);
        $('#email-code').focus();
      } catch (err) {
        say($('#email-message'), errorWords(err));
      }
    });
  });

  $('#email-verify-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      try {
        await api.call('POST', '/account/email/verify', { code: $('#email-code').value.trim() }, { access: true });
        // A fresh id token names the new address.
        await api.refresh();
        $('#email-code').value = '';
        $('#email-new').value = '';
        showSettings();
        $('#whoami').textContent = api.currentEmail() ?? '';
        say($('#email-message'), 'Your email is changed. Dropgate mails the new address from now on.', 'info');
      } catch (err) {
        say($('#email-message'), errorWords(err));
      }
    });
  });

  $('#password-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      try {
        await api.call('POST', '/account/password', {
          current: $('#password-current').value,
          new: $('#password-new').value,
        });
        $('#password-current').value = '';
        $('#password-new').value = '';
        api.forget();
        endedEverywhere('Your password is changed and every session has ended. Log in with the new password.');
      } catch (err) {
        say($('#password-message'), errorWords(err));
      }
    });
  });

  $('#signout-all').addEventListener('click', async () => {
    if (!(await ask('Sign out on every device and browser, this one too?', 'Sign out everywhere'))) return;
    try {
      await api.call('POST', '/account/signout-all');
      api.forget();
      endedEverywhere('You are signed out everywhere. Log in again to continue here.');
    } catch (err) {
      say($('#sessions-message'), errorWords(err));
    }
  });

  $('#delete-account-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const email = api.currentEmail() ?? '';
    if ($('#delete-confirm').value.trim().toLowerCase() !== email.toLowerCase()) {
      say($('#delete-message'), `Type ${email} exactly to confirm. Nothing was deleted.`);
      return;
    }
    busy(e.currentTarget, async () => {
      try {
        const body = { password: $('#delete-password').value };
        // With two-factor authentication on, the erasure needs a current code too.
        if (!$('#delete-code-row').hidden) body.code = $('#delete-code').value.replace(/\s/g, '');
        const r = await api.call('DELETE', '/account', body);
        $('#delete-password').value = '';
        $('#delete-code').value = '';
        $('#delete-confirm').value = '';
        const n = r.erasure;
        api.forget();
        endedEverywhere(`Your account is deleted: ${n.files} files, ${n.links} upload links and ${n.shares} shares removed. A receipt is on its way to ${email}.`);
      } catch (err) {
        const words = {
          invalid_credentials: 'That password is wrong. Nothing was deleted.',
          invalid_code: 'That code is wrong. Enter the code your authenticator app shows now. Nothing was deleted.',
        }[err.code];
        say($('#delete-message'), words ?? errorWords(err));
      }
    });
  });
}
