#!/usr/bin/env node
// Checks that the promtool unit tests (tests/deploy/alerts.test.yaml) cover every alert of
// deploy/prometheus/alerts.yaml both ways: at least one evaluation where the alert fires (non-empty exp_alerts) and
// one where it stays quiet (exp_alerts: []). Prints PASS/FAIL lines for tests/deploy/check.sh.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const YAML = createRequire(import.meta.url)("yaml");

const rules = YAML.parse(readFileSync(resolve(root, "deploy/prometheus/alerts.yaml"), "utf8"));
const tests = YAML.parse(readFileSync(resolve(here, "alerts.test.yaml"), "utf8"));
const alerts = rules.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => r.alert));
const fires = new Set();
const quiet = new Set();
for (const t of tests.tests ?? []) {
  for (const a of t.alert_rule_test ?? []) {
    ((a.exp_alerts ?? []).length > 0 ? fires : quiet).add(a.alertname);
  }
}
for (const name of alerts) {
  const missing = [fires.has(name) ? null : "no case where it fires", quiet.has(name) ? null : "no case where it stays quiet"].filter(Boolean);
  if (missing.length === 0) console.log(`PASS alert ${name} unit-tested (fires and stays quiet)`);
  else console.log(`FAIL alert ${name}: ${missing.join(", ")} in tests/deploy/alerts.test.yaml`);
}
for (const name of new Set([...fires, ...quiet])) {
  if (!alerts.includes(name)) console.log(`FAIL alerts.test.yaml: tests ${name}, which deploy/prometheus/alerts.yaml does not define`);
}
