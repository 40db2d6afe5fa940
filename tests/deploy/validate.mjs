#!/usr/bin/env node
// Validates a `helm template` render object by object, offline, and asserts the chart's promises.
//
//   node tests/deploy/validate.mjs --name gpu rendered.yaml [--must-show]
//
// Prints one line per check, `PASS <check>` or `FAIL <check>: <reason>` (check.sh counts them), exit 1 on a FAIL.
// Checks:
//   schema <name>     every object against the Kubernetes JSON schemas of kubernetes-models (prometheus-operator CRDs
//                     through @kubernetes-models/prometheus-operator), plus unknown fields: a field the API type does
//                     not declare fails, as `helm install` does against the API server's OpenAPI schema. An object
//                     of a kind without a model fails. cert-manager.io/v1 Issuer and Certificate (no model in
//                     kubernetes-models) are checked against the fields this chart uses (CERT_MANAGER below).
//   hardening <name>  every pod: runAsNonRoot, no privilege escalation, read-only root file system (unless the values
//                     turn it off), capabilities dropped, resource requests and limits; every service container: a
//                     startup, a liveness (/healthz) and a readiness (/readyz) probe on the plain HTTP port (a
//                     kubelet gRPC probe cannot present the client certificate the internal gRPC ports require).
//   internal-tls <name>  identity, embedding and attributes serve gRPC on https:// with their own certificate mounted
//                     (a Secret or a cert-manager Certificate of the render with common name = the service), accept
//                     only the gateway, and the gateway dials them over TLS with its certificate.
//   with --must-show (the GPU render):
//   gpu-scheduling    embedding and attributes request and limit nvidia.com/gpu: 1, with a GPU nodeSelector and an
//                     nvidia.com/gpu toleration, and run the -cuda image with Inference__Provider=cuda; gateway and
//                     identity request no GPU.
//   only-gateway-exposed  Ingresses route only to the gateway's Service, never /metrics, /healthz, /readyz (no
//                     catch-all Prefix /) nor gRPC reflection (the gRPC Ingress routes only
//                     /faceplatform.face.v1.FaceService); only the gateway's Service is LoadBalancer or NodePort; the
//                     internal services' Services are headless.
//   network-policies  a NetworkPolicy selects each of identity, embedding and attributes and admits their gRPC port
//                     only from the gateway's pods; a default-deny policy covers the release.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const args = process.argv.slice(2);
const nameIdx = args.indexOf("--name");
const label = nameIdx >= 0 ? args[nameIdx + 1] : "render";
const mustShow = args.includes("--must-show");
const crdsIdx = args.indexOf("--crds");
const crdsDir = crdsIdx >= 0 ? args[crdsIdx + 1] : undefined;
const file = args.filter((a, i) => !a.startsWith("--") && (nameIdx < 0 || i !== nameIdx + 1) && (crdsIdx < 0 || i !== crdsIdx + 1))[0];
if (!file) {
  console.error("usage: validate.mjs --name NAME rendered.yaml [--must-show]");
  process.exit(2);
}

const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"))
  .map((d) => d.toJSON())
  .filter((o) => o && typeof o === "object");

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
const id = (o) => `${o.kind}/${o.metadata?.name}`;

// ---------------------------------------------------------------------------------------------------------------
// Models: apiVersion + kind -> kubernetes-models module

