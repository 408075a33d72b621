// Sizes read the same on every page and in the CLI: binary units labelled KiB, MiB, GiB, one
// decimal, from the table the CLI's own test reads too (size-units.json); and the pages use
// them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { bytes, rate, duration } from '../assets/format.js';
import { API, browser, context } from './harness.mjs';

test('sizes are binary units, labelled as such, as the CLI prints them', async () => {
  const table = JSON.parse(await readFile(new URL('./size-units.json', import.meta.url), 'utf8'));
  assert.ok(table.length > 5);
  for (const [n, words] of table) assert.equal(bytes(n), words, `${n} bytes`);
  assert.equal(rate(1536), '1.5 KiB/s');
  assert.equal(duration(0.2), '1 s');
  assert.equal(duration(125), '2 min 5 s');
  assert.equal(duration(4320), '1 h 12 min');
});

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

test('no page says MB or GB for a binary size', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  await page.goto(API + '/');
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  const html = await page.content();
  assert.doesNotMatch(html, /\b[KMGT]B\b/, 'the owner app names a decimal unit');
  await ctx.close();
});
