// Regenerates the API client from the checked-in OpenAPI document into a temporary folder and compares it with
// src/api, file by file: a hand edit of generated code, or a document changed without `npm run generate:api`,
// fails here. Prints "OK" or the files that differ; exit status 1 on a difference.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@hey-api/openapi-ts';
import config from '../openapi-ts.config.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(web);
const fresh = await mkdtemp(path.join(os.tmpdir(), 'faceplatform-api-'));

async function files(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path.join(dir, entry.name), relative)));
    else out.push(relative);
  }
  return out.sort();
}

try {
  await createClient({ ...config, output: { ...config.output, path: fresh }, logs: { level: 'silent' } });
  const committed = path.join(web, config.output.path);
  const names = [...new Set([...(await files(committed)), ...(await files(fresh))])].sort();
  const differing = [];
  for (const name of names) {
    const [a, b] = await Promise.all([committed, fresh].map((d) => readFile(path.join(d, name), 'utf8').catch(() => null)));
    if (a !== b) differing.push(name);
  }
  if (differing.length > 0) {
    console.log(`src/api differs from what openapi/faceplatform-v1.json generates: ${differing.join(', ')}; run npm run generate:api`);
    process.exitCode = 1;
  } else {
    console.log(`OK: src/api (${names.length} files) is what openapi/faceplatform-v1.json generates`);
  }
} finally {
  await rm(fresh, { recursive: true, force: true });
}
