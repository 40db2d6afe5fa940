#!/usr/bin/env node
// Prints, one per line (sorted, unique), every metric name that the Grafana dashboards (deploy/grafana/*.json) and the
// Prometheus rules (deploy/prometheus/*.yaml|*.yml) query: the exact series names, e.g.
// http_server_request_duration_seconds_bucket (a histogram's _bucket/_sum/_count series are printed as queried, never
// folded into the family name, so they compare 1:1 with the names a service's /metrics shows).
//
//   node tests/deploy/metric-names.mjs                     the names
//   node tests/deploy/metric-names.mjs --where             name<TAB>file: where each is queried
//   node tests/deploy/metric-names.mjs --known A.txt B.txt exit 1 and list the names found in none of the files
//                                                          (files: one metric name a line, '#' comments)
//
// PromQL is parsed roughly: string literals, label matchers {...}, ranges [...], Grafana variables ($x, ${x}) and the
// label lists of by/without/on/ignoring/group_left/group_right are dropped; what remains that looks like an
// identifier and is not a function call, keyword or operator is a metric name. Grafana template queries
// label_values(<selector>, <label>) and query_result(<expr>) are parsed the same way (label_values(<label>) names
// no metric).

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const require = createRequire(import.meta.url);

const KEYWORDS = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
  "inf", "nan", "start", "end", "atan2",
]);

/** Metric names referenced by one PromQL expression. */
export function metricNames(expr) {
  let s = expr;
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""'); // string literals (label values, regexes)
  s = s.replace(/\$\{[^}]*\}|\$\w+/g, " "); // Grafana variables ($__rate_interval, ${datasource}, $instance)
  s = s.replace(/\{[^}]*\}/g, "{}"); // label matchers
  s = s.replace(/\[[^\]]*\]/g, "[]"); // range / subquery selectors
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // label lists
  const names = new Set();
  const ident = /(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])/g;
  let m;
  while ((m = ident.exec(s)) !== null) {
    const name = m[1];
    const after = s.slice(ident.lastIndex).match(/^\s*(.)/)?.[1];
    if (after === "(") continue; // function or aggregation call
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return names;
}

/** PromQL expressions inside a Grafana template variable query. */
function templateExprs(query) {
  const text = typeof query === "string" ? query : query?.query;
  if (typeof text !== "string" || text.trim() === "") return [];
  let m;
  if ((m = text.match(/^\s*label_values\(\s*(.*),\s*[A-Za-z_]\w*\s*\)\s*$/s))) return [m[1]];
  if (/^\s*label_values\(\s*[A-Za-z_]\w*\s*\)\s*$/.test(text)) return [];
  if ((m = text.match(/^\s*query_result\((.*)\)\s*$/s))) return [m[1]];
  if (/^\s*(label_names|metrics)\(/.test(text)) return [];
  return [text];
}

/** [expr, file] pairs of every query in the dashboards and rule files. */
export function collectQueries(base = root) {
  const out = [];
  const grafana = join(base, "deploy/grafana");
  if (existsSync(grafana)) {
    for (const f of readdirSync(grafana).filter((x) => x.endsWith(".json")).sort()) {
      const file = join(grafana, f);
      const dash = JSON.parse(readFileSync(file, "utf8"));
      const walkPanels = (panels) => {
        for (const p of panels ?? []) {
          for (const t of p.targets ?? []) if (typeof t.expr === "string" && t.expr.trim()) out.push([t.expr, file]);
          walkPanels(p.panels);
        }
      };
      walkPanels(dash.panels);
      for (const v of dash.templating?.list ?? []) {
        if (v.type !== "query") continue;
        for (const e of templateExprs(v.query ?? v.definition)) out.push([e, file]);
      }
    }
  }
  const prometheus = join(base, "deploy/prometheus");
  if (existsSync(prometheus)) {
    const YAML = require("yaml");
    for (const f of readdirSync(prometheus).filter((x) => /\.ya?ml$/.test(x)).sort()) {
      const file = join(prometheus, f);
      const doc = YAML.parse(readFileSync(file, "utf8"));
      for (const g of doc?.groups ?? []) for (const r of g.rules ?? []) if (typeof r.expr === "string") out.push([r.expr, file]);
    }
  }
  return out;
}

function main(argv) {
  const where = new Map();
  for (const [expr, file] of collectQueries()) {
    for (const name of metricNames(expr)) {
      if (!where.has(name)) where.set(name, new Set());
      where.get(name).add(relative(root, file));
    }
  }
  const names = [...where.keys()].sort();
  const k = argv.indexOf("--known");
  if (k >= 0) {
    const known = new Set();
    for (const f of argv.slice(k + 1)) {
      for (const line of readFileSync(f, "utf8").split("\n")) {
        const t = line.trim();
        if (t && !t.startsWith("#")) known.add(t);
      }
    }
    const unknown = names.filter((n) => !known.has(n));
    for (const n of unknown) console.log(`${n}\t${[...where.get(n)].join(", ")}`);
    return unknown.length ? 1 : 0;
  }
  for (const n of names) console.log(argv.includes("--where") ? `${n}\t${[...where.get(n)].join(", ")}` : n);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
