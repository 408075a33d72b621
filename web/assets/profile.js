// The owner's display name: what their shares' pages show as "Shared by …".

import * as api from './api.js';
import { $, say } from './dom.js';
import { errorWords } from './words.js';
import { busy } from './state.js';

export async function loadProfile() {
  const box = $('#profile-name');
  const before = box.value;
  try {
    const r = await api.call('GET', '/account/profile');
    // Someone who typed while the profile was on its way keeps what they typed.
    if (box.value === before) box.value = r.profile.display_name ?? '';
  } catch (err) {
    if (err.status !== 401) say($('#profile-message'), errorWords(err));
  }
}

export function wireProfile() {
  $('#profile-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.currentTarget, async () => {
      // An empty field removes the name: the API takes null for that.
      const name = $('#profile-name').value.trim();
      try {
        const r = await api.call('PUT', '/account/profile', { display_name: name || null });
        $('#profile-name').value = r.profile.display_name ?? '';
        say($('#profile-message'), r.profile.display_name ? 'Saved: your shares show your name.' : 'Saved: your shares show no name.', 'info');
      } catch (err) {
        say($('#profile-message'), errorWords(err));
      }
    });
  });
}
