// The owner's app, as a person uses it: sign up, upload, watch verdicts arrive, download,
// delete, stay logged in across a reload, log out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { API, browser, context, signUp, email, fileRow, watchDialogs, PNG, exe, PASSWORD } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

async function quotaText(page) {
  return (await page.locator('#quota-text').textContent()).trim();
}

async function quotaValue(page) {
  return page.getByLabel('Storage used').evaluate((el) => el.value);
}

test('sign up, upload, verdicts without reload, download, delete, quota bar', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('app'));
  await page.getByText('0 B of').waitFor();
  const emptyQuota = await quotaValue(page);
  assert.equal(emptyQuota, 0);

  // A real PNG is accepted, and the list says so without a reload.
  await page.getByLabel('Choose files').setInputFiles([
    { name: 'photo.png', mimeType: 'image/png', buffer: PNG },
    { name: 'setup.png', mimeType: 'image/png', buffer: exe() },
  ]);
  const photo = fileRow(page, 'photo.png');
  await photo.getByText('Accepted').waitFor();
  // A program renamed .png is rejected (its name lies: type_mismatch), with its reason in words.
  const fake = fileRow(page, 'setup.png');
  await fake.getByText('Rejected: its content is not the type it claims').waitFor();
  // The verdicts are said in the uploads' live statuses too, for screen readers.
  const uploads = page.getByRole('list', { name: 'Uploads' });
  await uploads.getByRole('status').filter({ hasText: /^Accepted$/ }).waitFor();
  await uploads.getByRole('status').filter({ hasText: 'Rejected: its content is not the type it claims' }).waitFor();
  assert.equal(await fake.getByRole('button', { name: /Download/ }).count(), 0, 'no download of a rejected file');
  await page.waitForFunction(() => document.querySelector('#quota-text').textContent.includes('1 file'));
  assert.ok((await quotaValue(page)) > 0, 'the quota bar moved');
  assert.match(await quotaText(page), /^\d+ B of .* used · 1 file$/);

  // Download: the same bytes.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    photo.getByRole('button', { name: 'Download photo.png' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'photo.png');
  assert.deepEqual(await readFile(await download.path()), PNG);

  // Stays logged in across a reload (the refresh token is in an HttpOnly cookie).
  await page.reload();
  await fileRow(page, 'photo.png').getByText('Accepted').waitFor();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.equal(stored, '{}{}', 'no token in storage or in a script-readable cookie');

  // Delete, confirmed in a dialog; the quota goes back to zero.
  await fileRow(page, 'photo.png').getByRole('button', { name: 'Delete photo.png' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await fileRow(page, 'photo.png').waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.querySelector('#quota-text').textContent.includes('0 files'));
  assert.equal(await quotaValue(page), 0);

  // Log out: the reload no longer knows us, and the session is over at the server too: a copy
  // of the cookie taken before refreshes nothing.
  const [cookie] = (await ctx.cookies()).filter((c) => c.name === '__Host-dropgate_refresh');
  assert.ok(cookie?.value, 'a session cookie before logout');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  const replay = await ctx.request.post(`${API}/auth/refresh`, { data: { refresh_token: cookie.value } });
  assert.equal(replay.status(), 401);
  assert.equal((await replay.json()).error.code, 'invalid_token');
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test('errors are words: wrong password, a type the service refuses; a lost session asks to log in', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  const address = email('words');
  await signUp(page, address);
  await page.getByLabel('Choose files').setInputFiles([
    { name: 'tool.exe', mimeType: 'application/x-msdownload', buffer: exe() },
  ]);
  await page
    .locator('.upload')
    .getByText('This type of file is not allowed here. Allowed here: Anything but programs and scripts.')
    .waitFor();

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('#login-form').getByLabel('Email').fill(address);
  await page.locator('#login-form').getByLabel('Password').fill('Wrong1password');
  await page.locator('#login-form').getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').getByText('Wrong email or password.').waitFor();
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, /\b(401|403|413|415)\b/, 'no status codes shown');

  await page.locator('#login-form').getByLabel('Password').fill(PASSWORD);
  await page.locator('#login-form').getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
  // Without the session cookie (expired, cleared), a reload asks to log in again.
  await ctx.clearCookies();
  await page.reload();
  await page.locator('#login-form').getByRole('button', { name: 'Log in' }).waitFor();
  await ctx.close();
});

test('pages carry their security headers and are served compressed and revalidated', async () => {
  for (const path of ['/', '/d/some-token', '/assets/app.js', '/assets/style.css']) {
    const r = await fetch(API + path, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 200, path);
    const csp = r.headers.get('content-security-policy');
    assert.ok(csp, `CSP on ${path}`);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    const etag = r.headers.get('etag');
    assert.ok(etag, `ETag on ${path}`);
    const again = await fetch(API + path, { headers: { 'if-none-match': etag, 'accept-encoding': 'gzip' } });
    assert.equal(again.status, 304, `revalidation of ${path}`);
  }
});

test('a label names one control at a time: the one that can be used', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  const id = (locator) => locator.evaluate((el) => el.id);
  await page.goto(API + '/');
  await page.getByRole('tab', { name: 'Log in' }).waitFor();
  // Log-in and sign-up both ask for "Email" and "Password"; the closed share dialog has
  // "Password (optional)" and "Expires after", as has the (hidden) link form.
  assert.equal(await id(page.getByLabel('Email')), 'login-email');
  assert.equal(await id(page.getByLabel('Password')), 'login-password');
  assert.equal(await page.getByLabel('Expires after').count(), 0);
  await page.getByRole('tab', { name: 'Sign up' }).click();
  assert.equal(await id(page.getByLabel('Email')), 'signup-email');
  assert.equal(await id(page.getByLabel('Password')), 'signup-password');

  await page.getByLabel('Email').fill(email('labels'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
  // The account settings ask for "New email", "Current password" and "New password": never
  // the log-in form's.
  assert.equal(await page.getByLabel('Email', { exact: true }).count(), 0);
  assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
  assert.equal(await id(page.getByLabel('Expires after')), 'link-expiry');

  await page.getByLabel('Choose files').setInputFiles([{ name: 'label.png', mimeType: 'image/png', buffer: PNG }]);
  const row = fileRow(page, 'label.png');
  await row.getByText('Accepted').waitFor();
  await row.getByRole('button', { name: 'Share label.png' }).click();
  await page.getByRole('dialog').waitFor();
  // The modal is all that can be used now.
  assert.equal(await id(page.getByLabel('Expires after')), 'share-expiry');
  assert.equal(await id(page.getByLabel('Password')), 'share-password-new');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  assert.equal(await id(page.getByLabel('Expires after')), 'link-expiry');
  assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
  await ctx.close();
});
