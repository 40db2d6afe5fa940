// Makes docs/images/web-analyze-group.png: the analyse view on a group photo of face-api-js, every face boxed and
// labelled. It enrols the eight Big Bang Theory characters (one face crop each, from face-api-js/identity) into a
// fresh tenant's collection through the REST API, then analyses the group photo against it in Chromium.
//
//   FACEPLATFORM_URL=http://localhost:8080 FACEPLATFORM_ADMIN_KEY=... node tests/web/docs-screenshot.mjs [group photo]
import { chromium } from 'playwright-core';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { call, newTenantKey, photo, repoRoot, signIn, uniqueName, waitApi } from './lib.mjs';

const group = process.argv[2] || 'face-api-js/group/bbt4.jpg';
const people = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];
const { key } = await newTenantKey('docs');
const col = await call('POST', '/v1/collections', { key, json: { name: uniqueName('bbt'), description: 'face-api.js identities' } });
if (col.status !== 201) throw new Error(`collection: HTTP ${col.status} ${JSON.stringify(col.body)}`);
for (const p of people) {
  const s = await call('POST', `/v1/collections/${col.body.id}/subjects`, {
    key,
    json: { externalId: p, displayName: p[0].toUpperCase() + p.slice(1), metadata: {} },
  });
  const f = await call('POST', `/v1/collections/${col.body.id}/subjects/${s.body.id}/faces`, {
    key,
    form: { image: { path: photo(`face-api-js/identity/${p}/${p}1.png`) }, face: 'largest' },
  });
  if (f.status !== 201) throw new Error(`enrol ${p}: HTTP ${f.status} ${JSON.stringify(f.body)}`);
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'fp-web-docs-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 },
});
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  await signIn(page, key, { tab: 'analyze' });
  await page.getByRole('button', { name: 'Refresh collections' }).click();
  await page.locator('#analyze-collection').selectOption(col.body.id);
  const answer = waitApi(page, 'POST', '/v1/analyze');
  await page.getByTestId('analyze-picker').locator('input[type=file]').setInputFiles(photo(group));
  const r = await answer;
  if (r.status() !== 200) throw new Error(`analyse: HTTP ${r.status()} ${await r.text()}`);
  await page.getByTestId('face-table').waitFor();
  await page.locator('[data-testid="analyze-photo"]').evaluate((img) => img.decode());
  await page.mouse.move(0, 0);
  const out = path.join(repoRoot, 'docs', 'images', 'web-analyze-group.png');
  await mkdir(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  const body = await r.json();
  console.log(`saved ${path.relative(repoRoot, out)}: ${body.faces.length} faces; warnings: ${JSON.stringify(body.warnings)}`);
} finally {
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
}
