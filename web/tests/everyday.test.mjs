// What people look for in their first minutes with the owner's app: how an upload is going
// (bytes, speed, time left), a long file list on a phone that stays short and can be searched,
// sorted, filtered and acted on several files at once, a password they can see as they type,
// and pages that follow the system's dark mode.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { API, browser, context, signUp, email, fileRow, PNG, PDF } from './harness.mjs';

const PHONE = { width: 360, height: 740 };

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('an upload shows bytes sent, speed and time left, and its file says Uploading until the bytes are in', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  await signUp(page, email('progress'));
  // 900 KiB at 200 KiB/s: some 4 s of sending (under the suite's single-PUT limit of 1 MiB).
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 200 * 1024,
  });
  const body = Buffer.concat([PDF, randomBytes(900 * 1024 - PDF.length)]);
  await page.getByLabel('Choose files').setInputFiles([{ name: 'slow report.pdf', mimeType: 'application/pdf', buffer: body }]);
  const row = page.locator('#uploads li', { hasText: 'slow report.pdf' });
  const speed = /\d+\.\d (KiB|MiB)\/s/;
  await row.getByRole('status').filter({ hasText: speed }).waitFor();
  const words = await row.getByRole('status').textContent();
  assert.match(words, /^Uploading \d+% · \d+\.\d KiB of 900\.0 KiB · \d+\.\d (KiB|MiB)\/s · .+ left$/, words);
  // The whole batch, on its own line.
  assert.match(await page.locator('#batch').textContent(), /^Sending 1 file: .* of 900\.0 KiB · \d+\.\d (KiB|MiB)\/s/);
  // The file's row in the list is not "checking" what has not arrived.
  await fileRow(page, 'slow report.pdf').getByText('Uploading', { exact: true }).waitFor();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await row.getByText(/^(Uploaded|Accepted|Scanning)/).waitFor();
  await fileRow(page, 'slow report.pdf').getByText(/^(Checking|Scanning|Accepted)/).waitFor();
  assert.equal(await page.locator('#batch').textContent(), '');
  await ctx.close();
});

test('17 files on a phone: compact rows, search, sort, filter, and several at once', async () => {
  const ctx = await context(b, PHONE);
  const page = await ctx.newPage();
  await signUp(page, email('phone-list'));
  // Sizes differ (a PNG with trailing bytes is still a PNG), names too.
  const files = Array.from({ length: 17 }, (_, i) => ({
    name: `photo ${String(i + 1).padStart(2, '0')}.png`,
    mimeType: 'image/png',
    buffer: Buffer.concat([PNG, Buffer.alloc(i * 100)]),
  }));
  await page.getByLabel('Choose files').setInputFiles(files);
  for (const f of files) await fileRow(page, f.name).getByText('Accepted').waitFor({ timeout: 60_000 });

  const rows = page.locator('#files tbody tr');
  assert.equal(await rows.count(), 17);
  const list = await page.locator('#files tbody').boundingBox();
  // Compact: the name, a line of size, date and sender, the status, and the five actions on
  // at most two lines (they wrap rather than push the page wider than the phone).
  assert.ok(list.height / 17 < 145, `${(list.height / 17).toFixed(1)} px per file at 360 px`);
  const one = fileRow(page, 'photo 01.png');
  const del = await one.getByRole('button', { name: 'Delete photo 01.png' }).boundingBox();
  const others = [];
  for (const b of await one.locator('td.actions button').all()) others.push(await b.boundingBox());
  const beside = others.filter((b) => Math.abs(b.y - del.y) < 2 && Math.abs(b.x - del.x) > 1);
  assert.ok(beside.length >= 1, 'Delete shares its line with another action, not on its own');
  const lines = new Set(others.map((b) => Math.round(b.y)));
  assert.ok(lines.size <= 2, `the actions take ${lines.size} lines`);
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `content ${scroll}px wide in a ${width}px window`);

  const shown = () => page.locator('#files tbody tr:visible td.name').allTextContents();
  // Search by name.
  await page.getByLabel('Search files by name').fill('photo 1');
  assert.deepEqual((await shown()).sort(), Array.from({ length: 8 }, (_, i) => `photo 1${i}.png`));
  await page.getByLabel('Search files by name').fill('');
  // Sort: name, size, date.
  await page.getByLabel('Sort files by').selectOption({ label: 'Name, A to Z' });
  assert.equal((await shown())[0], 'photo 01.png');
  await page.getByLabel('Sort files by').selectOption({ label: 'Name, Z to A' });
  assert.equal((await shown())[0], 'photo 17.png');
  await page.getByLabel('Sort files by').selectOption({ label: 'Largest first' });
  assert.equal((await shown())[0], 'photo 17.png');
  await page.getByLabel('Sort files by').selectOption({ label: 'Smallest first' });
  assert.equal((await shown())[0], 'photo 01.png');
  assert.equal((await shown()).length, 17);
  // Filter by status.
  await page.getByLabel('Show files').selectOption({ label: 'Rejected' });
  assert.deepEqual(await shown(), []);
  await page.getByText('No file matches.').waitFor();
  await page.getByLabel('Show files').selectOption({ label: 'Accepted' });
  assert.equal((await shown()).length, 17);

  // Several at once: download, then delete.
  await page.getByLabel('Select photo 02.png').check();
  await page.getByLabel('Select photo 03.png').check();
  await page.getByText('2 selected').waitFor();
  const saved = [];
  page.on('download', (d) => saved.push(d.suggestedFilename()));
  await page.getByRole('button', { name: 'Download selected' }).click();
  for (let i = 0; saved.length < 2 && i < 200; i += 1) await page.waitForTimeout(50);
  assert.deepEqual(saved.sort(), ['photo 02.png', 'photo 03.png']);
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('dialog').getByText('Delete 2 files? This cannot be undone.').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  // The first thing the page says after the deletion is its outcome.
  await page.locator('#app-message').waitFor();
  assert.equal(await page.locator('#app-message').textContent(), 'Deleted 2 files.');
  assert.equal(await rows.count(), 15);
  assert.equal(await fileRow(page, 'photo 02.png').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Delete selected' }).isDisabled(), true);
  // Select all shown acts on what the search shows, nothing else.
  await page.getByLabel('Search files by name').fill('photo 0');
  await page.getByLabel('Select all shown').check();
  await page.getByText('7 selected').waitFor();
  await ctx.close();
});

