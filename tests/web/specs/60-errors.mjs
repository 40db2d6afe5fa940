import { open, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assert, assertEq, newTenantKey, photo, signIn, waitApi } from '../lib.mjs';

async function analyzeExpectProblem(page, file, status) {
  const answer = waitApi(page, 'POST', '/v1/analyze');
  await page.getByTestId('analyze-picker').locator('input[type=file]').setInputFiles(file);
  const r = await answer;
  const body = await r.json().catch(() => null);
  assertEq(r.status(), status, `HTTP status for ${path.basename(file)} (${JSON.stringify(body)?.slice(0, 300)})`);
  assert(body && body.title, `the API answered problem details for ${path.basename(file)}`);
  const alert = page.getByTestId('analyze-problem');
  await alert.waitFor();
  const text = await alert.innerText();
  assert(text.includes(String(status)), `the message shows ${status}: "${text}"`);
  assert(text.includes(body.title), `the message shows the API's title "${body.title}": "${text}"`);
  if (body.detail) assert(text.includes(body.detail), `the message shows the API's detail "${body.detail}": "${text}"`);
  assertEq(await alert.getAttribute('role'), 'alert', 'the message is announced (role=alert)');
  assertEq(await page.getByTestId('face-box').count(), 0, 'no boxes for a refused photo');
  return body;
}

export const tests = [
  {
    name: 'errors: a corrupt file, an empty file and a too-large file show the API problem messages (415, 413)',
    slug: 'errors',
    async run(ctx) {
      const { key } = await newTenantKey('errors');
      const { page, shot } = await ctx.browser();
      await signIn(page, key, { tab: 'analyze' });

      await analyzeExpectProblem(page, photo('compreface/malformed/corrupted.png'), 415);
      await shot('corrupt-415');
      await analyzeExpectProblem(page, photo('compreface/malformed/empty.png'), 415);
      await shot('empty-415');

      // 21 MiB: over the gateway's 20 MiB limit.
      const dir = await mkdtemp(path.join(os.tmpdir(), 'fp-web-big-'));
      try {
        const big = path.join(dir, 'huge.jpg');
        const fh = await open(big, 'w');
        await fh.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
        await fh.truncate(21 * 1024 * 1024);
        await fh.close();
        await analyzeExpectProblem(page, big, 413);
        await shot('too-large-413');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
];
