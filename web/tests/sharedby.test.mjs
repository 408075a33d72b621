// A share's page names who shared it, as its owner chose: the owner saves a name in their
// account, a stranger's page says "Shared by …" (as text, never the owner's email), and says
// nothing of the kind once the owner clears the name.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, context, signUp, email, fileRow, PNG } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('the owner names themself on shares; the share page shows it, and only it', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  const address = email('sharedby');
  await signUp(page, address);
  const nameBox = page.getByLabel('Your name on shares');
  assert.equal(await nameBox.inputValue(), '');
  // Markup in a name stays text on the share's page.
  await nameBox.fill('  Ada <b>Lovelace</b> ');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved: your shares show your name.').waitFor();
  assert.equal(await nameBox.inputValue(), 'Ada <b>Lovelace</b>');

  await page.getByLabel('Choose files').setInputFiles([{ name: 'notes.png', mimeType: 'image/png', buffer: PNG }]);
  const row = fileRow(page, 'notes.png');
  await row.getByText('Accepted').waitFor();
  await row.getByRole('button', { name: 'Share notes.png' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Create share' }).click();
  const box = page.getByLabel('Share link to send');
  await box.waitFor();
  const url = await box.inputValue();

  const stranger = await context(b, { width: 360, height: 740 });
  const s = await stranger.newPage();
  await s.goto(url);
  await s.getByRole('heading', { name: 'notes.png' }).waitFor();
  await s.getByText('Shared by Ada <b>Lovelace</b>', { exact: true }).waitFor();
  assert.equal(await s.locator('#shared-by b').count(), 0);
  assert.equal((await s.content()).includes(address), false);

  // Cleared: the page names nobody (and still never the email).
  await nameBox.fill('');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved: your shares show no name.').waitFor();
  await s.reload();
  await s.getByRole('heading', { name: 'notes.png' }).waitFor();
  assert.equal(await s.getByText('Shared by', { exact: false }).count(), 0);
  assert.equal((await s.content()).includes(address), false);
});
