// Upload links from both sides: the owner creates one, a stranger with no account drops
// files through it in a fresh browser, both see the verdicts, the owner revokes it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API, browser, context, signUp, email, fileRow, watchDialogs, PNG, PDF, exe } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('create a link, drop two files with a name, see the verdicts on both sides, revoke', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  await signUp(page, email('links'));

  await page.getByLabel('Link label').fill('Client documents');
  await page.getByLabel('Uploads allowed').fill('5');
  await page.getByLabel('PDF').check();
  await page.getByLabel('PNG').check();
  await page.getByLabel("Ask for the uploader's name").check();
  await page.getByRole('button', { name: 'Create link' }).click();
  const urlBox = page.getByLabel('Upload link to send');
  await urlBox.waitFor();
  const url = await urlBox.inputValue();
  assert.match(url, new RegExp(`^${API}/d/[A-Za-z0-9_-]{43}$`));
  const linkItem = page.locator('#links li', { hasText: 'Client documents' });
  await linkItem.getByText('Active').waitFor();

  // A stranger: a fresh context, phone-sized, no session.
  const stranger = await context(b, { width: 360, height: 740 });
  const drop = await stranger.newPage();
  const dialogs = watchDialogs(drop);
  await drop.goto(url);
  await drop.getByRole('heading', { name: 'Client documents' }).waitFor();
  assert.equal(await drop.locator('#uploads-left').textContent(), '5');
  assert.match(await drop.locator('#allowed-types').textContent(), /PDF document/);
  // The name is asked for first.
  await drop.getByLabel('Choose files').setInputFiles([{ name: 'early.pdf', mimeType: 'application/pdf', buffer: PDF }]);
  await drop.getByRole('alert').getByText('Please enter your name first.').waitFor();

  await drop.getByLabel('Your name (required)').fill('Grace Hopper');
  await drop.getByLabel('Choose files').setInputFiles([
    { name: 'scan.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'invoice.png', mimeType: 'image/png', buffer: exe() },
  ]);
  const sent = drop.locator('#uploads');
  await sent.locator('li', { hasText: 'scan.pdf' }).getByText('Accepted').waitFor();
  await sent
    .locator('li', { hasText: 'invoice.png' })
    .getByText('Rejected: its content is not the type it claims')
    .waitFor();
  // What the link has left follows (a rejected file keeps its use).
  await drop.waitForFunction(() => document.querySelector('#uploads-left').textContent === '3');
  assert.doesNotMatch(await drop.locator('body').innerText(), /photo|links@|@example\.com/, 'nothing of the owner');

  // The owner's list shows both, with the uploader's name and the link.
  await page.reload();
  const scan = fileRow(page, 'scan.pdf');
  await scan.getByText('Grace Hopper, via Link “Client documents”').waitFor();
  await scan.getByText('Accepted').waitFor();
  await fileRow(page, 'invoice.png').getByText(/^Rejected/).waitFor();
  await page.locator('#links li', { hasText: 'Client documents' }).getByText('2 of 5 uploads used', { exact: false }).waitFor();

  // Revoke: the drop page says so.
  await page.getByRole('button', { name: 'Revoke link Client documents' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  // The page says so at its top (which moves what is below): wait for it, as a person would.
  await page.getByText('Revoked “Client documents”.').waitFor();
  await page.getByLabel('Show ended links').check();
  await page.locator('#links li', { hasText: 'Client documents' }).getByText('Revoked').waitFor();
  await drop.reload();
  await drop.getByRole('heading', { name: 'This link was withdrawn' }).waitFor();
  assert.equal(await drop.getByText('Choose files').isVisible(), false, 'no upload on a closed link');

  // An unknown link is a page in words too.
  await drop.goto(`${API}/d/${'x'.repeat(43)}`);
  await drop.getByRole('heading', { name: 'This link does not exist' }).waitFor();
  assert.deepEqual(dialogs, []);
  await stranger.close();
  await owner.close();
});

test('hostile names render as text, on the owner page and the drop page', async () => {
  const hostile = '<img src=x onerror=alert(1)>.png';
  const owner = await context(b);
  const page = await owner.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('xss'));
  await page.getByLabel('Choose files').setInputFiles([{ name: hostile, mimeType: 'image/png', buffer: PNG }]);
  const row = fileRow(page, hostile);
  await row.getByText('Accepted').waitFor();
  assert.equal(await row.locator('td.name').textContent(), hostile);
  assert.equal(await page.locator('#files img').count(), 0, 'no element made from a name');

  // A label an owner typed, shown to a stranger.
  await page.getByLabel('Link label').fill('<script>alert(2)</script>');
  await page.getByRole('button', { name: 'Create link' }).click();
  const box = page.getByLabel('Upload link to send');
  await box.waitFor();
  const url = await box.inputValue();
  const stranger = await context(b);
  const drop = await stranger.newPage();
  const strangerDialogs = watchDialogs(drop);
  await drop.goto(url);
  await drop.getByRole('heading', { name: '<script>alert(2)</script>' }).waitFor();
  await drop.getByLabel('Your name (optional)').fill('<b onmouseover=alert(3)>Eve</b>');
  await drop.getByLabel('Choose files').setInputFiles([{ name: hostile, mimeType: 'image/png', buffer: PNG }]);
  await drop.locator('#uploads li').getByText('Accepted').waitFor();
  await page.reload();
  const dropped = page.locator('#files tbody tr').filter({ hasText: '<b onmouseover=alert(3)>Eve</b>' });
  await dropped.waitFor();
  assert.equal(await page.locator('#files b, #files img').count(), 0);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(strangerDialogs, []);
  await stranger.close();
  await owner.close();
});