function modelSpecifier(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Unknown-field check from the models' TypeScript declarations (each API type is an interface listing its fields).

const declCache = new Map();

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** Reads a .d.ts: imports (name -> file), interfaces (name -> body), aliases (exported alias -> local name). */
function loadDecl(path) {
  if (declCache.has(path)) return declCache.get(path);
  const text = stripComments(readFileSync(path, "utf8"));
  const imports = new Map();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const n of m[1].split(",").map((s) => s.trim()).filter(Boolean)) imports.set(n.split(/\s+as\s+/).pop(), m[2]);
  }
  const interfaces = new Map();
  for (const m of text.matchAll(/export interface (\w+)(?:\s+extends\s+([\w, ]+))?\s*\{/g)) {
    const start = m.index + m[0].length;
    let depth = 1;
    let i = start;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    interfaces.set(m[1], { body: text.slice(start, i - 1), extendsTypeMeta: /TypeMeta/.test(m[2] ?? "") });
  }
  const aliases = new Map();
  for (const m of text.matchAll(/export type \{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const [local, exported] = part.split(/\s+as\s+/).map((s) => s.trim());
      if (exported) aliases.set(exported, local);
    }
  }
  const decl = { path, imports, interfaces, aliases };
  declCache.set(path, decl);
  return decl;
}

function resolveImport(fromPath, spec) {
  if (spec.startsWith(".")) return resolve(dirname(fromPath), spec).replace(/\.js$/, ".d.ts");
  return fileURLToPath(import.meta.resolve(spec)).replace(/\.js$/, ".d.ts");
}

/** Splits an interface body into [name, optional, type] (types may span lines and nest braces). */
function parseProps(body) {
  const props = new Map();
  let i = 0;
  while (i < body.length) {
    const m = body.slice(i).match(/^\s*"([^"]+)"(\?)?\s*:\s*/) ?? body.slice(i).match(/^\s*(\[key: string\])()\s*:\s*/);
    if (!m) {
      const next = body.indexOf(";", i);
      if (next < 0) break;
      i = next + 1;
      continue;
    }
    i += m[0].length;
    let depth = 0;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === "{" || c === "<" || c === "(" || c === "[") depth++;
      else if (c === "}" || c === ">" || c === ")" || c === "]") depth--;
      else if (c === ";" && depth === 0) break;
    }
    props.set(m[1], body.slice(i, j).trim());
    i = j + 1;
  }
  return props;
}

