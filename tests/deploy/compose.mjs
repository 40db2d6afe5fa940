#!/usr/bin/env node
// Checks compose.yaml offline (no Docker engine): the Compose Specification's JSON schema and the rules the file
// promises in its header.
//
//   node tests/deploy/compose.mjs --schema ../shared/reference/compose-spec/compose-spec.json [compose.yaml]
//
// Prints `PASS <check>` / `FAIL <check>: <reason>` per check (check.sh counts them), exit 1 on a FAIL. Checks:
//   compose schema          the file (YAML merge keys resolved, as Compose does) against compose-spec.json, draft-07
//                           with its formats; and a broken copy (an unknown service key) must be rejected, so the
//                           validator is known to bite
//   compose healthchecks    every long-running service has a healthcheck; the exempt ones are one-shot jobs
//                           (restart "no") that every dependant waits for with service_completed_successfully
//   compose ports           only the gateway publishes ports, and only its container ports 8080 and 8081
//   compose secrets         no password, API key or token written in the file: every such value (environment entries
//                           named like a secret, `password=`/`Password=` in connection strings, --requirepass) is a
//                           `${VAR...}` interpolation from the environment (or `$$VAR`, the container's own
//                           environment); every required `${VAR:?...}` is listed in .env.example
//   compose gpu profile     the services of profile `gpu` reserve an NVIDIA GPU (deploy.resources.reservations.devices
//                           with capability gpu) and answer under the CPU services' names; no other service reserves one
//   compose builds          every build names an existing Dockerfile and, where it sets one, a stage of it

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const args = process.argv.slice(2);
const schemaIdx = args.indexOf("--schema");
const schemaPath = schemaIdx >= 0 ? args[schemaIdx + 1] : undefined;
const file = args.filter((a, i) => !a.startsWith("--") && i !== schemaIdx + 1)[0] ?? join(root, "compose.yaml");

let failed = 0;
function report(check, problems) {
  if (problems.length === 0) {
    console.log(`PASS ${check}`);
  } else {
    failed++;
    const shown = problems.slice(0, 6).join("; ");
    console.log(`FAIL ${check}: ${shown}${problems.length > 6 ? `; ... (${problems.length} problems)` : ""}`);
  }
}

if (!existsSync(file)) {
  report("compose file", [`${file} does not exist`]);
  process.exit(1);
}
let compose;
try {
  compose = YAML.parse(readFileSync(file, "utf8"), { merge: true });
} catch (error) {
  report("compose YAML", [String(error.message).split("\n")[0]]);
  process.exit(1);
}
const services = compose.services ?? {};

// --- schema ----------------------------------------------------------------------------------------------------------
if (!schemaPath || !existsSync(schemaPath)) {
  report("compose schema", [`the Compose Specification schema was not found at ${schemaPath} (../shared/reference/compose-spec)`]);
} else {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  // The schema names its draft "https://json-schema.org/draft-07/schema", which Ajv knows as
  // "http://json-schema.org/draft-07/schema#" (its default meta-schema): compile it under the default.
  const { $schema, ...schema } = JSON.parse(readFileSync(schemaPath, "utf8"));
  if (!/draft-07/.test($schema)) report("compose schema draft", [`compose-spec.json is ${$schema}, not draft-07`]);
  const validate = ajv.compile(schema);
  const problems = validate(compose) ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
  const broken = structuredClone(compose);
  broken.services.gateway.publish_ports = ["8080"];
  if (validate(broken)) problems.push("the schema accepted a service with an unknown key (publish_ports): the validator does not bite");
  report(`compose schema (${Object.keys(services).length} services against compose-spec.json)`, problems);
}

// --- healthchecks --------------------------------------------------------------------------------------------------
{
  const problems = [];
  for (const [name, service] of Object.entries(services)) {
    const test = service.healthcheck?.test;
    const disabled = service.healthcheck?.disable === true || (Array.isArray(test) && test[0] === "NONE");
    if (test && !disabled) continue;
    const dependants = Object.entries(services).filter(([, s]) => dependsOn(s)[name]);
    const oneShot = service.restart === "no" && dependants.length > 0
      && dependants.every(([, s]) => dependsOn(s)[name].condition === "service_completed_successfully");
    if (!oneShot) problems.push(`${name} has no healthcheck and is not a one-shot job every dependant waits to complete`);
  }
  report("compose healthchecks: every long-running service has one", problems);
}

// --- ports ---------------------------------------------------------------------------------------------------------
{
  const problems = [];
  for (const [name, service] of Object.entries(services)) {
    const published = (service.ports ?? []).map(containerPort);
    if (name !== "gateway" && published.length > 0) problems.push(`${name} publishes ${published.join(", ")}`);
    if (name === "gateway" && published.sort().join(",") !== "8080,8081") {
      problems.push(`gateway publishes ${published.join(", ") || "nothing"}, not 8080 and 8081`);
    }
  }
  report("compose ports: only the gateway's 8080 and 8081 are published", problems);
}

