// A tiny runner for the browser tests: Debian's Chromium (/usr/bin/chromium) driven by playwright-core, a fresh
// profile (--user-data-dir) per test, one line per test (PASS name / FAIL name: reason) and a last line
// "web-checks: N passed, M failed". Exit 1 when anything failed.
//
//   node runner.mjs [name-filter-regex]
import { chromium } from 'playwright-core';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { artifactsDir, shooter, webUrl, apiUrl } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TEST_TIMEOUT_MS = Number(process.env.WEB_TEST_TIMEOUT_MS || 240000);

/** A fresh browser profile: Chromium with its own --user-data-dir, removed afterwards. */
async function openBrowser(viewport = { width: 1280, height: 900 }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fp-web-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport,
    acceptDownloads: false,
    ignoreDefaultArgs: ['--enable-automation'],
  });
  context.setDefaultTimeout(30000);
  const close = async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  return { context, close };
}

async function loadTests() {
  const files = readdirSync(path.join(here, 'specs'))
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  const tests = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(here, 'specs', f)).href);
    for (const t of mod.tests || []) tests.push(t);
  }
  return tests;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim().slice(0, 600);

async function runOne(test) {
  const opened = [];
  const pageErrors = [];
  const log = [];
  const ctx = {
    async browser(viewport) {
      const b = await openBrowser(viewport || test.viewport);
      opened.push(b);
      const page = b.context.pages()[0] || (await b.context.newPage());
      page.on('pageerror', (e) => pageErrors.push(e.message));
      page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
      return { context: b.context, page, shot: shooter(page, test.slug), close: b.close };
    },
  };
  try {
    await withTimeout(test.run(ctx), test.timeoutMs || TEST_TIMEOUT_MS, test.name);
    if (pageErrors.length) throw new Error(`the page threw: ${pageErrors.join(' | ')}`);
    return { ok: true };
  } catch (e) {
    // The state at the failure, for the artefacts.
    for (const [i, b] of opened.entries()) {
      const page = b.context.pages()[0];
      if (!page) continue;
      await mkdir(path.join(artifactsDir, test.slug), { recursive: true });
      await page.screenshot({ path: path.join(artifactsDir, test.slug, `failure${i ? `-${i + 1}` : ''}.png`), fullPage: true }).catch(() => {});
    }
    return { ok: false, reason: oneLine(e?.message || e) };
  } finally {
    if (log.length) {
      await mkdir(path.join(artifactsDir, test.slug), { recursive: true });
      await writeFile(path.join(artifactsDir, test.slug, 'console.log'), log.join('\n') + '\n').catch(() => {});
    }
    for (const b of opened) await b.close();
  }
}

const filter = process.argv[2] ? new RegExp(process.argv[2], 'i') : null;
const tests = (await loadTests()).filter((t) => !filter || filter.test(t.name) || filter.test(t.slug));
console.log(`[web] ${tests.length} tests; page ${webUrl}, API ${apiUrl}, browser ${executablePath}, artefacts ${artifactsDir}`);
let passed = 0;
let failed = 0;
for (const t of tests) {
  const started = Date.now();
  const r = await runOne(t);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.ok) {
    passed++;
    console.log(`PASS ${t.name} (${secs} s)`);
  } else {
    failed++;
    console.log(`FAIL ${t.name}: ${r.reason}`);
  }
}
console.log(`web-checks: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
