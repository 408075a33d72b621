// Share links from both sides: the owner shares an accepted file with a download limit and a
// password; a stranger's browser sees the page (which counts nothing), is refused a wrong
// password, downloads the exact bytes twice, and then finds the share used up.

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
  const box = page.getByLabel('Share link to send (shown only once)');
  await box.waitFor();
  const url = await box.inputValue();
  assert.match(url, new RegExp(`^${API}/s/[A-Za-z0-9_-]{43}$`));
  await page.locator('#shares li', { hasText: 'For Ada' }).getByText('0 downloads (2 left) · password', { exact: false }).waitFor();

  const stranger = await context(b, { width: 360, height: 740 });
  const s = await stranger.newPage();
  const dialogs = watchDialogs(s);
  await s.goto(url);
  await s.getByRole('heading', { name: 'release notes.png' }).waitFor();
  assert.equal(await s.locator('#downloads-left').textContent(), '2');
  await mkdir(SHOTS, { recursive: true });
  await s.screenshot({ path: `${SHOTS}/share-phone.png`, fullPage: true });
  // Opening the page twice counted nothing.
  await s.reload();
  await s.getByRole('heading', { name: 'release notes.png' }).waitFor();
  assert.equal(await s.locator('#downloads-left').textContent(), '2');

  await s.getByLabel('Password').fill('guess');
  await s.getByRole('button', { name: 'Download' }).click();
  await s.getByRole('alert').getByText('That password is wrong.').waitFor();

  for (const left of ['1', '0']) {
    await s.getByLabel('Password').fill('open sesame');
    const [download] = await Promise.all([s.waitForEvent('download'), s.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'release notes.png');
    assert.deepEqual(await readFile(await download.path()), PNG);
    if (left === '1') await s.waitForFunction(() => document.querySelector('#downloads-left').textContent === '1');
  }
  await s.reload();
  await s.getByRole('heading', { name: 'No downloads left' }).waitFor();
  assert.deepEqual(dialogs, []);

  await page.reload();
  await page.locator('#shares li', { hasText: 'For Ada' }).getByText('No downloads left').waitFor();
  await page.locator('#shares li', { hasText: 'For Ada' }).getByText('2 downloads (0 left)', { exact: false }).waitFor();
  await stranger.close();
  await owner.close();
});
