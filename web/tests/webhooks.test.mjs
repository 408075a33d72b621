// The Webhooks section, driven by labels, against a receiver in this process on 127.0.0.1 (the
// suite's stack runs with --allow-loopback-webhooks): a refused address is said why, a webhook is
// made with its events and its secret shown once (copied, and it verifies what arrives), listed
// as text, paused and resumed, tested; the delivery log shows each attempt and redelivers one;
// then it is deleted. At desktop and phone width, without sideways scroll.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

// A receiver on a free loopback port that answers 204 and keeps every request.
async function receiver() {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${server.address().port}/hooks/dropgate`, close: () => server.close() };
}

// EVENTS.md's Node.js verification, as a receiver would run it.
function verify(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const mac = crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64');
  const expected = Buffer.from(`v1,${mac}`);
  return headers['webhook-signature'].split(' ').some((s) => {
    const sig = Buffer.from(s);
    return sig.length === expected.length && crypto.timingSafeEqual(sig, expected);
  });
}

// Waits (bounded) until the receiver holds a request of `type`; all of them.
async function arrived(hooks, type, count = 1) {
  for (let i = 0; i < 200; i += 1) {
    const of = hooks.got.filter((g) => JSON.parse(g.body.toString()).type === type);
    if (of.length >= count) return of;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`no ${count} × ${type} at the receiver: ${hooks.got.length} requests`);
}

async function noSidewaysScroll(page, viewport) {
  if (!viewport) return;
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= viewport.width, `the page is ${wide}px wide at ${viewport.width}px`);
}

for (const [name, viewport] of [['desktop', undefined], ['phone', { width: 375, height: 740 }]]) {
  test(`webhooks: create, secret once, pause, test, deliveries, redeliver, delete (${name})`, async () => {
    const hooks = await receiver();
    const ctx = await context(b, viewport);
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await signUp(page, email(`webhooks-${name}`));
    const section = page.getByRole('region', { name: 'Webhooks' });
    await section.getByText('No webhooks.').waitFor();
    await noSidewaysScroll(page, viewport);

    // A private address is refused, and the page says why; no event chosen is refused too.
    await section.getByLabel('Webhook URL').fill('https://10.0.0.1/hook');
    await section.getByLabel('A file was accepted (file.accepted)').check();
    await section.getByRole('button', { name: 'Create webhook' }).click();
    await section.getByText('This URL cannot receive webhooks: 10.0.0.1 is in 10.0.0.0/8', { exact: false }).waitFor();
    await section.getByLabel('A file was accepted (file.accepted)').uncheck();
    await section.getByLabel('Webhook URL').fill(hooks.url);
    await section.getByRole('button', { name: 'Create webhook' }).click();
    await section.getByText('Choose at least one event to send', { exact: false }).waitFor();

    // Made: the secret once, with its warning, copied as it is.
    await section.getByLabel('Webhook description (optional)').fill('Build <i>server</i>');
    await section.getByLabel('A file was accepted (file.accepted)').check();
    await section.getByLabel('A file was deleted (file.deleted)').check();
    await section.getByRole('button', { name: 'Create webhook' }).click();
    const secretBox = section.getByLabel('New webhook secret (shown once)');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    await section.getByText('it will not be shown again', { exact: false }).first().waitFor();
    await section.getByRole('button', { name: 'Copy secret' }).click();
    await section.getByText('Secret copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    // Listed as text: the URL, the description (markup stays text), the events, the state.
    const list = section.getByRole('list', { name: 'Your webhooks' });
    const item = list.locator('li', { hasText: hooks.url });
    await item.getByText('Active', { exact: true }).waitFor();
    await item.getByText('Build <i>server</i>', { exact: true }).waitFor();
    await item.getByText('Sends: A file was accepted, A file was deleted').waitFor();
    assert.equal(await list.locator('i').count(), 0);
    await noSidewaysScroll(page, viewport);

    // An accepted file is sent, signed with the secret the page showed.
    await page.getByLabel('Choose files').setInputFiles([{ name: `hooked-${name}.png`, mimeType: 'image/png', buffer: PNG }]);
    await fileRow(page, `hooked-${name}.png`).getByText('Accepted').waitFor();
    const [accepted] = await arrived(hooks, 'file.accepted');
    assert.ok(verify(secret, accepted.headers, accepted.body), 'the signature verifies with the secret shown');

    // Paused, then a test: a ping goes even to a paused webhook.
    await item.getByRole('button', { name: `Pause webhook ${hooks.url}` }).click();
    await item.getByText('Paused', { exact: true }).waitFor();
    await item.getByRole('button', { name: `Send test to ${hooks.url}` }).click();
    await section.getByText(`Test sent to ${hooks.url}`, { exact: false }).waitFor();
    const [ping] = await arrived(hooks, 'ping');
    assert.ok(verify(secret, ping.headers, ping.body));

    // The log: both attempts, with their results; the accepted file's delivery sent again.
    await item.getByRole('button', { name: `Deliveries of ${hooks.url}` }).click();
    const log = page.getByRole('dialog');
    const table = log.getByRole('table', { name: 'Delivery attempts' });
    const pingRow = table.locator('tr', { hasText: 'Test (ping)' });
    await pingRow.getByText('HTTP 204').waitFor();
    const acceptedRow = table.locator('tr', { hasText: 'A file was accepted' });
    await acceptedRow.getByText('HTTP 204').waitFor();
    assert.equal(await acceptedRow.count(), 1);
    await noSidewaysScroll(page, viewport);
    await acceptedRow.getByRole('button', { name: /^Redeliver A file was accepted/ }).click();
    await log.getByText('Sent again', { exact: false }).waitFor();
    // The new attempt shows by itself: attempt 2, and only the newest has the button.
    await table.locator('tr', { hasText: 'A file was accepted' }).nth(1).waitFor();
    const attempts = await table.locator('tr', { hasText: 'A file was accepted' }).locator('td:nth-child(2)').allTextContents();
    assert.deepEqual(attempts.map((t) => t.trim().replace(/^Attempt: /, '')), ['2', '1']);
    assert.equal(await table.getByRole('button', { name: /^Redeliver A file was accepted/ }).count(), 1);
    const again = await arrived(hooks, 'file.accepted', 2);
    assert.equal(again[1].headers['webhook-id'], again[0].headers['webhook-id'], 'the same event');
    await log.getByRole('button', { name: 'Close' }).click();
    await log.waitFor({ state: 'hidden' });

    // Resumed; then deleted, after a question.
    await item.getByRole('button', { name: `Resume webhook ${hooks.url}` }).click();
    await item.getByText('Active', { exact: true }).waitFor();
    await item.getByRole('button', { name: `Delete webhook ${hooks.url}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await section.getByText('No webhooks.').waitFor();

    // The secret is gone from the page once it is loaded again.
    await page.reload();
    await section.getByText('No webhooks.').waitFor();
    assert.equal((await page.content()).includes(secret.slice(6)), false);

    assert.deepEqual(dialogs, []);
    hooks.close();
    await ctx.close();
  });
}
