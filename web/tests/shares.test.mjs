// Share links from both sides: the owner shares an accepted file with a download limit and a
// password; a stranger's browser is asked the password before it sees anything, is refused a
// wrong one, unlocks the share (which counts nothing), downloads the exact bytes twice, and
// then finds the share used up. A locked share's page says so.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { API, SHOTS, browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';
import { mkdir } from 'node:fs/promises';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('share a file with a limit and a password; a stranger downloads exactly twice', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  await signUp(page, email('share'));
  await page.getByLabel('Choose files').setInputFiles([{ name: 'release notes.png', mimeType: 'image/png', buffer: PNG }]);
  const row = fileRow(page, 'release notes.png');
  await row.getByText('Accepted').waitFor();
  await row.getByRole('button', { name: 'Share release notes.png' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Share label (optional)').fill('For Ada');
  await dialog.getByLabel('Downloads allowed (empty: no limit)').fill('2');
  await dialog.getByLabel('Password (optional)').fill('open sesame');
  await dialog.getByRole('button', { name: 'Create share' }).click();
  const box = page.getByLabel('Share link to send');
  await box.waitFor();
  const url = await box.inputValue();
  assert.match(url, new RegExp(`^${API}/s/[A-Za-z0-9_-]{43}$`));
  await page.locator('#shares li', { hasText: 'For Ada' }).getByText('0 downloads (2 left) · password', { exact: false }).waitFor();
  // An edit shows in the list: the owner now asks to be mailed.
  await page.getByRole('button', { name: 'Edit share For Ada (release notes.png)' }).click();
  await page.getByRole('dialog').getByLabel('Mail me on each download').check();
  await page.getByRole('dialog').getByRole('button', { name: 'Save share' }).click();
  await page.locator('#shares li', { hasText: 'For Ada' }).getByText('0 downloads (2 left) · password · mails you', { exact: false }).waitFor();

  const stranger = await context(b, { width: 360, height: 740 });
  const s = await stranger.newPage();
  const dialogs = watchDialogs(s);
  await s.goto(url);
  // A protected share tells nothing before its password: no name, size or button.
  await s.getByRole('heading', { name: 'This file is protected by a password' }).waitFor();
  assert.equal(await s.getByText('release notes.png').count(), 0);
  assert.equal(await s.getByRole('button', { name: 'Download' }).isVisible(), false);
  await s.getByLabel('Password').fill('guess');
  await s.getByRole('button', { name: 'Unlock' }).click();
  await s.getByRole('alert').getByText('That password is wrong.').waitFor();
  assert.equal(await s.getByText('release notes.png').count(), 0);

  await s.getByLabel('Password').fill('open sesame');
  await s.getByRole('button', { name: 'Unlock' }).click();
  await s.getByRole('heading', { name: 'release notes.png' }).waitFor();
  assert.equal(await s.locator('#downloads-left').textContent(), '2');
  await mkdir(SHOTS, { recursive: true });
  await s.screenshot({ path: `${SHOTS}/share-phone.png`, fullPage: true });
  // Opening the page again asks again, and unlocking counted nothing.
  await s.reload();
  await s.getByRole('heading', { name: 'This file is protected by a password' }).waitFor();
  await s.getByLabel('Password').fill('open sesame');
  await s.getByRole('button', { name: 'Unlock' }).click();
  await s.getByRole('heading', { name: 'release notes.png' }).waitFor();
  assert.equal(await s.locator('#downloads-left').textContent(), '2');

  for (const left of ['1', '0']) {
    const [download] = await Promise.all([s.waitForEvent('download'), s.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'release notes.png');
    assert.deepEqual(await readFile(await download.path()), PNG);
    if (left === '1') await s.waitForFunction(() => document.querySelector('#downloads-left').textContent === '1');
  }
  await s.reload();
  await s.getByRole('heading', { name: 'No downloads left' }).waitFor();
  assert.deepEqual(dialogs, []);

  // The owner: a used-up share is hidden until asked for, says so, and counts no "left".
  await page.reload();
  const ada = page.locator('#shares li', { hasText: 'For Ada' });
  await page.getByLabel('Show ended shares').waitFor();
  assert.equal(await ada.isVisible(), false, 'ended shares are hidden by default');
  await page.getByLabel('Show ended shares').check();
  await ada.getByText('Used up').waitFor();
  const counts = await ada.locator('.muted').first().textContent();
  assert.match(counts, /^2 downloads · password/);
  assert.doesNotMatch(counts, /left|until/);
  assert.equal(await ada.getByRole('button', { name: /^Revoke/ }).count(), 0, 'no Revoke on an ended share');
  // Its download log, then its removal.
  await ada.getByRole('button', { name: 'Downloads of share For Ada (release notes.png)' }).click();
  await ada.getByRole('list', { name: 'Download log' }).waitFor();
  assert.equal(await ada.getByRole('list', { name: 'Download log' }).getByRole('listitem').count(), 2);
  await ada.getByRole('button', { name: 'Remove share For Ada (release notes.png)' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await ada.waitFor({ state: 'detached' });
  await stranger.close();
  await owner.close();
});

test('a locked share says so, and for how long', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  await signUp(page, email('locked'));
  await page.getByLabel('Choose files').setInputFiles([{ name: 'plans.png', mimeType: 'image/png', buffer: PNG }]);
  const row = fileRow(page, 'plans.png');
  await row.getByText('Accepted').waitFor();
  await row.getByRole('button', { name: 'Share plans.png' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Password (optional)').fill('open sesame');
  await dialog.getByRole('button', { name: 'Create share' }).click();
  const box = page.getByLabel('Share link to send');
  await box.waitFor();
  const url = await box.inputValue();

  // Locking takes SHARE_MAX_FAILURES wrong passwords from many addresses (the stack tests do
  // that); here the API's answer to a locked share is played to the page.
  const stranger = await context(b);
  const s = await stranger.newPage();
  await s.route('**/share/*/unlock', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '1800' },
      body: JSON.stringify({ error: { code: 'share_locked', message: 'locked', retry_after: 1800 } }),
    }),
  );
  await s.goto(url);
  await s.getByLabel('Password').fill('open sesame');
  await s.getByRole('button', { name: 'Unlock' }).click();
  await s.getByRole('alert').getByText('This share is locked after too many wrong passwords. Try again in 30 minutes.').waitFor();
  assert.equal(await s.getByText('plans.png').count(), 0);
  await stranger.close();
  await owner.close();
});
