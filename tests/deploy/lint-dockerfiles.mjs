#!/usr/bin/env node
// Lints the essentials of deploy/docker/*.Dockerfile. One line per file: `PASS dockerfile <file>` or
// `FAIL dockerfile <file>: <reasons>`; exit 1 on a FAIL.
//
// Rules:
//   * every base image (FROM, and COPY --from=<image>) is pinned: a digest (@sha256:...) or a tag holding an exact
//     version (x.y.z); never `latest`, never a bare name or a floating tag such as 10.0. ARG defaults are resolved.
//   * every runtime stage (a stage that no other stage builds on or copies from) ends with a USER that is not root.
//   * every runtime stage says how it is probed: a HEALTHCHECK (not NONE) or an io.faceplatform.probe* LABEL that
//     documents the probe (the chiseled images have no shell, so Kubernetes' gRPC/HTTP probes do the work).

import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = join(root, "deploy/docker");
const files = process.argv.slice(2).length
  ? process.argv.slice(2).map((f) => resolve(f))
  : readdirSync(dir).filter((f) => f.endsWith(".Dockerfile") || f === "Dockerfile").sort().map((f) => join(dir, f));

/** Instructions of a Dockerfile: [{ op, args }] with continuations joined and comments dropped. */
export function parse(text) {
  const out = [];
  let buf = "";
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (buf === "" && /^\s*#/.test(line)) continue;
    if (buf !== "" && /^\s*#/.test(line)) continue; // comment inside a continuation
    if (/\\\s*$/.test(line)) {
      buf += line.replace(/\\\s*$/, " ");
      continue;
    }
    buf += line;
    const m = buf.trim().match(/^(\w+)\s*(.*)$/s);
    if (m) out.push({ op: m[1].toUpperCase(), args: m[2].trim() });
    buf = "";
  }
  return out;
}

function pinned(image) {
  if (image === "scratch") return null;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return null;
  const lastSegment = image.split("/").pop();
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return `${image}: no tag (means latest)`;
  const tag = lastSegment.slice(colon + 1);
  if (tag === "latest") return `${image}: tag latest`;
  if (!/\d+\.\d+\.\d+/.test(tag)) return `${image}: tag ${tag} is not an exact version (x.y.z) or a digest`;
  return null;
}

export function lint(text) {
  const problems = [];
  const instructions = parse(text);
  const args = new Map();
  const stages = [];
  const expand = (s) =>
    s.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (_, a, def, b) => args.get(a ?? b) ?? def ?? `\${${a ?? b}}`);
  for (const ins of instructions) {
    if (ins.op === "ARG" && stages.length === 0) {
      const [name, value] = ins.args.split("=");
      args.set(name.trim(), value?.trim().replace(/^"|"$/g, ""));
      continue;
    }
    if (ins.op === "FROM") {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith("--platform"));
      const image = expand(parts[0]);
      const as = parts.length >= 3 && parts[1].toUpperCase() === "AS" ? parts[2] : String(stages.length);
      stages.push({ name: as, base: image, user: null, probe: false, usedBy: false });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    if (ins.op === "USER") stage.user = expand(ins.args.split(/\s+/)[0]);
    if (ins.op === "HEALTHCHECK" && !/^NONE\b/i.test(ins.args)) stage.probe = true;
    if (ins.op === "LABEL" && /\bio\.faceplatform\.probe[\w.]*=/.test(ins.args)) stage.probe = true;
    if (ins.op === "COPY" || ins.op === "ADD" || ins.op === "RUN") {
      for (const m of ins.args.matchAll(/--(?:from|mount=[^\s]*from)=([^\s,]+)/g)) stage.copiesFrom = [...(stage.copiesFrom ?? []), expand(m[1])];
    }
  }
  if (stages.length === 0) problems.push("no FROM");
  const names = new Set(stages.map((s) => s.name));
  for (const s of stages) {
    if (names.has(s.base)) stages.find((x) => x.name === s.base).usedBy = true;
    else {
      const p = pinned(s.base);
      if (p) problems.push(p);
    }
    for (const src of s.copiesFrom ?? []) {
      if (names.has(src)) stages.find((x) => x.name === src).usedBy = true;
      else if (/^\d+$/.test(src)) stages[Number(src)].usedBy = true;
      else {
        const p = pinned(src);
        if (p) problems.push(`COPY --from ${p}`);
      }
    }
  }
  for (const s of stages.filter((x) => !x.usedBy)) {
    if (!s.user) problems.push(`stage ${s.name}: no USER (runs as root)`);
    else if (/^(root|0)(:|$)/.test(s.user)) problems.push(`stage ${s.name}: USER ${s.user} is root`);
    if (!s.probe) problems.push(`stage ${s.name}: no HEALTHCHECK and no io.faceplatform.probe label`);
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let failed = 0;
  if (files.length === 0) {
    console.log("FAIL dockerfile: no Dockerfile in deploy/docker");
    failed++;
  }
  for (const f of files) {
    const problems = lint(readFileSync(f, "utf8"));
    const name = relative(root, f);
    if (problems.length) {
      failed++;
      console.log(`FAIL dockerfile ${name}: ${problems.join("; ")}`);
    } else console.log(`PASS dockerfile ${name}`);
  }
  process.exitCode = failed ? 1 : 0;
}
