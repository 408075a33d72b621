// A file's versions in the owner's app, at 360 px and on a desktop. Run by its own test
// (local/tests/stack/e2e_web.rs) against a stack of its own that sends everything over 1 MiB in
// parts: a new version is uploaded from the file's Versions dialog, becomes current once
// accepted (the file's row follows), an older one is restored (a pointer moves, nothing is
// copied), and each downloads its own bytes. A large version goes in parts with the progress
// row, Cancel, error words and resume (after a reload) of a new upload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOTS, browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';

const MiB = 1024 * 1024;
const PART_URL = /[?&]partNumber=(\d+)(&|$)/;

// Numbered lines of ASCII: plain text, `size` bytes.
function text(size, tag) {
  const chunks = [];
  let n = 0;
  for (let i = 0; n < size; i += 1) {
    const l = Buffer.from(`${tag} line ${String(i).padStart(9, '0')} of a new version in parts\n`, 'latin1');
    chunks.push(l);
    n += l.length;
  }
  return Buffer.concat(chunks).subarray(0, size);
}

async function quotaText(page) {
  return (await page.locator('#quota-text').textContent()).trim();
}

const SIZES = [
  ['phone', { width: 360, height: 740 }],
  ['desktop', { width: 1200, height: 900 }],
];

// A second version: the same picture with bytes after its end (still a PNG).
const PNG2 = Buffer.concat([PNG, Buffer.alloc(130, 7)]);

