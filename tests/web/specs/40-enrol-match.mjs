import { assert, assertEq, call, newTenantKey, openTab, photo, requireImplemented, signIn, uniqueName } from '../lib.mjs';
import { analyzeInPage } from './30-analyze.mjs';

async function addPerson(page, displayName, externalId) {
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('External id (optional)').fill(externalId);
  await page.getByRole('button', { name: 'Add person' }).click();
  await page.locator(`[data-testid="subject-item"][data-name="${displayName}"]`).waitFor();
}

/** Enrols files for a person through the page; returns {file: {state, message}} once every file is settled. */
async function enrol(page, displayName, files) {
  const item = page.locator(`[data-testid="subject-item"][data-name="${displayName}"]`);
  await item.getByRole('button', { name: `Enrol faces for ${displayName}` }).click();
  const panel = item.getByTestId('enrol-panel');
  await panel.waitFor();
  await panel.getByTestId('enrol-picker').locator('input[type=file]').setInputFiles(files);
  const names = files.map((f) => f.split('/').pop());
  await page.waitForFunction(
    ({ names, who }) => {
      const li = [...document.querySelectorAll('[data-testid="subject-item"]')].find((x) => x.dataset.name === who);
      if (!li) return false;
      const items = [...li.querySelectorAll('[data-testid="enrol-item"]')];
      return names.every((n) => items.some((x) => x.dataset.file === n && (x.dataset.state === 'done' || x.dataset.state === 'failed')));
    },
    { names, who: displayName },
    { timeout: 180000 },
  );
  const out = {};
  for (const n of names) {
    const row = panel.locator(`[data-testid="enrol-item"][data-file="${n}"]`).first();
    out[n] = { state: await row.getAttribute('data-state'), message: (await row.getByTestId('enrol-message').innerText().catch(() => '')).trim() };
  }
  return { out, panel, item };
}

function expectEnrolled(results, file) {
  const r = results[file];
  if (r.state !== 'done') {
    if (/\b(501|404|405)\b/.test(r.message)) throw new Error(`enrolment is not available from the API yet: ${r.message}`);
    throw new Error(`${file} should be enrolled, the page says: ${r.message}`);
  }
}

export const tests = [
  {
    name: 'enrol: two people from several photos at once (per-file progress, clear no-face / several-faces messages), then a later photo is matched',
    slug: 'enrol-match',
    timeoutMs: 360000,
    async run(ctx) {
      const { key } = await newTenantKey('enrol');
      const { page, shot } = await ctx.browser({ width: 1400, height: 1000 });
      await signIn(page, key, { tab: 'galleries' });
      const colName = uniqueName('people');
      await page.getByLabel('Name', { exact: true }).fill(colName);
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByTestId('subjects-panel').waitFor();
      await addPerson(page, 'Barack Obama', 'obama');
      await addPerson(page, 'Kit Harington', 'kit');

      const obama = await enrol(page, 'Barack Obama', [
        photo('face_recognition/examples/knn_examples/train/obama/obama.jpg'),
        photo('face_recognition/examples/knn_examples/train/obama/obama2.jpg'),
        photo('face-api-js/no_face/white.png'),
        photo('face_recognition/examples/two_people.jpg'),
      ]);
      await shot('obama-enrolled-with-refusals');
      expectEnrolled(obama.out, 'obama.jpg');
      expectEnrolled(obama.out, 'obama2.jpg');
      assertEq(obama.out['white.png'].state, 'failed', 'a photo without a face is refused');
      assert(/422/.test(obama.out['white.png'].message) && /no face/i.test(obama.out['white.png'].message), `no-face message: "${obama.out['white.png'].message}"`);
      assertEq(obama.out['two_people.jpg'].state, 'failed', 'a photo with two faces is refused');
      assert(/422/.test(obama.out['two_people.jpg'].message) && /2 faces|several|faces/i.test(obama.out['two_people.jpg'].message), `several-faces message: "${obama.out['two_people.jpg'].message}"`);
      await obama.panel.getByTestId('enrolled-count').filter({ hasText: /^2$/ }).waitFor();
      await obama.item.getByTestId('subject-face-count').filter({ hasText: /^2$/ }).waitFor();

      const kit = await enrol(page, 'Kit Harington', [
        photo('face_recognition/examples/knn_examples/train/kit_harington/john1.jpeg'),
        photo('face_recognition/examples/knn_examples/train/kit_harington/john2.jpeg'),
      ]);
      expectEnrolled(kit.out, 'john1.jpeg');
      expectEnrolled(kit.out, 'john2.jpeg');
      await kit.item.getByTestId('subject-face-count').filter({ hasText: /^2$/ }).waitFor();
      await shot('kit-enrolled');

      // The API agrees on the counts.
      const cols = await call('GET', '/v1/collections', { key });
      const col = cols.body.collections.find((c) => c.name === colName);
      assertEq(col.subjectCount, 2, 'people in the collection (API)');
      assertEq(col.faceCount, 4, 'faces in the collection (API)');

      // Later photos, analysed against the collection.
      await openTab(page, 'analyze');
      await page.getByRole('button', { name: 'Refresh collections' }).click();
      await page.locator('#analyze-collection').selectOption({ label: `${colName} (2 people)` });
      for (const [file, who] of [
        ['face_recognition/examples/knn_examples/test/obama1.jpg', 'Barack Obama'],
        ['face_recognition/examples/knn_examples/test/johnsnow_test1.jpg', 'Kit Harington'],
      ]) {
        const { status, body } = await analyzeInPage(page, photo(file));
        requireImplemented(status, body, 'POST /v1/analyze');
        assertEq(status, 200, `analyse ${file}`);
        await page.getByTestId('face-table').waitFor();
        const whos = await page.getByTestId('face-who').allInnerTexts();
        assert(whos.some((w) => w.includes(who) && /similarity \d\.\d\d/.test(w)), `${file} is matched to ${who} with a similarity: ${JSON.stringify(whos)}`);
        const tags = await page.getByTestId('face-tag').allInnerTexts();
        assert(tags.some((t) => t.includes(who)), `the box on ${file} is labelled ${who}: ${JSON.stringify(tags)}`);
        await shot(`matched-${who.split(' ')[0].toLowerCase()}`);
      }

      // Someone not enrolled is "unknown".
      const { body } = await analyzeInPage(page, photo('face_recognition/examples/knn_examples/train/rose_leslie/img1.jpg'));
      await page.getByTestId('face-table').waitFor();
      const whos = await page.getByTestId('face-who').allInnerTexts();
      assert(body.faces.every((f) => f.unknown) ? whos.every((w) => w.trim() === 'unknown') : true, `Rose Leslie is shown as unknown: ${JSON.stringify(whos)}`);
      assert(whos.some((w) => w.trim() === 'unknown'), `someone not enrolled is shown as "unknown": ${JSON.stringify(whos)}`);
      await shot('unknown-person');
    },
  },
];
