// The API tokens section, driven by labels: a token is made (its secret shown once, to copy),
// works as a bearer credential for its scope, is listed with its scope and no secret, and a
// revoked one is refused at once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API, browser, context, signUp, email } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

async function quota(secret) {
  const r = await fetch(`${API}/quota`, { headers: { authorization: `Bearer ${secret}` } });
  return [r.status, await r.json()];
}

test('an API token is made, copied once, listed without its secret and revoked', async () => {
  const ctx = await context(b, { width: 360, height: 740 });
  const page = await ctx.newPage();
  await signUp(page, email('tokens'));
  await page.getByText('No API tokens.').waitFor();

  // Markup in a name stays text.
  await page.getByLabel('Token name').fill('CI <b>deploy</b>');
  await page.getByLabel('Token scope').selectOption('read');
  await page.getByLabel('Token lifetime').selectOption('2592000');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secretBox = page.getByLabel('New token (shown once)');
  await secretBox.waitFor();
  const secret = await secretBox.inputValue();
  assert.match(secret, /^dgt_[A-Za-z0-9_-]{43}$/);
  const [status] = await quota(secret);
  assert.equal(status, 200);

  const tokens = page.getByRole('list', { name: 'Your API tokens' });
  await tokens.getByText('CI <b>deploy</b>', { exact: true }).waitFor();
  await tokens.getByText('Read: list, get and download files').waitFor();
  assert.equal(await tokens.locator('b').count(), 0);
  assert.equal((await tokens.textContent()).includes(secret.slice(4)), false);

  // Gone from the screen once the page is loaded again; the list never shows it.
  await page.reload();
  await tokens.getByText('CI <b>deploy</b>', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('New token (shown once)').isVisible(), false);
  assert.equal((await page.content()).includes(secret.slice(4)), false);

  await tokens.getByRole('button', { name: 'Revoke token CI <b>deploy</b>' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('No API tokens.').waitFor();
  const [after, body] = await quota(secret);
  assert.equal(after, 401);
  assert.equal(body.error.code, 'token_revoked');
});