test('a link is copied again after a reload, shown as a QR code, edited, and ends in words', async () => {
  const owner = await context(b);
  await owner.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: API });
  const page = await owner.newPage();
  await signUp(page, email('links-again'));
  await page.getByLabel('Link label').fill('Photos from the trip');
  await page.getByLabel('Uploads allowed').fill('3');
  await page.getByLabel('PNG').check();
  await page.getByRole('button', { name: 'Create link' }).click();
  const created = await page.getByLabel('Upload link to send').inputValue();

  // After a reload the creation box is gone; the list copies the same URL.
  await page.reload();
  const item = page.locator('#links li', { hasText: 'Photos from the trip' });
  await item.getByText('Active').waitFor();
  await item.getByText('Allowed: PNG image · up to', { exact: false }).waitFor();
  await item.getByText('no name asked', { exact: false }).waitFor();
  await page.getByRole('button', { name: 'Copy link Photos from the trip' }).click();
  await page.getByText('Link copied.').waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, created);
  await page.getByRole('button', { name: 'QR code of link Photos from the trip' }).click();
  const qr = page.getByRole('img', { name: 'QR code of the link Photos from the trip' });
  await qr.waitFor();
  assert.equal(await qr.getAttribute('data-text'), created, 'the QR code holds the URL');

  // The copied URL opens the same drop page.
  const stranger = await context(b, { width: 360, height: 740 });
  const drop = await stranger.newPage();
  await drop.goto(copied);
  await drop.getByRole('heading', { name: 'Photos from the trip' }).waitFor();
  assert.equal(await drop.locator('#uploads-left').textContent(), '3');

  // Edit: fewer uploads, a name required; the list and the drop page follow.
  await page.getByRole('button', { name: 'Edit link Photos from the trip' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Label').fill('Trip photos');
  await dialog.getByLabel('Uploads allowed').fill('1');
  await dialog.getByLabel("Require the uploader's name").check();
  // The types too: the dialog offers the creation form's choices, and only while it is open.
  await dialog.getByLabel('PNG').check();
  await dialog.getByLabel('JPEG').check();
  await dialog.getByRole('button', { name: 'Save link' }).click();
  const edited = page.locator('#links li', { hasText: 'Trip photos' });
  await edited.getByText('0 of 1 uploads used', { exact: false }).waitFor();
  await edited.getByText('name required', { exact: false }).waitFor();
  await edited.getByText('Allowed: PNG image, JPEG image', { exact: false }).waitFor();
  assert.equal(await page.getByLabel('PNG', { exact: true }).count(), 1, 'the closed dialog leaves no second PNG box');
  // Opened again, it shows what the link allows; JPEG unticked is the only change sent.
  await page.getByRole('button', { name: 'Edit link Trip photos' }).click();
  assert.equal(await dialog.getByLabel('PNG').isChecked(), true);
  assert.equal(await dialog.getByLabel('PDF').isChecked(), false);
  await dialog.getByLabel('JPEG').uncheck();
  await dialog.getByRole('button', { name: 'Save link' }).click();
  await edited.getByText('Allowed: PNG image ·', { exact: false }).waitFor();
  await drop.reload();
  await drop.getByRole('heading', { name: 'Trip photos' }).waitFor();
  assert.equal(await drop.locator('#uploads-left').textContent(), '1');

  // Used up: the list says so (no "left", no expiry, no Revoke), hidden until asked for.
  await drop.getByLabel('Your name (required)').fill('Ada');
  await drop.getByLabel('Choose files').setInputFiles([{ name: 'beach.png', mimeType: 'image/png', buffer: PNG }]);
  await drop.locator('#uploads li', { hasText: 'beach.png' }).getByText('Accepted').waitFor();
  await page.reload();
  await page.getByLabel('Show ended links (1)').waitFor();
  assert.equal(await edited.isVisible(), false, 'an ended link is hidden by default');
  await page.getByLabel('Show ended links').check();
  await edited.getByText('Used up').waitFor();
  const words = await edited.innerText();
  assert.match(words, /1 of 1 uploads used/);
  assert.doesNotMatch(words, /expires|left/);
  assert.equal(await edited.getByRole('button', { name: /^(Revoke|Edit|Copy)/ }).count(), 0);
  await page.getByRole('button', { name: 'Remove link Trip photos' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await edited.waitFor({ state: 'detached' });
  await page.reload();
  await page.locator('#links').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#links li', { hasText: 'Trip photos' }).count(), 0);
  await stranger.close();
  await owner.close();
});
