// A forgotten password: a code mailed to the account's address, then a new password. The
// answer is the same for any address, so the page says "if it has an account".

import * as api from './api.js';
import { $, show, say } from './dom.js';
import { errorWords } from './words.js';
import { busy } from './state.js';

function only(formId) {
  for (const id of ['#login-form', '#signup-form', '#confirm-form', '#forgot-form', '#reset-form']) {
    show($(id), id === formId);
  }
}

export function wireRecovery(backToLogin) {
  $('#forgot-open').addEventListener('click', () => {
    $('#forgot-email').value = $('#login-email').value.trim();
    only('#forgot-form');
    say($('#auth-message'), null);
    $('#forgot-email').focus();
  });
  for (const b of document.querySelectorAll('.back-to-login')) {
    b.addEventListener('click', () => backToLogin());
  }

  $('#forgot-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      const email = $('#forgot-email').value.trim();
      try {
        await api.open('POST', '/auth/forgot', { email });
        $('#reset-email').textContent = email;
        only('#reset-form');
        say($('#auth-message'), null);
        $('#reset-code').focus();
      } catch (err) {
        say($('#auth-message'), errorWords(err));
      }
    });
  });

  $('#reset-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      const email = $('#forgot-email').value.trim();
      try {
        await api.open('POST', '/auth/reset', {
          email,
          code: $('#reset-code').value.trim(),
          password: $('#reset-password').value,
        });
        $('#reset-password').value = '';
        $('#reset-code').value = '';
        backToLogin();
        $('#login-email').value = email;
        say($('#auth-message'), 'Your password is set. Log in with it.', 'info');
      } catch (err) {
        say($('#auth-message'), errorWords(err));
      }
    });
  });
}