let b;
let dir;
before(async () => {
  b = await browser();
  await mkdir(SHOTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'dropgate-versions-'));
});
after(async () => {
  await b?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function version(dialog, n) {
  return dialog.getByRole('list', { name: 'Versions' }).getByRole('listitem').filter({ hasText: `Version ${n}` });
}

async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  assert.equal(download.suggestedFilename(), 'report.png');
  return readFile(await download.path());
}

for (const [size, viewport] of SIZES) {
  test(`${size}: a new version becomes current once accepted, an older one is restored`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await signUp(page, email(`versions-${size}`));
    await page.getByLabel('Choose files').setInputFiles([{ name: 'report.png', mimeType: 'image/png', buffer: PNG }]);
    const row = fileRow(page, 'report.png');
    await row.getByText('Accepted').waitFor();

    await row.getByRole('button', { name: 'Versions of report.png' }).click();
    const dialog = page.getByRole('dialog', { name: 'Versions of report.png' });
    await dialog.waitFor();
    await version(dialog, 1).getByText('Version 1 (current)').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Restore version 1 of report.png' }).count(), 0, 'the current one is not restored');

    await dialog.getByLabel('Upload new version').setInputFiles([{ name: 'report-v2.png', mimeType: 'image/png', buffer: PNG2 }]);
    await version(dialog, 2).getByText(/Version 2 \(current\) · 200 B · Accepted/).waitFor();
    await version(dialog, 1).getByText(/^Version 1 · 70 B · Accepted/).waitFor();
    await page.screenshot({ path: `${SHOTS}/versions-${size}.png` });
    // The file's row follows its current version.
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('td.size', { hasText: '200 B' }).waitFor();
    assert.deepEqual(await downloaded(page, row.getByRole('button', { name: 'Download report.png' })), PNG2);
    await row.getByRole('button', { name: 'Versions of report.png' }).click();
    await version(dialog, 2).getByText('Version 2 (current)').waitFor();

    // Restore: version 1 is current again, and the file serves its bytes.
    await dialog.getByRole('button', { name: 'Restore version 1 of report.png' }).click();
    await version(dialog, 1).getByText('Version 1 (current)').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Version 1 of “report.png” is current again.' }).waitFor();
    assert.deepEqual(await downloaded(page, dialog.getByRole('button', { name: 'Download version 2 of report.png' })), PNG2);
    assert.deepEqual(await downloaded(page, dialog.getByRole('button', { name: 'Download version 1 of report.png' })), PNG);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('td.size', { hasText: '70 B' }).waitFor();
    assert.deepEqual(await downloaded(page, row.getByRole('button', { name: 'Download report.png' })), PNG);

    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${wide} px wide at ${viewport.width} px`);
    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
}

for (const [size, viewport] of SIZES) {
  test(`${size}: a 2 MiB version goes in parts with a progress row, Cancel and error words as a new upload`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await signUp(page, email(`bigversion-${size}`));
    const first = text(600, 'first');
    await page.getByLabel('Choose files').setInputFiles([{ name: 'notes.txt', mimeType: 'text/plain', buffer: first }]);
    const row = fileRow(page, 'notes.txt');
    await row.getByText('Accepted').waitFor();
    const parts = [];
    page.on('request', (r) => {
      const m = PART_URL.exec(r.url());
      if (r.method() === 'PUT' && m) parts.push(Number(m[1]));
    });

    await row.getByRole('button', { name: 'Versions of notes.txt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Versions of notes.txt' });
    await version(dialog, 1).getByText('Version 1 (current)').waitFor();
    const uploads = dialog.getByRole('list', { name: 'Version uploads' });

    // Past SINGLE_PUT_MAX_BYTES: the part routes of the version's own upload, one progress bar.
    const big = text(2 * MiB, 'second');
    await dialog.getByLabel('Upload new version').setInputFiles([{ name: 'notes v2.txt', mimeType: 'text/plain', buffer: big }]);
    const bar = dialog.getByLabel('Upload progress of notes v2.txt');
    await bar.waitFor();
    await version(dialog, 2).getByText(/Version 2 \(current\) · 2\.0 MiB · Accepted/).waitFor({ timeout: 60_000 });
    await uploads.getByRole('listitem').filter({ hasText: 'notes v2.txt' }).getByText('Accepted').waitFor();
    assert.equal(await bar.evaluate((el) => el.value), 100);
    assert.deepEqual(parts, [1], 'one part of 2 MiB, through the multipart routes');
    await page.screenshot({ path: `${SHOTS}/versions-parts-${size}.png` });
    let wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${wide} px wide at ${viewport.width} px with an upload row in the dialog`);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row.locator('td.size', { hasText: '2.0 MiB' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'Download notes.txt' }).click(),
    ]);
    assert.ok((await readFile(await download.path())).equals(big), 'the version in parts comes back the same');
    const quota = await quotaText(page);

    // Cancel while its part is on its way: the version and its reservation go.
    const held = [];
    await page.route(PART_URL, (route) => held.push(route));
    await row.getByRole('button', { name: 'Versions of notes.txt' }).click();
    assert.equal(await uploads.getByRole('listitem').count(), 0, 'a finished upload is not shown again');
    await dialog.getByLabel('Upload new version').setInputFiles([{ name: 'draft.txt', mimeType: 'text/plain', buffer: text(2 * MiB, 'third') }]);
    await version(dialog, 3).waitFor();
    while (held.length < 1) await page.waitForTimeout(50);
    await dialog.getByRole('button', { name: 'Cancel upload of draft.txt' }).click();
    await uploads.getByRole('listitem').filter({ hasText: 'draft.txt' }).getByText('Cancelled').waitFor();
    await version(dialog, 3).waitFor({ state: 'detached' });
    await page.waitForFunction((q) => document.querySelector('#quota-text').textContent.trim() === q, quota);
    await page.unroute(PART_URL);

    // Every try of the part losing its connection: the error in words, and the upload kept to
    // resume, as a new file's in parts is.
    const broken = join(dir, `broken-${size}.txt`);
    const brokenBytes = text(2 * MiB, 'fourth');
    await writeFile(broken, brokenBytes);
    await page.route(PART_URL, (route) => route.abort('connectionreset'));
    await dialog.getByLabel('Upload new version').setInputFiles(broken);
    const failed = uploads.getByRole('listitem').filter({ hasText: `broken-${size}.txt` });
    await failed.getByText(/^The connection failed\. .* It can be resumed\.$/).waitFor({ timeout: 40_000 });
    assert.equal(await failed.getByRole('button', { name: `Cancel upload of broken-${size}.txt` }).isVisible(), false);
    await page.unroute(PART_URL);
    await version(dialog, 4).getByText(/Version 4 · 2\.0 MiB · Upload interrupted/).waitFor();
    await version(dialog, 2).getByText('Version 2 (current)').waitFor();
    wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${wide} px wide at ${viewport.width} px`);

    // After a reload the page offers it; picked again, it is sent and becomes current.
    await page.reload();
    const offer = page.locator('#interrupted li', { hasText: `broken-${size}.txt was interrupted` });
    await offer.getByText('Choose the same file again to resume.').waitFor();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: `Resume broken-${size}.txt` }).click(),
    ]);
    await chooser.setFiles(broken);
    await page.locator('#uploads li', { hasText: `broken-${size}.txt` }).getByText('Accepted').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#interrupted li').count(), 0, 'nothing left to resume');
    await row.getByRole('button', { name: 'Versions of notes.txt' }).click();
    await version(dialog, 4).getByText(/Version 4 \(current\) · 2\.0 MiB · Accepted/).waitFor();
    assert.equal(await dialog.getByRole('list', { name: 'Versions' }).getByRole('listitem').count(), 3);
    const [back] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download version 4 of notes.txt' }).click(),
    ]);
    assert.ok((await readFile(await back.path())).equals(brokenBytes), 'the resumed version comes back the same');
    wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${wide} px wide at ${viewport.width} px`);
    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
}
