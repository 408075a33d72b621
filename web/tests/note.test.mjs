// The uploader's note: a stranger writes one on the drop page (found by its label), the owner
// reads it in their file list as text, and nobody else sees it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, context, signUp, email, fileRow, watchDialogs, PDF } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('a note written on the drop page reaches the owner as text', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('note'));
  await page.getByLabel('Link label').fill('Signed forms');
  await page.getByRole('button', { name: 'Create link' }).click();
  const box = page.getByLabel(/^Upload link to send/);
  await box.waitFor();
  const url = await box.inputValue();

  const stranger = await context(b, { width: 360, height: 740 });
  const drop = await stranger.newPage();
  const strangerDialogs = watchDialogs(drop);
  await drop.goto(url);
  await drop.getByRole('heading', { name: 'Signed forms' }).waitFor();
  const note = drop.getByLabel('Note for the recipient (optional)');
  assert.equal(await note.evaluate((el) => el.tagName), 'TEXTAREA');
  // Too long never leaves the page: the field stops at the server's limit.
  await note.fill('x'.repeat(600));
  assert.equal((await note.inputValue()).length, 500);
  const written = 'Hello,\nsigned on page 2 <img src=x onerror=alert(1)><script>alert(2)</script>';
  await note.fill(written);
  await drop.getByLabel('Choose files').setInputFiles([{ name: 'form.pdf', mimeType: 'application/pdf', buffer: PDF }]);
  await drop.locator('#uploads li', { hasText: 'form.pdf' }).getByText('Accepted').waitFor();
  assert.doesNotMatch(await drop.locator('#uploads').innerText(), /signed on page/, 'the drop page does not echo it');

  await page.reload();
  const row = fileRow(page, 'form.pdf');
  await row.getByText('Accepted').waitFor();
  const shown = row.locator('.note');
  assert.equal(await shown.textContent(), `Note: ${written}`);
  assert.match(await shown.innerText(), /Hello,\nsigned on page 2/, 'its lines are kept');
  assert.equal(await page.locator('#files img, #files script').count(), 0, 'no element made from the note');
  // On a phone it has a line of its own, under the sender's.
  await page.setViewportSize({ width: 360, height: 800 });
  assert.ok(await shown.isVisible());
  const sender = await row.locator('.sender').boundingBox();
  const noteBox = await shown.boundingBox();
  assert.ok(noteBox.y >= sender.y + sender.height - 1, 'below the sender');

  // Another owner's list has no trace of it.
  const other = await context(b);
  const theirs = await other.newPage();
  await signUp(theirs, email('note-other'));
  assert.doesNotMatch(await theirs.locator('body').innerText(), /signed on page/);

  assert.deepEqual(dialogs, []);
  assert.deepEqual(strangerDialogs, []);
  await other.close();
  await stranger.close();
  await owner.close();
});
