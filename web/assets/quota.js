// The quota bar: what the account holds and has reserved, against its limit.

import * as api from './api.js';
import { $ } from './dom.js';
import { bytes } from './format.js';
import { errorWords } from './words.js';
import { message } from './state.js';

export async function refreshQuota() {
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
