import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib.mjs';

export const tests = [
  {
    name: 'unit: problem details, Retry-After and box geometry (vitest)',
    slug: 'unit',
    async run() {
      const web = path.join(repoRoot, 'services', 'web');
      if (!existsSync(path.join(web, 'node_modules', '.bin', 'vitest'))) {
        throw new Error('services/web/node_modules is missing: build the page first (npm ci in services/web)');
      }
      const r = spawnSync('npx', ['--no-install', 'vitest', 'run', '--reporter=dot'], { cwd: web, encoding: 'utf8', env: { ...process.env, CI: '1' } });
      if (r.status !== 0) {
        const out = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /fail|error|✗|×/i.test(l)).slice(0, 5).join(' | ');
        throw new Error(`vitest failed (exit ${r.status}): ${out}`);
      }
    },
  },
];