test('the log-in form shows the password on request', async () => {
  const ctx = await context(b, PHONE);
  const page = await ctx.newPage();
  await page.goto(API + '/');
  const form = page.locator('#login-form');
  await form.getByLabel('Password').fill('Secret1word');
  const field = form.getByLabel('Password');
  assert.equal(await field.getAttribute('type'), 'password');
  await form.getByRole('button', { name: 'Show password' }).click();
  assert.equal(await field.getAttribute('type'), 'text');
  assert.equal(await field.inputValue(), 'Secret1word');
  await form.getByRole('button', { name: 'Hide password' }).click();
  assert.equal(await field.getAttribute('type'), 'password');
  await ctx.close();
});

test('every page follows the system dark mode', async () => {
  const ctx = await context(b, PHONE);
  const page = await ctx.newPage();
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  for (const path of ['/', '/d/no-such-link', '/s/no-such-share', '/no/such/page']) {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(API + path);
    await page.getByRole('heading').first().waitFor();
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await background();
    assert.notEqual(dark, light, `${path}: the same background in dark mode`);
    const [r, g, bl] = dark.match(/\d+/g).map(Number);
    assert.ok(r + g + bl < 150, `${path}: dark mode background ${dark}`);
  }
  await ctx.close();
});

test('an unknown address is a page for a browser and JSON for a program, 404 either way', async () => {
  const html = await fetch(API + '/no/such/page', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  assert.equal(html.status, 404);
  assert.match(html.headers.get('content-type'), /^text\/html/);
  assert.match(await html.text(), /Page not found/);
  for (const accept of ['*/*', 'application/json']) {
    const json = await fetch(API + '/no/such/page', { headers: { accept } });
    assert.equal(json.status, 404, accept);
    assert.match(json.headers.get('content-type'), /^application\/json/, accept);
    assert.equal((await json.json()).error.code, 'not_found', accept);
  }
  const ctx = await context(b);
  const page = await ctx.newPage();
  const response = await page.goto(API + '/no/such/page');
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.getByRole('link', { name: 'Go to Dropgate' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await ctx.close();
});
