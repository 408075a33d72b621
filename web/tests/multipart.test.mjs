// Large files in parts (upload API version 2). The browser suite's stack sends everything
// over 1 MiB in parts (SINGLE_PUT_MAX_BYTES, set by e2e_web.rs), so a few MiB make several
// parts of 8 MiB: the owner's upload with one progress bar and the same bytes back; uploads
// cut at one part, the page reloaded, one discarded, the other's file picked again and only its
// missing parts sent; a drop through a link that loses its connection and resumes from memory.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser, context, signUp, email, fileRow, watchDialogs } from './harness.mjs';

const MiB = 1024 * 1024;
const PART_URL = /[?&]partNumber=(\d+)(&|$)/;

let b;
let dir;
before(async () => {
  b = await browser();
  dir = await mkdtemp(join(tmpdir(), 'dropgate-parts-'));
});
after(async () => {
  await b?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// A real file on disk (so that picking it again gives the same name, size and date), of
// numbered ASCII lines: plain text, and no two parts alike.
async function textFile(name, size) {
  const line = (i) => `line ${String(i).padStart(9, '0')} of a large upload in parts, dropgate\n`;
  const chunks = [];
  let n = 0;
  for (let i = 0; n < size; i += 1) {
    const l = Buffer.from(line(i), 'latin1');
    chunks.push(l);
    n += l.length;
  }
  const bytes = Buffer.concat(chunks).subarray(0, size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

// The part numbers of the part PUTs the page sends (`request`) or that storage took (`response`).
function partsSeen(page, event) {
  const seen = [];
  page.on(event, (r) => {
    const req = event === 'request' ? r : r.request();
    const m = PART_URL.exec(req.url());
    if (req.method() !== 'PUT' || !m) return;
    if (event === 'response' && r.status() !== 200) return;
    seen.push(Number(m[1]));
  });
  return seen;
}

const sorted = (l) => [...l].sort((x, y) => x - y);

async function remembered(page) {
  return page.evaluate(() =>
    Object.entries(localStorage)
      .filter(([k]) => k.startsWith('dropgate.resume.'))
      .map(([k, v]) => [k, JSON.parse(v)]),
  );
}

test('a 20 MiB file goes in three parts with one progress bar, is accepted and comes back the same; Cancel stops a large one', async () => {
  const { path, bytes } = await textFile('large notes.txt', 20 * MiB);
  const ctx = await context(b);
  const page = await ctx.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('parts'));
  const sent = partsSeen(page, 'response');
  const completions = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/files\/[^/]+\/complete$/.test(r.url())) completions.push(r.postDataJSON());
  });

  await page.getByLabel('Choose files').setInputFiles(path);
  await page.getByLabel('Upload progress of large notes.txt').waitFor();
  const row = fileRow(page, 'large notes.txt');
  await row.getByText('Accepted').waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('#uploads progress').count(), 1, 'one progress bar for the file');
  assert.equal(await page.getByLabel('Upload progress of large notes.txt').evaluate((el) => el.value), 100);
  assert.deepEqual(sorted(sent), [1, 2, 3], 'parts of 8, 8 and 4 MiB');
  // Storage's ETag of each part is readable (the bucket's CORS exposes it) and goes with the completion.
  assert.equal(completions.length, 1);
  assert.deepEqual(completions[0].parts.map((p) => p.number), [1, 2, 3]);
  for (const p of completions[0].parts) assert.match(p.etag, /^[0-9a-f]{32}$/, 'an ETag without quotes');
  assert.deepEqual(await remembered(page), [], 'nothing left to resume');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('button', { name: 'Download large notes.txt' }).click(),
  ]);
  const back = await readFile(await download.path());
  assert.equal(back.length, bytes.length);
  assert.ok(back.equals(bytes), 'the same bytes back');

  // Cancel while parts are on their way: every part stops, the file and its reservation go.
  const held = []; // the routes of parts kept waiting, never answered
  await page.route(PART_URL, (route) => held.push(route));
  const cancelled = await textFile('draft.txt', 17 * MiB);
  await page.getByLabel('Choose files').setInputFiles(cancelled.path);
  await fileRow(page, 'draft.txt').waitFor();
  while (held.length < 3) await page.waitForTimeout(50);
  await page.getByRole('button', { name: 'Cancel upload of draft.txt' }).click();
  await page.locator('.upload', { hasText: 'draft.txt' }).getByText('Cancelled').waitFor();
  await fileRow(page, 'draft.txt').waitFor({ state: 'detached' });
  await page.waitForFunction(() => /^20\.0 MiB of .* used · 1 file$/.test(document.querySelector('#quota-text').textContent));
  assert.deepEqual(await remembered(page), [], 'a cancelled upload is not offered again');
  await page.unroute(PART_URL);
  await page.reload();
  await fileRow(page, 'large notes.txt').getByText('Accepted').waitFor();
  assert.equal(await fileRow(page, 'draft.txt').count(), 0);
  assert.equal(await page.locator('#interrupted li').count(), 0);
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test('uploads cut at part 3 are offered again after a reload: one discarded, one resumed sending only its missing parts', async () => {
  const { path } = await textFile('field recording.txt', 17 * MiB); // 8 + 8 + 1 MiB
  const other = await textFile('outtakes.txt', 17 * MiB);
  const ctx = await context(b);
  const page = await ctx.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('resume'));

  // Storage never gets a part 3: every try of it fails as a dropped connection would.
  await page.route(PART_URL, (route) =>
    PART_URL.exec(route.request().url())[1] === '3' ? route.abort('connectionreset') : route.fallback(),
  );
  const stored = new Map(); // file id -> part numbers storage took
  page.on('response', (r) => {
    const m = PART_URL.exec(r.url());
    if (r.request().method() !== 'PUT' || !m || r.status() !== 200) return;
    // The key is uploads/<file id>: nothing of the owner in a part URL.
    const id = /\/uploads\/([^/?]+)(?:\?|$)/.exec(r.url())?.[1];
    stored.set(id, [...(stored.get(id) ?? []), Number(m[1])]);
  });
  await page.getByLabel('Choose files').setInputFiles([path, other.path]);
  for (const name of ['field recording.txt', 'outtakes.txt']) {
    await page.locator('#interrupted li', { hasText: `${name} was interrupted` }).waitFor({ timeout: 40_000 });
    await page.locator('.upload', { hasText: name }).getByText('It can be resumed.').waitFor();
    await fileRow(page, name).getByText('Upload interrupted').waitFor();
  }
  await page.unroute(PART_URL);

  // What is remembered: each file's id and plan, no token.
  const entries = await remembered(page);
  assert.equal(entries.length, 2);
  const [key, entry] = entries.find(([, e]) => e.name === 'field recording.txt');
  assert.match(key, /field recording\.txt/);
  assert.deepEqual(Object.keys(entry).sort(), ['expires_at', 'id', 'last_modified', 'name', 'part_count', 'part_size', 'size']);
  assert.equal(entry.part_count, 3);
  assert.doesNotMatch(JSON.stringify(entries), /eyJ/, 'no token in storage');
  const missing = [1, 2, 3].filter((n) => !(stored.get(entry.id) ?? []).includes(n));
  assert.ok(missing.includes(3), `part 3 never arrived (stored: ${JSON.stringify([...stored])})`);

  await page.reload();
  const again = page.locator('#interrupted li', { hasText: 'field recording.txt was interrupted' });
  await again.getByText('Choose the same file again to resume.').waitFor();
  await fileRow(page, 'field recording.txt').getByText('Upload interrupted').waitFor();

  // Discard deletes the other one, and what it held.
  await page.getByRole('button', { name: 'Discard outtakes.txt' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Discard' }).click();
  await fileRow(page, 'outtakes.txt').waitFor({ state: 'detached' });
  await page.locator('#interrupted li', { hasText: 'outtakes.txt' }).waitFor({ state: 'detached' });
  assert.equal((await remembered(page)).length, 1);

  const resumed = partsSeen(page, 'request');
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Resume field recording.txt' }).click(),
  ]);
  await chooser.setFiles(path);
  await fileRow(page, 'field recording.txt').getByText('Accepted').waitFor({ timeout: 60_000 });
  assert.deepEqual(sorted(resumed), missing, 'only the missing parts were sent again');
  assert.equal(await page.locator('#interrupted li').count(), 0, 'nothing left to resume');
  assert.deepEqual(await remembered(page), []);
  await page.waitForFunction(() => /^17\.0 MiB of .* used · 1 file$/.test(document.querySelector('#quota-text').textContent));
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test('a large drop through a link loses its connection, resumes, and is accepted', async () => {
  const { path } = await textFile('site survey.txt', 9 * MiB); // 8 + 1 MiB
  const owner = await context(b);
  const page = await owner.newPage();
  await signUp(page, email('dropparts'));
  await page.getByLabel('Link label').fill('Survey data');
  await page.getByRole('button', { name: 'Create link' }).click();
  const box = page.getByLabel('Upload link to send');
  await box.waitFor();
  const url = await box.inputValue();

  const stranger = await context(b, { width: 360, height: 740 });
  const drop = await stranger.newPage();
  const dialogs = watchDialogs(drop);
  await drop.goto(url);
  await drop.getByRole('heading', { name: 'Survey data' }).waitFor();
  await drop.route(PART_URL, (route) => (PART_URL.exec(route.request().url())[1] === '2' ? route.abort('connectionreset') : route.fallback()));
  const stored = partsSeen(drop, 'response');
  await drop.getByLabel('Choose files').setInputFiles(path);
  const offer = drop.locator('#interrupted li', { hasText: 'site survey.txt was interrupted' });
  await offer.waitFor({ timeout: 40_000 });
  await drop.unroute(PART_URL);
  const missing = [1, 2].filter((n) => !stored.includes(n));
  assert.ok(missing.includes(2));
  // The receipt is remembered (this uploader's credential for that one file), the link's token is not.
  const entries = await remembered(drop);
  assert.equal(entries.length, 1);
  const token = new URL(url).pathname.split('/')[2];
  assert.doesNotMatch(JSON.stringify(entries), new RegExp(token));
  assert.ok(entries[0][1].receipt);

  // Still in the page's memory: Resume goes on at once.
  const resumed = partsSeen(drop, 'request');
  await drop.getByRole('button', { name: 'Resume site survey.txt' }).click();
  const sentRow = drop.locator('#uploads li', { hasText: 'site survey.txt' }).last();
  await sentRow.getByText('Accepted').waitFor({ timeout: 60_000 });
  assert.deepEqual(sorted(resumed), missing, 'only the missing part was sent again');
  assert.deepEqual(await remembered(drop), []);
  const [scroll, width] = await drop.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `no sideways scroll: ${scroll}px in ${width}px`);
  assert.deepEqual(dialogs, []);

  await page.reload();
  await fileRow(page, 'site survey.txt').getByText('Accepted').waitFor();
  await stranger.close();
  await owner.close();
});
