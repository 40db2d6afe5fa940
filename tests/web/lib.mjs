// Helpers for the browser tests: the platform's admin API (each test gets its own tenant and key), the photo set,
// screenshots, and small waits. Plain Node 20 (fetch, FormData, Blob) and playwright-core.
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

export const apiUrl = (process.env.FACEPLATFORM_URL || 'http://localhost:8080').replace(/\/+$/, '');
export const webUrl = (process.env.FACEPLATFORM_WEB_URL || apiUrl).replace(/\/+$/, '');
export const artifactsDir = process.env.FACEPLATFORM_WEB_ARTIFACTS || path.join(repoRoot, 'tests', 'artifacts', 'web');
export const facesDir = process.env.FACEPLATFORM_FACES_DIR || path.resolve(repoRoot, '..', 'shared', 'data', 'faces');

export function adminKey() {
  const k = process.env.FACEPLATFORM_ADMIN_KEY;
  if (!k) throw new Error('FACEPLATFORM_ADMIN_KEY is not set');
  return k.trim();
}

/** Absolute path of a photo of the shared set, e.g. photo('face-api-js/group/bbt4.jpg'). */
export function photo(rel) {
  const p = path.join(facesDir, rel);
  if (!existsSync(p)) throw new Error(`photo not found: ${p}`);
  return p;
}

export async function manifest(source) {
  return JSON.parse(await readFile(path.join(facesDir, source, 'manifest.json'), 'utf8'));
}

/** Calls the REST API; returns { status, body, headers }. `key` defaults to the admin key. */
export async function call(method, urlPath, { key, json, form } = {}) {
  const headers = { 'X-Api-Key': key ?? adminKey() };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = new FormData();
    for (const [k, v] of Object.entries(form)) {
      if (typeof v === 'string') body.append(k, v);
      else body.append(k, new Blob([await readFile(v.path)]), path.basename(v.path));
    }
  }
  const r = await fetch(`${apiUrl}${urlPath}`, { method, headers, body });
  const text = await r.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

const rand = () => Math.random().toString(36).slice(2, 8);

/** A fresh tenant and an API key for it (admin scope, which implies write and read), through the admin API. */
export async function newTenantKey(testName) {
  const name = `web-${testName}-${Date.now().toString(36)}-${rand()}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 90);
  const t = await call('POST', '/v1/admin/tenants', { json: { name } });
  if (t.status !== 201 && t.status !== 200) throw new Error(`creating a tenant: HTTP ${t.status} ${JSON.stringify(t.body)}`);
  const k = await call('POST', `/v1/admin/tenants/${t.body.id}/keys`, { json: { name: 'web-e2e', scopes: ['admin'] } });
  if (k.status !== 201 && k.status !== 200) throw new Error(`creating a key: HTTP ${k.status} ${JSON.stringify(k.body)}`);
  return { tenantId: t.body.id, tenantName: name, key: k.body.key };
}

export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${rand()}`;
}

/** Saves a full-page screenshot under tests/artifacts/web/<test>/<nn>-<state>.png. */
export function shooter(page, testSlug) {
  let n = 0;
  return async (state) => {
    const dir = path.join(artifactsDir, testSlug);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${String(++n).padStart(2, '0')}-${state}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

/** Opens the page and signs in with `key` (the key form, as a user would). */
export async function signIn(page, key, { tab } = {}) {
  await page.goto(`${webUrl}/${tab ? `#${tab}` : ''}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.getByRole('tab', { name: 'Analyse' }).waitFor({ timeout: 15000 });
  if (tab) await openTab(page, tab);
}

const TAB_NAMES = { analyze: 'Analyse', verify: 'Verify', galleries: 'Galleries' };
export async function openTab(page, id) {
  await page.getByRole('tab', { name: TAB_NAMES[id] }).click();
  await page.locator(`#panel-${id}`).waitFor({ state: 'visible' });
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEq(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Waits for the response of an API call the page makes, e.g. waitApi(page, 'POST', '/v1/analyze'). */
export function waitApi(page, method, pathPart, timeout = 90000) {
  return page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname.endsWith(pathPart), { timeout });
}

/** Fails clearly when an endpoint answers 404/405/501 (not there yet) instead of its contract. */
export function requireImplemented(status, body, what) {
  if (status === 501 || status === 404 || status === 405) {
    const detail = body && typeof body === 'object' ? `${body.title ?? ''}: ${body.detail ?? ''}` : String(body ?? '').slice(0, 200);
    throw new Error(`${what} is not available from the API yet (HTTP ${status} ${detail})`);
  }
}

/** Rendered rectangles of the photo and of every face box, for geometry checks. */
export async function overlayGeometry(page) {
  return page.evaluate(() => {
    const img = document.querySelector('[data-testid="analyze-photo"]');
    const r = img.getBoundingClientRect();
    const boxes = [...document.querySelectorAll('[data-testid="face-box"]')].map((b) => {
      const q = b.getBoundingClientRect();
      return { x: q.x - r.x, y: q.y - r.y, width: q.width, height: q.height };
    });
    return { img: { width: r.width, height: r.height, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight }, boxes };
  });
}

/** Checks that every drawn box sits where the API's box (original pixels) lands on the scaled photo. */
export function checkBoxesOnFaces(geometry, result, tolerance = 3) {
  const { img, boxes } = geometry;
  assertEq(boxes.length, result.faces.length, 'number of boxes drawn');
  const sx = img.width / result.imageWidth;
  const sy = img.height / result.imageHeight;
  result.faces.forEach((f, i) => {
    // Borders are drawn inside the element; the element itself is the box. Clamp as the page does.
    const x = Math.max(0, f.box.x);
    const y = Math.max(0, f.box.y);
    const right = Math.min(result.imageWidth, f.box.x + f.box.width);
    const bottom = Math.min(result.imageHeight, f.box.y + f.box.height);
    const want = { x: x * sx, y: y * sy, width: (right - x) * sx, height: (bottom - y) * sy };
    const got = boxes[i];
    for (const k of ['x', 'y', 'width', 'height']) {
      if (Math.abs(got[k] - want[k]) > tolerance) {
        throw new Error(`box ${i + 1} ${k}: drawn at ${got[k].toFixed(1)} px, the API's box scales to ${want[k].toFixed(1)} px`);
      }
    }
  });
}
