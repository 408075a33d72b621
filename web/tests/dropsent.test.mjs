// The drop page as a stranger meets it on a phone: told to choose files (a phone cannot drop
// them), and its "Your files" still there, with their verdicts, after a reload; on that tab
// only: another browser sees none.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, context, signUp, email, PDF, PNG } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('a phone is told to choose files, and "Your files" survives a reload', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  await signUp(page, email('drop-sent'));
  await page.getByLabel('Link label').fill('Receipts');
  await page.getByRole('button', { name: 'Create link' }).click();
  const box = page.getByLabel('Upload link to send');
  await box.waitFor();
  const url = await box.inputValue();

  const phone = await b.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  phone.setDefaultTimeout(20_000);
  const drop = await phone.newPage();
  await drop.goto(url);
  await drop.getByRole('heading', { name: 'Receipts' }).waitFor();
  assert.equal(await drop.getByText('or drop them here').isVisible(), false, 'a phone is told to drop files');
  assert.equal(await drop.getByText('Choose files').isVisible(), true);
  await drop.getByLabel('Choose files').setInputFiles([
    { name: 'invoice.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'stamp.png', mimeType: 'image/png', buffer: PNG },
  ]);
  const yours = drop.getByRole('list', { name: 'Your files' });
  await yours.locator('li', { hasText: 'invoice.pdf' }).getByText('Accepted').waitFor();
  await yours.locator('li', { hasText: 'stamp.png' }).getByText('Accepted').waitFor();

  await drop.reload();
  await drop.getByRole('heading', { name: 'Receipts' }).waitFor();
  await yours.locator('li', { hasText: 'invoice.pdf' }).getByText('Accepted').waitFor();
  await yours.locator('li', { hasText: 'stamp.png' }).getByText('Accepted').waitFor();
  assert.equal(await yours.locator('li').count(), 2);
  // The token is not what is stored: only the receipts, under a digest of it.
  const stored = await drop.evaluate(() => JSON.stringify({ ...sessionStorage }));
  assert.equal(stored.includes(new URL(url).pathname.split('/')[2]), false, 'the link token is stored');
  await phone.close();

  // A desktop is told it can drop files; another browser has sent nothing.
  const desk = await context(b);
  const other = await desk.newPage();
  await other.goto(url);
  await other.getByRole('heading', { name: 'Receipts' }).waitFor();
  assert.equal(await other.getByText('or drop them here').isVisible(), true);
  assert.equal(await other.getByRole('list', { name: 'Your files' }).isVisible(), false);
  await desk.close();
  await owner.close();
});