/** A type reference inside `decl` -> a checker: { kind: "object", props, decl } | { kind: "array"|"map", of } | leaf. */
function typeOf(typeText, decl) {
  let t = typeText.trim();
  const union = splitTop(t, "|").map((s) => s.trim()).filter((s) => s !== "null" && s !== "undefined");
  if (union.length > 1) return { kind: "leaf" }; // unions (IntOrString, etc.) are left to the JSON schema
  t = union[0] ?? t;
  let m;
  if ((m = t.match(/^Array<([\s\S]*)>$/))) return { kind: "array", of: typeOf(m[1], decl) };
  if (t.startsWith("{")) {
    const inner = t.slice(1, -1);
    const props = parseProps(inner);
    if (props.has("[key: string]")) return { kind: "map", of: typeOf(props.get("[key: string]"), decl) };
    return { kind: "object", props, decl };
  }
  if (/^(string|number|boolean|any|unknown|object)$/.test(t) || /^["\d]/.test(t)) return { kind: "leaf" };
  if (/^\w+$/.test(t)) {
    let target = decl;
    let name = t;
    if (!decl.interfaces.has(name) && decl.imports.has(name)) {
      try {
        target = loadDecl(resolveImport(decl.path, decl.imports.get(name)));
      } catch {
        return { kind: "leaf" };
      }
    }
    const local = target.aliases.get(name) ?? name;
    const iface = target.interfaces.get(local);
    if (!iface) return { kind: "leaf" }; // a type alias (Quantity, Time, JSON...): the JSON schema checks it
    return { kind: "object", props: parseProps(iface.body), decl: target, typeMeta: iface.extendsTypeMeta };
  }
  return { kind: "leaf" };
}

function splitTop(t, sep) {
  const parts = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if ("{<([".includes(c)) depth++;
    else if ("}>)]".includes(c)) depth--;
    else if (c === sep && depth === 0) {
      parts.push(t.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(t.slice(last));
  return parts;
}

function unknownFields(value, type, path, out) {
  if (value === null || value === undefined) return;
  if (type.kind === "array" && Array.isArray(value)) value.forEach((v, i) => unknownFields(v, type.of, `${path}[${i}]`, out));
  else if (type.kind === "map" && typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, type.of, `${path}.${k}`, out);
  else if (type.kind === "object" && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (type.typeMeta && (k === "apiVersion" || k === "kind")) continue;
      const propType = type.props.get(k) ?? type.props.get("[key: string]");
      if (propType === undefined) {
        out.push(`unknown field ${path}.${k}`);
        continue;
      }
      unknownFields(v, typeOf(propType, type.decl), `${path}.${k}`, out);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// schema

// cert-manager's CRDs have no model here: the fields the chart may use, with the required ones marked (cert-manager
// v1 API reference), so a typo or a missing field still fails offline.
const CERT_MANAGER = {
  Issuer: { spec: { required: [], fields: ["selfSigned", "ca"] } },
  Certificate: {
    spec: {
      required: ["secretName", "issuerRef"],
      fields: ["secretName", "issuerRef", "commonName", "dnsNames", "usages", "duration", "renewBefore", "privateKey", "isCA"],
    },
    issuerRef: ["name", "kind", "group"],
    privateKey: ["algorithm", "size", "rotationPolicy", "encoding"],
  },
};
function checkCertManager(o, out) {
  const rules = CERT_MANAGER[o.kind];
  if (!rules) return out.push(`${id(o)}: no schema for ${o.apiVersion} ${o.kind}`);
  for (const k of Object.keys(o)) if (!["apiVersion", "kind", "metadata", "spec"].includes(k)) out.push(`${id(o)}: unknown field ${k}`);
  if (!o.metadata?.name) out.push(`${id(o)}: no metadata.name`);
  const spec = o.spec ?? {};
  for (const k of Object.keys(spec)) if (!rules.spec.fields.includes(k)) out.push(`${id(o)}: unknown field spec.${k}`);
  for (const k of rules.spec.required) if (spec[k] === undefined) out.push(`${id(o)}: spec.${k} is required`);
  if (o.kind === "Issuer" && Object.keys(spec).length !== 1) out.push(`${id(o)}: an Issuer needs exactly one of selfSigned, ca`);
  if (o.kind === "Issuer" && spec.ca && !spec.ca.secretName) out.push(`${id(o)}: spec.ca.secretName is required`);
  if (o.kind === "Certificate") {
    if (!spec.issuerRef?.name) out.push(`${id(o)}: spec.issuerRef.name is required`);
    for (const k of Object.keys(spec.issuerRef ?? {})) if (!rules.issuerRef.includes(k)) out.push(`${id(o)}: unknown field spec.issuerRef.${k}`);
    for (const k of Object.keys(spec.privateKey ?? {})) if (!rules.privateKey.includes(k)) out.push(`${id(o)}: unknown field spec.privateKey.${k}`);
    const usages = ["digital signature", "key encipherment", "server auth", "client auth", "cert sign"];
    for (const u of spec.usages ?? []) if (!usages.includes(u)) out.push(`${id(o)}: unknown usage ${u}`);
    if (!spec.isCA && !spec.commonName && !(spec.dnsNames ?? []).length) out.push(`${id(o)}: neither commonName nor dnsNames`);
  }
}

// CloudNativePG (postgresql.cnpg.io/v1) has no model here: its objects are validated against the operator's own CRDs
// (--crds DIR: ../shared/reference/cloudnative-pg, the CRD YAML of the release the docs name) with a JSON-schema
// validator over each CRD's openAPIV3Schema, plus the API server's pruning rule as an unknown-field check: a field
// that a structural schema does not declare (and no x-kubernetes-preserve-unknown-fields allows) fails. The CEL rules
// (x-kubernetes-validations) are not evaluated offline.
const crdSchemas = new Map();
function crdSchema(apiVersion, kind) {
  const key = `${apiVersion} ${kind}`;
  if (crdSchemas.has(key)) return crdSchemas.get(key);
  let found = null;
  if (crdsDir && existsSync(crdsDir)) {
    const [group, version] = apiVersion.split("/");
    for (const f of readdirSync(crdsDir).filter((n) => /\.ya?ml$/.test(n))) {
      for (const crd of YAML.parseAllDocuments(readFileSync(join(crdsDir, f), "utf8")).map((d) => d.toJSON())) {
        if (crd?.kind !== "CustomResourceDefinition" || crd.spec?.group !== group || crd.spec?.names?.kind !== kind) continue;
        const v = crd.spec.versions.find((x) => x.name === version);
        if (v?.schema?.openAPIV3Schema) found = { schema: v.schema.openAPIV3Schema, validate: null };
      }
    }
  }
  if (found) {
    const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    addFormats(ajv);
    found.validate = ajv.compile(found.schema);
  }
  crdSchemas.set(key, found);
  return found;
}
function undeclaredFields(value, schema, path, out) {
  if (value === null || typeof value !== "object" || !schema) return;
  if (Array.isArray(value)) return value.forEach((v, i) => undeclaredFields(v, schema.items, `${path}[${i}]`, out));
  if (schema["x-kubernetes-preserve-unknown-fields"] || path.endsWith(".metadata")) return;
  for (const [k, v] of Object.entries(value)) {
    const declared = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (!declared && !schema.additionalProperties) out.push(`unknown field ${path}.${k}`);
    else undeclaredFields(v, declared, `${path}.${k}`, out);
  }
}
function checkCrd(o, out) {
  const crd = crdSchema(o.apiVersion, o.kind);
  if (!crd) return out.push(`${id(o)}: no CRD for ${o.apiVersion} ${o.kind} in ${crdsDir ?? "(no --crds DIR)"}`);
  if (!crd.validate(o)) out.push(...crd.validate.errors.slice(0, 3).map((e) => `${id(o)}: ${e.instancePath || "/"} ${e.message}`));
  const fields = [];
  undeclaredFields(o, crd.schema, id(o), fields);
  out.push(...fields);
  // The validator must bite: the same object with a misspelt field and a wrong type fails.
  const broken = structuredClone(o);
  broken.spec = { ...broken.spec, instancez: 3, cluster: 7, schedule: 7, instances: "three" };
  const brokenFields = [];
  undeclaredFields(broken, crd.schema, id(o), brokenFields);
  if (crd.validate(broken) || brokenFields.length === 0) out.push(`${id(o)}: a broken copy passed the CRD check (the validator does not bite)`);
}

const schemaProblems = [];
for (const o of docs) {
  if (!o.apiVersion || !o.kind) {
    schemaProblems.push(`object without apiVersion/kind: ${JSON.stringify(o).slice(0, 80)}`);
    continue;
  }
  if (o.apiVersion === "cert-manager.io/v1") {
    checkCertManager(o, schemaProblems);
    continue;
  }
  if (o.apiVersion === "postgresql.cnpg.io/v1") {
    checkCrd(o, schemaProblems);
    continue;
  }
  const spec = modelSpecifier(o.apiVersion, o.kind);
  let mod;
  try {
    mod = await import(spec);
  } catch {
    schemaProblems.push(`${id(o)}: no schema for ${o.apiVersion} ${o.kind}`);
    continue;
  }
  const Model = mod[o.kind] ?? mod.default;
  try {
    new Model(o).validate();
  } catch (e) {
    const errs = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}`);
    schemaProblems.push(`${id(o)}: ${errs.length ? errs.slice(0, 3).join(", ") : e.message}`);
  }
  const dts = fileURLToPath(import.meta.resolve(spec)).replace(/\.js$/, ".d.ts");
  const decl = loadDecl(dts);
  const iface = decl.interfaces.get(`I${o.kind}`);
  if (iface) {
    const out = [];
    unknownFields(o, { kind: "object", props: parseProps(iface.body), decl, typeMeta: true }, id(o), out);
    schemaProblems.push(...out);
  } else {
    schemaProblems.push(`${id(o)}: no type declaration I${o.kind} in ${spec}`);
  }
}
report(`schema ${label} (${docs.length} objects)`, schemaProblems);

// ---------------------------------------------------------------------------------------------------------------
// hardening

const podSpecs = [];
for (const o of docs) {
  if (["Deployment", "StatefulSet", "Job"].includes(o.kind)) podSpecs.push([o, o.spec?.template?.spec]);
  else if (o.kind === "Pod") podSpecs.push([o, o.spec]);
}
const SERVICES = ["gateway", "identity", "embedding", "attributes"];
const component = (o) => o.metadata?.labels?.["app.kubernetes.io/component"];
const hardening = [];
for (const [o, spec] of podSpecs) {
  if (!spec) {
    hardening.push(`${id(o)}: no pod spec`);
    continue;
  }
  if (spec.securityContext?.runAsNonRoot !== true) hardening.push(`${id(o)}: pod securityContext.runAsNonRoot is not true`);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const where = `${id(o)} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) hardening.push(`${where}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) hardening.push(`${where}: capabilities not dropped`);
    if (sc.readOnlyRootFilesystem === undefined) hardening.push(`${where}: readOnlyRootFilesystem not set`);
    if (!c.resources?.requests || !c.resources?.limits) hardening.push(`${where}: resource requests and limits missing`);
    if (/:latest$|^[^:]+$/.test(c.image ?? "")) hardening.push(`${where}: image ${c.image} not pinned`);
  }
  if (o.kind === "Deployment" && SERVICES.includes(component(o))) {
    const c = spec.containers?.[0] ?? {};
    if (!c.startupProbe) hardening.push(`${id(o)}: no startupProbe`);
    if (c.livenessProbe?.httpGet?.path !== "/healthz") hardening.push(`${id(o)}: livenessProbe is not GET /healthz`);
    if (c.readinessProbe?.httpGet?.path !== "/readyz" || c.readinessProbe?.httpGet?.port !== "http")
      hardening.push(`${id(o)}: readinessProbe is not GET /readyz on the http port`);
  }
}
report(`hardening ${label}`, hardening);

// ---------------------------------------------------------------------------------------------------------------
// internal TLS

const tls = [];
{
  const deployments = new Map(docs.filter((o) => o.kind === "Deployment").map((o) => [component(o), o]));
  const configOf = (c) => docs.find((o) => o.kind === "ConfigMap" && o.metadata.name === c?.envFrom?.[0]?.configMapRef?.name)?.data ?? {};
  const issued = new Map();
  for (const o of docs) {
    if (o.kind === "Secret" && o.type === "kubernetes.io/tls") issued.set(o.metadata.name, component(o));
    if (o.kind === "Certificate") issued.set(o.spec?.secretName, o.spec?.commonName);
  }
  for (const name of SERVICES) {
    const d = deployments.get(name);
    if (!d) {
      tls.push(`no ${name} Deployment`);
      continue;
    }
    const spec = d.spec.template.spec;
    const c = spec.containers[0];
    const config = configOf(c);
    const mount = (c.volumeMounts ?? []).find((m) => m.name === "internal-tls");
    const volume = (spec.volumes ?? []).find((v) => v.name === "internal-tls");
    if (!mount || !volume?.secret?.secretName) tls.push(`${name}: no certificate Secret mounted`);
    else {
      const dir = mount.mountPath;
      for (const [key, file] of [["CertificatePath", "tls.crt"], ["KeyPath", "tls.key"], ["CaPath", "ca.crt"]])
        if (config[`InternalTls__${key}`] !== `${dir}/${file}`) tls.push(`${name}: InternalTls__${key} is not ${dir}/${file}`);
      // Secrets made outside the chart (existingSecrets) are not in the render; the chart's own must be this service's.
      const owner = issued.get(volume.secret.secretName);
      if (issued.size > 0 && owner !== undefined && owner !== name) tls.push(`${name}: mounts the certificate of ${owner}`);
      if (issued.size > 0 && owner === undefined && volume.secret.secretName.startsWith(d.metadata.name)) tls.push(`${name}: its Secret ${volume.secret.secretName} is not rendered`);
    }
    if (name === "gateway") {
      for (const up of ["Identity", "Embedding", "Attributes"]) {
        const url = config[`Services__${up}__Url`] ?? "";
        if (!/^(https|dns):/.test(url)) tls.push(`gateway: Services__${up}__Url ${url} is not TLS`);
      }
    } else {
      if (!/^https:/.test(config.Kestrel__Endpoints__Grpc__Url ?? "")) tls.push(`${name}: gRPC endpoint ${config.Kestrel__Endpoints__Grpc__Url} is not https`);
      const callers = Object.entries(config).filter(([k]) => k.startsWith("InternalTls__AllowedCallers__")).map(([, v]) => v);
      if (callers.join(",") !== "gateway") tls.push(`${name}: allowed callers are [${callers}], not [gateway]`);
    }
  }
}
report(`internal-tls ${label}: every internal gRPC port is mutual TLS, only the gateway may call`, tls);

// ---------------------------------------------------------------------------------------------------------------
// must show (GPU render)

if (mustShow) {
  const deployments = new Map(docs.filter((o) => o.kind === "Deployment").map((o) => [component(o), o]));
  const gpu = [];
  for (const name of ["embedding", "attributes"]) {
    const d = deployments.get(name);
    if (!d) {
      gpu.push(`no ${name} Deployment`);
      continue;
    }
    const spec = d.spec.template.spec;
    const c = spec.containers[0];
    if (String(c.resources?.limits?.["nvidia.com/gpu"]) !== "1") gpu.push(`${name}: limits nvidia.com/gpu is ${c.resources?.limits?.["nvidia.com/gpu"]}, not 1`);
    if (String(c.resources?.requests?.["nvidia.com/gpu"]) !== "1") gpu.push(`${name}: requests nvidia.com/gpu is not 1`);
    if (!spec.nodeSelector || Object.keys(spec.nodeSelector).length === 0) gpu.push(`${name}: no nodeSelector for the GPU pool`);
    if (!(spec.tolerations ?? []).some((t) => t.key === "nvidia.com/gpu")) gpu.push(`${name}: no nvidia.com/gpu toleration`);
    if (!/-cuda$/.test(c.image)) gpu.push(`${name}: image ${c.image} is not the CUDA variant`);
    const cm = docs.find((o) => o.kind === "ConfigMap" && o.metadata.name === c.envFrom?.[0]?.configMapRef?.name);
    if (cm?.data?.Inference__Provider !== "cuda") gpu.push(`${name}: Inference__Provider is not cuda`);
  }
  for (const name of ["gateway", "identity"]) {
    const c = deployments.get(name)?.spec.template.spec.containers[0];
    if (c?.resources?.limits?.["nvidia.com/gpu"] !== undefined) gpu.push(`${name} requests a GPU`);
  }
  report("gpu-scheduling: embedding and attributes on GPU nodes with nvidia.com/gpu: 1", gpu);

  const exposed = [];
  const services = docs.filter((o) => o.kind === "Service");
  const gatewayServices = services.filter((s) => component(s) === "gateway").map((s) => s.metadata.name);
  for (const ing of docs.filter((o) => o.kind === "Ingress")) {
    const backends = [ing.spec.defaultBackend, ...(ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))].filter(Boolean);
    for (const b of backends) if (!gatewayServices.includes(b.service?.name)) exposed.push(`${id(ing)} routes to ${b.service?.name}`);
    for (const p of (ing.spec.rules ?? []).flatMap((r) => r.http?.paths ?? [])) {
      const grpc = p.backend?.service?.port?.name === "grpc";
      if (grpc && p.path !== "/faceplatform.face.v1.FaceService") exposed.push(`${id(ing)} routes gRPC ${p.path} (reflection and health must stay inside)`);
      if (!grpc && p.pathType !== "Exact" && ["/", "/metrics", "/healthz", "/readyz"].some((x) => x === "/" ? p.path === "/" : p.path.startsWith(x)))
        exposed.push(`${id(ing)} routes ${p.pathType} ${p.path}, which reaches /metrics`);
      if (!grpc && ["/metrics", "/healthz", "/readyz"].includes(p.path)) exposed.push(`${id(ing)} routes ${p.path}`);
    }
  }
  for (const s of services) {
    const external = ["LoadBalancer", "NodePort"].includes(s.spec.type) || (s.spec.externalIPs ?? []).length > 0;
    if (external && component(s) !== "gateway") exposed.push(`${id(s)} is ${s.spec.type}`);
    if (SERVICES.includes(component(s)) && component(s) !== "gateway" && s.spec.clusterIP !== "None") exposed.push(`${id(s)} is not headless`);
  }
  if (!docs.some((o) => o.kind === "Ingress") && !services.some((s) => ["LoadBalancer", "NodePort"].includes(s.spec.type)))
    exposed.push("the GPU values expose nothing (expected the gateway's Ingress / LoadBalancer)");
  report("only-gateway-exposed: only the gateway has an Ingress or an external Service", exposed);

  const np = [];
  const policies = docs.filter((o) => o.kind === "NetworkPolicy");
  const matches = (selector, labels) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
  for (const name of ["identity", "embedding", "attributes"]) {
    const d = deployments.get(name);
    const podLabels = d?.spec.template.metadata.labels;
    const grpcPort = d?.spec.template.spec.containers[0].ports.find((p) => p.name === "grpc")?.containerPort;
    const selecting = policies.filter((p) => matches(p.spec.podSelector, podLabels) && (p.spec.policyTypes ?? []).includes("Ingress"));
    if (selecting.length === 0) {
      np.push(`no NetworkPolicy selects ${name}`);
      continue;
    }
    const gatewayLabels = deployments.get("gateway")?.spec.template.metadata.labels;
    const rulesForGrpc = selecting.flatMap((p) => p.spec.ingress ?? []).filter((r) => !r.ports || r.ports.some((p) => p.port === grpcPort || p.port === "grpc"));
    if (rulesForGrpc.length === 0) np.push(`${name}: its gRPC port ${grpcPort} admits nobody`);
    for (const r of rulesForGrpc) {
      if (!r.from || r.from.length === 0) np.push(`${name}: gRPC port open to everyone`);
      else if (!r.from.every((f) => f.podSelector && !f.namespaceSelector && !f.ipBlock && matches(f.podSelector, gatewayLabels)))
        np.push(`${name}: gRPC port admits more than the gateway (${JSON.stringify(r.from)})`);
    }
  }
  if (!policies.some((p) => Object.keys(p.spec.podSelector?.matchLabels ?? {}).length <= 2 && !p.spec.ingress && (p.spec.policyTypes ?? []).includes("Ingress")))
    np.push("no default-deny ingress policy for the release");
  report("network-policies: identity, embedding, attributes admit gRPC only from the gateway", np);
}

// ---------------------------------------------------------------------------------------------------------------
// CloudNativePG (any render with a Cluster): identity wired to its -rw and -ro Services, bootstrap, backups

const clusters = docs.filter((o) => o.apiVersion === "postgresql.cnpg.io/v1" && o.kind === "Cluster");
if (clusters.length > 0) {
  const cnpg = [];
  const cluster = clusters[0];
  const name = cluster.metadata.name;
  if (clusters.length !== 1) cnpg.push(`${clusters.length} Clusters, expected one`);
  if (!(cluster.spec.instances >= 2)) cnpg.push(`${name}: ${cluster.spec.instances} instance(s), no replica for -ro`);
  const initdb = cluster.spec.bootstrap?.initdb ?? {};
  if (!initdb.database || !initdb.owner) cnpg.push(`${name}: bootstrap.initdb does not create the application database and owner`);
  if (!(initdb.postInitApplicationSQL ?? []).some((q) => /create extension if not exists vector/i.test(q)))
    cnpg.push(`${name}: bootstrap does not create the vector extension in the application database`);
  const store = cluster.spec.backup?.barmanObjectStore;
  if (!store?.destinationPath) cnpg.push(`${name}: no backup.barmanObjectStore.destinationPath`);
  const scheduled = docs.filter((o) => o.kind === "ScheduledBackup");
  if (scheduled.some((b) => b.spec.cluster?.name !== name)) cnpg.push("a ScheduledBackup names another cluster");
  if (docs.some((o) => o.kind === "StatefulSet" && component(o) === "postgresql")) cnpg.push("the bundled PostgreSQL StatefulSet is rendered beside the Cluster");
  const identity = docs.find((o) => o.kind === "Deployment" && component(o) === "identity");
  const env = new Map((identity?.spec.template.spec.containers[0].env ?? []).map((e) => [e.name, e]));
  const host = (key) => /(?:^|;)Host=([^;]+)/.exec(env.get(key)?.value ?? "")?.[1];
  if (host("ConnectionStrings__Postgres") !== `${name}-rw`) cnpg.push(`identity: ConnectionStrings__Postgres host is ${host("ConnectionStrings__Postgres")}, not ${name}-rw`);
  if (host("ConnectionStrings__PostgresReadOnly") !== `${name}-ro`) cnpg.push(`identity: ConnectionStrings__PostgresReadOnly host is ${host("ConnectionStrings__PostgresReadOnly")}, not ${name}-ro`);
  const password = env.get("FACEPLATFORM_POSTGRES_PASSWORD")?.valueFrom?.secretKeyRef;
  if (password?.name !== `${name}-app` || password?.key !== "password") cnpg.push(`identity: the database password does not come from the operator's Secret ${name}-app`);
  for (const key of ["ConnectionStrings__Postgres", "ConnectionStrings__PostgresReadOnly"]) {
    if (!/Password=\$\(FACEPLATFORM_POSTGRES_PASSWORD\)/.test(env.get(key)?.value ?? "")) cnpg.push(`identity: ${key} does not take the password from the Secret`);
  }
  report(`cnpg ${label}: Cluster ${name} with replicas, pgvector bootstrap and backups; identity on -rw and -ro`, cnpg);
}

process.exit(failed ? 1 : 0);
