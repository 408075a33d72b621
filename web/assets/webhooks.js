// Webhooks: the owner's own systems sent their events, signed. Make one (URL, description, the
// events to send; its secret shown once, to copy), list them (URL and description as text,
// events, state), pause or resume, send a test, read the delivery log (webhook-deliveries.js),
// delete. A section of its own.

import * as api from './api.js';
import { $, h, ask, say } from './dom.js';
import { EVENT_TYPES, eventWords } from './events.js';
import { errorWords } from './words.js';
import { busy } from './state.js';
import { openDeliveries, wireDeliveries } from './webhook-deliveries.js';

function note(text, kind = 'error') {
  say($('#webhooks-message'), text, kind);
}

// The secret is on screen only until another webhook is made or someone logs out.
export function forgetWebhookSecret() {
  $('#webhook-secret-value').value = '';
  $('#webhook-secret').hidden = true;
}

const STATES = { active: 'Active', paused: 'Paused' };

function item(w) {
  const paused = w.state === 'paused';
  const button = (words, label, onclick, danger) =>
    h('button', { type: 'button', class: danger ? 'small danger' : 'small', 'aria-label': `${label} ${w.url}`, onclick }, words);
  return h(
    'li',
    { 'data-id': w.id, 'data-state': w.state },
    h('span', { class: 'name url' }, w.url),
    h('span', { class: `state ${w.state}` }, STATES[w.state] ?? w.state),
    w.description ? h('span', { class: 'muted' }, w.description) : null,
    h('span', { class: 'muted settings' }, `Sends: ${w.events.map(eventWords).join(', ')}`),
    h(
      'span',
      { class: 'actions' },
      paused
        ? button('Resume', 'Resume webhook', () => setState(w, 'active'))
        : button('Pause', 'Pause webhook', () => setState(w, 'paused')),
      button('Send test', 'Send test to', () => test(w)),
      button('Deliveries', 'Deliveries of', () => openDeliveries(w)),
      button('Delete', 'Delete webhook', () => remove(w), true),
    ),
  );
}

export async function loadWebhooks() {
  try {
    const { webhooks } = await api.call('GET', '/webhooks');
    $('#webhooks').replaceChildren(...webhooks.map(item));
    $('#webhooks-empty').hidden = webhooks.length > 0;
  } catch (err) {
    if (err.status !== 401) note(errorWords(err));
  }
}

async function setState(w, next) {
  try {
    await api.call('PATCH', `/webhooks/${encodeURIComponent(w.id)}`, { state: next });
    note(next === 'paused' ? `Paused: ${w.url} is sent nothing until you resume it.` : `Resumed: ${w.url} is sent its events again.`, 'info');
  } catch (err) {
    note(errorWords(err));
  }
  await loadWebhooks();
}

async function test(w) {
  try {
    await api.call('POST', `/webhooks/${encodeURIComponent(w.id)}/test`);
    note(`Test sent to ${w.url}: its attempt shows in Deliveries.`, 'info');
  } catch (err) {
    note(errorWords(err));
  }
}

async function remove(w) {
  if (!(await ask(`Delete the webhook to ${w.url}? It is sent nothing more.`, 'Delete'))) return;
  try {
    await api.call('DELETE', `/webhooks/${encodeURIComponent(w.id)}`);
    note(`Deleted the webhook to ${w.url}.`, 'info');
  } catch (err) {
    note(errorWords(err));
  }
  await loadWebhooks();
}

// One labelled box per event type, from the one list of them.
function eventBoxes() {
  const set = $('#webhook-events');
  for (const [type, words] of EVENT_TYPES) {
    set.append(h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'event', value: type }), ` ${words} (${type})`));
  }
}

export function wireWebhooks() {
  eventBoxes();
  wireDeliveries();
  $('#webhook-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    busy(form, async () => {
      forgetWebhookSecret();
      const body = {
        url: $('#webhook-url').value.trim(),
        events: [...form.querySelectorAll('input[name=event]:checked')].map((c) => c.value),
      };
      const description = $('#webhook-description').value.trim();
      if (description) body.description = description;
      try {
        const { webhook } = await api.call('POST', '/webhooks', body);
        $('#webhook-secret-value').value = webhook.secret;
        $('#webhook-secret').hidden = false;
        form.reset();
        note('Webhook created. Copy its secret now: it will not be shown again.', 'info');
        await loadWebhooks();
      } catch (err) {
        note(errorWords(err));
      }
    });
  });
  $('#webhook-copy').addEventListener('click', async () => {
    const secret = $('#webhook-secret-value').value;
    try {
      await navigator.clipboard.writeText(secret);
      note('Secret copied.', 'info');
    } catch {
      $('#webhook-secret-value').select();
      note('Select the secret and copy it.', 'info');
    }
  });
}
