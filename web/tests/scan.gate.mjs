// The malware gate as people see it. Run by its own test (local/tests/stack/e2e_web.rs) against
// a stack whose local scanner (clamd) answers each object 4 s late (`--scanner-faults
// delay_ms=4000`), so that the wait is there to be seen by pages that poll every 1.5 s: not by
// the main suite, whose verdicts would all wait that long. A clean file is "Scanning for
// malware…" with no download or share, then "Accepted"; EICAR is refused: the owner reads the
// threat's name, the stranger who dropped it only "Refused for safety".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API, browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';

// The EICAR test file: every scanner flags it, it harms nothing.
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('a clean file is scanning, with no download or share, then accepted', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('scan'));
  await page.getByLabel('Choose files').setInputFiles([{ name: 'clean.png', mimeType: 'image/png', buffer: PNG }]);
  const row = fileRow(page, 'clean.png');
  await row.getByText('Scanning for malware…').waitFor();
  // The upload's live status says it too.
  await page.getByRole('list', { name: 'Uploads' }).getByRole('status').filter({ hasText: 'Scanning for malware…' }).waitFor();
  assert.equal(await row.getByRole('button', { name: 'Download clean.png' }).count(), 0, 'no download while scanning');
  assert.equal(await row.getByRole('button', { name: 'Share clean.png' }).count(), 0, 'no share while scanning');
  await row.getByText('Accepted').waitFor();
  await row.getByRole('button', { name: 'Download clean.png' }).waitFor();
  await row.getByRole('button', { name: 'Share clean.png' }).waitFor();
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test('EICAR is refused: the owner reads the threat, the stranger only "Refused for safety"', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('eicar'));

  // The owner's own upload.
  await page.getByLabel('Choose files').setInputFiles([{ name: 'notes.txt', mimeType: 'text/plain', buffer: EICAR }]);
  const own = fileRow(page, 'notes.txt');
  await own.getByText('Scanning for malware…').waitFor();
  const verdict = own.getByText(/^Rejected: malware found \(.+\)$/);
  await verdict.waitFor();
  assert.equal(await own.getByRole('button', { name: 'Download notes.txt' }).count(), 0, 'no download of malware');
  assert.equal(await own.getByRole('button', { name: 'Share notes.txt' }).count(), 0, 'no share of malware');

  // A stranger drops it through a link.
  await page.getByLabel('Link label').fill('Scanned inbox');
  await page.getByRole('button', { name: 'Create link' }).click();
  const urlBox = page.getByLabel('Upload link to send');
  await urlBox.waitFor();
  const url = await urlBox.inputValue();
  const stranger = await context(b, { width: 360, height: 740 });
  const drop = await stranger.newPage();
  const strangerDialogs = watchDialogs(drop);
  await drop.goto(url);
  await drop.getByRole('heading', { name: 'Scanned inbox' }).waitFor();
  await drop.getByLabel('Choose files').setInputFiles([{ name: 'report.txt', mimeType: 'text/plain', buffer: EICAR }]);
  const sent = drop.locator('#uploads li', { hasText: 'report.txt' });
  await sent.getByText('Scanning…').waitFor();
  await sent.getByText('Refused for safety').waitFor();
  // The threat's name, whatever the signatures call it, is the owner's to read only.
  const threat = (await verdict.textContent()).match(/\((.+)\)$/)[1];
  assert.ok(!(await drop.locator('body').innerText()).includes(threat), `no threat name for the stranger (${threat})`);
  assert.doesNotMatch(await drop.locator('body').innerText(), /malware found|eicar/i);

  // The owner's list: the dropped file is rejected with the threat named, never downloadable.
  await page.reload();
  const dropped = fileRow(page, 'report.txt');
  await dropped.getByText(`Rejected: malware found (${threat})`).waitFor();
  assert.equal(await dropped.getByRole('button', { name: 'Download report.txt' }).count(), 0);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(strangerDialogs, []);
  await stranger.close();
  await owner.close();
});
