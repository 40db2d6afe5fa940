// Copies the parity figures the last ModelParityTests run measured (tests/artifacts/parity/NAME.json) into
// services/FacePlatform.ModelImport/Catalogue/parity.json, which the importer writes into each manifest entry.
//
// Usage (from the repository root, after the parity tests):  node tests/parity/record.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const measured = path.join(repoRoot, 'tests', 'artifacts', 'parity');
const target = path.join(repoRoot, 'services', 'FacePlatform.ModelImport', 'Catalogue', 'parity.json');
const recorded = fs.existsSync(target) ? JSON.parse(fs.readFileSync(target, 'utf8')) : {};
for (const file of fs.readdirSync(measured).filter((f) => f.endsWith('.json')).sort()) {
  Object.assign(recorded, JSON.parse(fs.readFileSync(path.join(measured, file), 'utf8')));
}
const sorted = Object.fromEntries(Object.keys(recorded).sort().map((k) => [k, recorded[k]]));
fs.writeFileSync(target, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`[parity] ${Object.keys(sorted).length} models recorded in ${path.relative(repoRoot, target)}`);