// --- secrets -------------------------------------------------------------------------------------------------------
{
  const problems = [];
  const fromEnvironment = (value) => /^"?(\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}|\$\$[A-Z0-9_]+)"?$/.test(value);
  const secretName = /(password|secret|api_?key|apikey|token)/i;
  for (const [name, service] of Object.entries(services)) {
    for (const [key, value] of Object.entries(environmentOf(service))) {
      const text = String(value ?? "");
      if (secretName.test(key) && !fromEnvironment(text)) problems.push(`${name}: ${key} is written in the file`);
      for (const m of text.matchAll(/password=([^;,]*)/gi)) {
        if (!fromEnvironment(m[1])) problems.push(`${name}: ${key} holds a password written in the file`);
      }
    }
    const commands = [service.command, service.entrypoint, service.healthcheck?.test].flat().filter((c) => typeof c === "string");
    for (const c of commands) {
      for (const m of c.matchAll(/(?:--requirepass|-a|--password)\s+(\S+)/g)) {
        if (!fromEnvironment(m[1])) problems.push(`${name}: a password is written in its command (${m[0]})`);
      }
    }
  }
  const required = new Set([...readFileSync(file, "utf8").replace(/^\s*#.*$/gm, "").matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]));
  const examplePath = join(dirname(file), ".env.example");
  const example = existsSync(examplePath) ? readFileSync(examplePath, "utf8") : "";
  for (const variable of required) {
    if (!new RegExp(`^${variable}=`, "m").test(example)) problems.push(`${variable} is required but not in .env.example`);
  }
  report(`compose secrets: none written in the file (${required.size} required from the environment)`, problems);
}

// --- gpu profile ---------------------------------------------------------------------------------------------------
{
  const problems = [];
  const gpuServices = Object.entries(services).filter(([, s]) => (s.profiles ?? []).includes("gpu"));
  if (gpuServices.length === 0) problems.push("no service has profile gpu");
  for (const [name, service] of Object.entries(services)) {
    const devices = service.deploy?.resources?.reservations?.devices ?? [];
    const gpu = devices.some((d) => d.driver === "nvidia" && (d.capabilities ?? []).includes("gpu") && (d.count === "all" || d.count >= 1));
    const inGpuProfile = (service.profiles ?? []).includes("gpu");
    if (inGpuProfile && !gpu) problems.push(`${name} (profile gpu) reserves no NVIDIA GPU`);
    if (!inGpuProfile && devices.length > 0) problems.push(`${name} reserves devices outside the gpu profile`);
  }
  for (const cpuName of ["embedding", "attributes"]) {
    if (!(services[cpuName]?.profiles ?? []).includes("cpu")) problems.push(`${cpuName} is not in profile cpu (it would run beside its GPU twin)`);
    const twin = gpuServices.find(([, s]) => (s.networks?.default?.aliases ?? []).includes(cpuName));
    if (!twin) problems.push(`no gpu-profile service answers as ${cpuName}`);
  }
  report("compose gpu profile: embedding and attributes get an NVIDIA GPU", problems);
}

// --- builds --------------------------------------------------------------------------------------------------------
{
  const problems = [];
  for (const [name, service] of Object.entries(services)) {
    if (!service.build) continue;
    const dockerfile = join(dirname(file), service.build.context ?? ".", service.build.dockerfile ?? "Dockerfile");
    if (!existsSync(dockerfile)) {
      problems.push(`${name}: ${dockerfile} does not exist`);
      continue;
    }
    const target = service.build.target;
    if (target && !new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${target}\\s*$`, "mi").test(readFileSync(dockerfile, "utf8"))) {
      problems.push(`${name}: ${service.build.dockerfile} has no stage ${target}`);
    }
  }
  report("compose builds: Dockerfiles and stages exist", problems);
}

process.exit(failed > 0 ? 1 : 0);

function dependsOn(service) {
  const d = service.depends_on ?? {};
  return Array.isArray(d) ? Object.fromEntries(d.map((n) => [n, { condition: "service_started" }])) : d;
}

function environmentOf(service) {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((e) => {
    const i = e.indexOf("=");
    return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)];
  }));
}

// "127.0.0.1:8080:8080", "8080:8080", "8080", 8080 or {target: 8080, published: ...}: the container port.
function containerPort(port) {
  if (typeof port === "object") return String(port.target);
  const text = String(port).replace(/\/(tcp|udp)$/, "");
  return text.slice(text.lastIndexOf(":") + 1);
}
