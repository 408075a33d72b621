// Deleting one's own account from the settings, driven by labels at phone width: nothing
// happens until the email is typed and the password is right; then the page says what was
// removed and the account no longer logs in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API, PASSWORD, browser, context, signUp, email } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('an owner deletes their account behind typing its email and the password', async () => {
  const ctx = await context(b, { width: 360, height: 740 });
  const page = await ctx.newPage();
  const address = email('delete-me');
  await signUp(page, address);
  const settings = page.getByRole('region', { name: 'Account settings' });
  await settings.getByText(address).waitFor();

  // The wrong address: nothing is sent.
  await page.getByLabel('Type your email to confirm').fill('someone@example.com');
  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete account' }).click();
  await settings.getByText(`Type ${address} exactly to confirm. Nothing was deleted.`).waitFor();

  // The wrong password: refused, the account stays.
  await page.getByLabel('Type your email to confirm').fill(address);
  await page.getByLabel('Your password').fill('Wrong1horse');
  await page.getByRole('button', { name: 'Delete account' }).click();
  await settings.getByText('That password is wrong. Nothing was deleted.').waitFor();

  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete account' }).click();
  await page.getByText('Your account is deleted: 0 files, 0 upload links and 0 shares removed.', { exact: false }).waitFor();
  await page.getByRole('tab', { name: 'Log in' }).waitFor();
  const r = await fetch(`${API}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: address, password: PASSWORD }) });
  assert.equal(r.status, 401);
  await ctx.close();
});
