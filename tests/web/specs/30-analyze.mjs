import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  assert,
  assertEq,
  checkBoxesOnFaces,
  manifest,
  newTenantKey,
  overlayGeometry,
  photo,
  repoRoot,
  requireImplemented,
  signIn,
  waitApi,
} from '../lib.mjs';

const GROUP = process.env.FACEPLATFORM_WEB_GROUP_PHOTO || 'face-api-js/group/bbt4.jpg';

/** Picks a photo in the Analyse view and returns the API's answer the page received. */
export async function analyzeInPage(page, file) {
  const answer = waitApi(page, 'POST', '/v1/analyze');
  await page.getByTestId('analyze-picker').locator('input[type=file]').setInputFiles(file);
  const r = await answer;
  let body = null;
  try {
    body = await r.json();
  } catch {
    /* not JSON */
  }
  return { status: r.status(), body };
}

async function checkHighlight(page, i) {
  const box = page.locator(`[data-testid="face-box"][data-face-index="${i}"]`);
  const row = page.locator(`[data-testid="face-row"][data-face-index="${i}"]`);
  await box.hover();
  assert((await row.getAttribute('class'))?.includes('active'), `hovering box ${i + 1} highlights row ${i + 1}`);
  await page.mouse.move(0, 0);
  await row.hover();
  assert((await box.getAttribute('class'))?.includes('active'), `hovering row ${i + 1} highlights box ${i + 1}`);
  await page.mouse.move(0, 0);
}

export const tests = [
  {
    name: `analyse: a group photo (${GROUP}) gets a box and a label on every face, with age, gender, emotion and liveness`,
    slug: 'analyze-group',
    async run(ctx) {
      const { key } = await newTenantKey('analyze');
      const { page, shot } = await ctx.browser({ width: 1400, height: 1000 });
      await signIn(page, key, { tab: 'analyze' });
      await shot('ready');

      const { status, body } = await analyzeInPage(page, photo(GROUP));
      requireImplemented(status, body, 'POST /v1/analyze');
      assertEq(status, 200, `HTTP status of POST /v1/analyze (${JSON.stringify(body)?.slice(0, 300)})`);
      await page.getByTestId('face-table').waitFor();
      await page.locator('[data-testid="analyze-photo"]').evaluate((img) => img.decode());

      const source = GROUP.split('/')[0];
      const rel = GROUP.slice(source.length + 1);
      const expected = (await manifest(source)).files?.find?.((m) => m.file === rel)?.face_count;
      const faces = body.faces.length;
      if (expected) assert(faces >= expected, `the API found ${faces} faces, the photo shows ${expected}`);
      assert(faces >= 2, `a group photo has several faces (found ${faces})`);

      const boxes = page.getByTestId('face-box');
      const rows = page.getByTestId('face-row');
      assertEq(await boxes.count(), faces, 'boxes drawn');
      assertEq(await rows.count(), faces, 'rows listed');
      checkBoxesOnFaces(await overlayGeometry(page), body);

      const status_ = await page.getByTestId('analyze-status').innerText();
      assert(status_.includes(`${faces} faces`), `status line says ${faces} faces: "${status_}"`);

      const tags = await page.getByTestId('face-tag').allInnerTexts();
      const attrsDown = body.faces.some((f) => f.age == null || f.gender == null);
      for (let i = 0; i < faces; i++) {
        const f = body.faces[i];
        assert(tags[i].startsWith(`${i + 1}`), `box ${i + 1} is numbered: "${tags[i]}"`);
        const row = rows.nth(i);
        const age = (await row.getByTestId('face-age').innerText()).trim();
        const gender = (await row.getByTestId('face-gender').innerText()).trim();
        const emotion = (await row.getByTestId('face-emotion').innerText()).trim();
        const liveness = (await row.getByTestId('face-liveness').innerText()).trim();
        if (f.age != null) assertEq(age, String(Math.round(f.age)), `age of face ${i + 1}`);
        if (f.gender) {
          assert(gender.startsWith(f.gender.label), `gender of face ${i + 1}: "${gender}"`);
          assert(/\d+%/.test(gender), `gender probability of face ${i + 1}: "${gender}"`);
          assert(tags[i].includes(f.gender.label === 'female' ? 'F' : 'M'), `box ${i + 1} label shows the gender: "${tags[i]}"`);
        }
        if (f.emotion) assert(emotion.startsWith(f.emotion.label), `emotion of face ${i + 1}: "${emotion}"`);
        if (f.liveness) assert(liveness.includes('real') && liveness.includes('live'), `liveness of face ${i + 1}: "${liveness}"`);
      }
      if (attrsDown) {
        const warnings = await page.getByTestId('analyze-warnings').innerText();
        assert(warnings.length > 0, 'missing attributes come with the API warning shown');
        throw new Error(`the API answered without age/gender (attributes down?): ${body.warnings?.join('; ')}`);
      }
      await shot('group-analysed');
      if (process.env.FACEPLATFORM_WEB_DOCS_SCREENSHOT === '1') {
        const out = path.join(repoRoot, 'docs', 'images');
        await mkdir(out, { recursive: true });
        const file = await shot('docs');
        await copyFile(file, path.join(out, 'web-analyze-group.png'));
      }

      await checkHighlight(page, 0);
      await checkHighlight(page, faces - 1);
      await page.locator(`[data-testid="face-box"][data-face-index="0"]`).hover();
      await shot('hover-first-face');
    },
  },
  {
    name: 'analyse: a large photo is shown scaled at phone width, boxes still on the faces',
    slug: 'analyze-large-phone',
    viewport: { width: 390, height: 844 },
    async run(ctx) {
      const { key } = await newTenantKey('analyze-large');
      const { page, shot } = await ctx.browser({ width: 390, height: 844 });
      await signIn(page, key, { tab: 'analyze' });
      const { status, body } = await analyzeInPage(page, photo('face_recognition/examples/obama-1080p.jpg'));
      requireImplemented(status, body, 'POST /v1/analyze');
      assertEq(status, 200, 'HTTP status of POST /v1/analyze');
      await page.getByTestId('face-table').waitFor();
      await page.locator('[data-testid="analyze-photo"]').evaluate((img) => img.decode());
      const g = await overlayGeometry(page);
      assert(g.img.naturalWidth === body.imageWidth, `natural width ${g.img.naturalWidth} = API imageWidth ${body.imageWidth}`);
      assert(g.img.width <= 390 && g.img.width < g.img.naturalWidth / 3, `the photo is scaled down (${g.img.width} px of ${g.img.naturalWidth})`);
      assertEq(body.faces.length, 1, 'faces in obama-1080p.jpg');
      checkBoxesOnFaces(g, body, 2);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `no sideways scrolling at phone width (${overflow} px too wide)`);
      await shot('phone-width');
    },
  },
];
