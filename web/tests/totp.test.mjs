// Two-factor authentication in account settings, driven by labels: turning it on shows a QR
// code drawn in the page and the secret as text, and asks for a code of it; logging in then asks
// for the code; turning it off asks for a current code. The codes are computed here from the
// secret the page shows (RFC 6238: HMAC-SHA-1, 30 s, 6 digits), as an authenticator app would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { browser, context, signUp, email, PASSWORD } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

function base32(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

function codeAt(secret, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0x0f;
  const n = (h.readUInt32BE(o) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

// A current code with a few seconds to live (the emulator checks the current step only).
async function code(secret) {
  const left = () => 30 - (Math.floor(Date.now() / 1000) % 30);
  if (left() < 4) await new Promise((r) => setTimeout(r, left() * 1000 + 200));
  return codeAt(secret, Date.now() / 1000);
}

const other = (c) => c.slice(0, 5) + String((Number(c[5]) + 1) % 10);

test('the RFC 6238 vectors hold', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(codeAt(secret, 59), '287082');
  assert.equal(codeAt(secret, 1111111109), '081804');
});

for (const [name, viewport] of [['desktop', undefined], ['phone', { width: 360, height: 740 }]]) {
  test(`two-factor authentication: on, log in with a code, off (${name})`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const address = email(`totp-${name}`);
    await signUp(page, address);
    const settings = page.getByRole('region', { name: 'Account settings' });
    // The block says it is off and offers only to turn it on.
    await settings.getByText('Two-factor authentication is off.', { exact: true }).waitFor();
    assert.equal(await settings.getByRole('button', { name: 'Turn off two-factor authentication' }).isVisible(), false);

    await settings.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    const qr = settings.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    const secret = (await settings.locator('#totp-secret').textContent()).trim();
    assert.match(secret, /^[A-Za-z2-7]+=*$/);
    const uri = await qr.getAttribute('data-text');
    assert.equal(
      uri,
      `otpauth://totp/Dropgate:${address}?secret=${secret}&issuer=Dropgate`,
    );
    if (viewport) {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= viewport.width, `the page is ${wide}px wide at ${viewport.width}px`);
    }
    // A wrong code turns nothing on.
    const first = await code(secret);
    await settings.getByLabel('Code from the app').fill(other(first));
    await settings.getByRole('button', { name: 'Turn on', exact: true }).click();
    await settings.getByText('That code is wrong. Enter the code your authenticator app shows now.').waitFor();
    await settings.getByLabel('Code from the app').fill(await code(secret));
    await settings.getByRole('button', { name: 'Turn on', exact: true }).click();
    await settings.getByText('Two-factor authentication is on.', { exact: true }).waitFor();
    assert.equal(await settings.getByRole('button', { name: 'Turn on two-factor authentication' }).isVisible(), false);

    // Logging in asks for the code.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('#login-form').getByLabel('Email').fill(address);
    await page.locator('#login-form').getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    const field = page.getByLabel('Code from your authenticator app');
    await field.waitFor();
    await field.fill(other(await code(secret)));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('That code is wrong. Enter the code your authenticator app shows now.').waitFor();
    await field.fill(await code(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    // A new session reads the state from the API.
    await settings.getByText('Two-factor authentication is on.', { exact: true }).waitFor();

    // Off only with a current code.
    await settings.getByLabel('Code to turn it off').fill(other(await code(secret)));
    await settings.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    await settings.getByText('That code is wrong. Enter the code your authenticator app shows now.').waitFor();
    await settings.getByLabel('Code to turn it off').fill(await code(secret));
    await settings.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    await settings.getByText('Two-factor authentication is off.', { exact: true }).waitFor();
    await settings.getByRole('button', { name: 'Turn on two-factor authentication' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('#login-form').getByLabel('Email').fill(address);
    await page.locator('#login-form').getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    await ctx.close();
  });
}

test('with two-factor authentication on, deleting the account asks for a current code', async () => {
  const ctx = await context(b, { width: 360, height: 740 });
  const page = await ctx.newPage();
  const address = email('totp-delete');
  await signUp(page, address);
  const settings = page.getByRole('region', { name: 'Account settings' });
  await settings.getByText('Two-factor authentication is off.', { exact: true }).waitFor();
  // Off: the deletion asks for no code.
  assert.equal(await settings.getByLabel('Code from your authenticator app').isVisible(), false);
  await settings.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await settings.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const secret = (await settings.locator('#totp-secret').textContent()).trim();
  await settings.getByLabel('Code from the app').fill(await code(secret));
  await settings.getByRole('button', { name: 'Turn on', exact: true }).click();
  await settings.getByText('Two-factor authentication is on.', { exact: true }).waitFor();

  const field = settings.getByLabel('Code from your authenticator app');
  await field.waitFor();
  await settings.getByLabel('Type your email to confirm').fill(address);
  await settings.getByLabel('Your password').fill(PASSWORD);
  await field.fill(other(await code(secret)));
  await settings.getByRole('button', { name: 'Delete account' }).click();
  await settings.getByText('That code is wrong. Enter the code your authenticator app shows now. Nothing was deleted.').waitFor();
  await field.fill(await code(secret));
  await settings.getByRole('button', { name: 'Delete account' }).click();
  await page.getByText('Your account is deleted:', { exact: false }).waitFor();
  await page.getByRole('tab', { name: 'Log in' }).waitFor();
  await ctx.close();
});
