import { assert, assertEq, newTenantKey, photo, requireImplemented, signIn, waitApi } from '../lib.mjs';

async function compare(page, a, b) {
  await page.getByTestId('verify-side-1').locator('input[type=file]').setInputFiles(a);
  await page.getByTestId('verify-side-2').locator('input[type=file]').setInputFiles(b);
  const answer = waitApi(page, 'POST', '/v1/verify');
  await page.getByRole('button', { name: 'Compare' }).click();
  const r = await answer;
  const body = await r.json().catch(() => null);
  requireImplemented(r.status(), body, 'POST /v1/verify');
  assertEq(r.status(), 200, `HTTP status of POST /v1/verify (${JSON.stringify(body)?.slice(0, 300)})`);
  const result = page.getByTestId('verify-result');
  await result.waitFor();
  const shown = {
    match: await result.getAttribute('data-match'),
    similarity: (await page.getByTestId('verify-similarity').innerText()).trim(),
    threshold: (await page.getByTestId('verify-threshold').innerText()).trim(),
    text: await result.innerText(),
  };
  assertEq(shown.match, String(body.match), 'verdict shown');
  assertEq(shown.similarity, body.similarity.toFixed(3), 'similarity shown');
  assertEq(shown.threshold, body.threshold.toFixed(3), 'threshold shown');
  return { body, shown };
}

export const tests = [
  {
    name: 'verify: two photos side by side; same person or not, with the similarity and the threshold',
    slug: 'verify',
    async run(ctx) {
      const { key } = await newTenantKey('verify');
      const { page, shot } = await ctx.browser({ width: 1280, height: 1000 });
      await signIn(page, key, { tab: 'verify' });
      await shot('ready');

      const same = await compare(
        page,
        photo('face_recognition/examples/knn_examples/train/obama/obama.jpg'),
        photo('face_recognition/examples/knn_examples/train/obama/obama2.jpg'),
      );
      assert(same.body.match === true, `two photos of Obama match (similarity ${same.body.similarity}, threshold ${same.body.threshold})`);
      assert(same.shown.text.includes('Same person'), `the page says "Same person": ${same.shown.text}`);
      await shot('same-person');

      const different = await compare(
        page,
        photo('face_recognition/examples/knn_examples/train/obama/obama.jpg'),
        photo('face_recognition/examples/knn_examples/train/kit_harington/john1.jpeg'),
      );
      assert(different.body.match === false, `Obama and Kit Harington do not match (similarity ${different.body.similarity})`);
      assert(different.shown.text.includes('Different people'), `the page says "Different people": ${different.shown.text}`);
      await shot('different-people');

      // A photo without a face: the API's 422 is shown.
      await page.getByTestId('verify-side-2').locator('input[type=file]').setInputFiles(photo('face-api-js/no_face/white.png'));
      const answer = waitApi(page, 'POST', '/v1/verify');
      await page.getByRole('button', { name: 'Compare' }).click();
      const r = await answer;
      const body = await r.json().catch(() => null);
      assertEq(r.status(), 422, 'HTTP status of verify with a photo without a face');
      const problem = await page.getByTestId('verify-problem').innerText();
      assert(problem.includes('422') && problem.includes(body.title) && problem.includes(body.detail), `the API's 422 problem is shown: "${problem}"`);
      await shot('no-face-422');
    },
  },
];
