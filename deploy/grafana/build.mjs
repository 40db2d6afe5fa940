#!/usr/bin/env node
// Generates the Grafana dashboards of FacePlatform (deploy/grafana/*.json) and copies them, with the Prometheus alert
// rules (deploy/prometheus/alerts.yaml), into the Helm chart (charts/face-platform/files/), which cannot read files
// outside its folder.
//
//   node deploy/grafana/build.mjs          write the dashboards and the chart's copies
//   node deploy/grafana/build.mjs --check  exit 1 when a committed file differs from what this script makes
//
// Every query uses only metric names the services export (ASP.NET Core, Kestrel, System.Net.Http, .NET runtime and
// FacePlatform's own metrics through the OpenTelemetry Prometheus exporter), selected by the Prometheus job of each
// service: faceplatform-gateway, faceplatform-identity, faceplatform-embedding, faceplatform-attributes (the chart's
// ServiceMonitors and deploy/prometheus/prometheus.local.yml name them so), or the NVIDIA DCGM exporter's GPU metrics
// (DCGM_FI_DEV_*, labelled with the namespace and container of the pod using the GPU).
//
// Every dashboard has a `namespace` variable (one release at a time: single choice, no "All") and an `instance`
// variable; scoped() adds both to every selector of our services (namespace only to DCGM selectors, whose instance is
// the exporter), so two releases in one Prometheus never mix. The checks: tests/deploy/check.sh (names exported,
// copies in sync) and the end-to-end DashboardQueryTests, which run every query against a real Prometheus scraping
// the running platform (tests/deploy/metric-names.mjs lists what the queries name).

import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const chartFiles = join(root, "charts/face-platform/files");

const SERVICES = ["gateway", "identity", "embedding", "attributes"];
const ALL_JOBS = 'job=~"faceplatform-(gateway|identity|embedding|attributes)"';
// Health, readiness and scrape traffic would drown the real endpoints' latency.
const NOT_PLUMBING = 'http_route!~"/healthz|/readyz|/metrics|/grpc.health.v1.Health/.*|/grpc.reflection.*"';
// gRPC status codes that are the server's fault (OpenTelemetry's RPC conventions for server spans): UNKNOWN,
// DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. rpc_grpc_status_code is numeric (ServiceDefaults'
// RpcMetrics); gRPC answers are HTTP 200 whatever their status, so only these series see gRPC failures.
const GRPC_SERVER_ERRORS = 'rpc_grpc_status_code=~"2|4|12|13|14|15"';
// Health probes and reflection are gRPC calls too; they would dilute the ratios.
const NOT_RPC_PLUMBING = 'rpc_service!~"grpc[.](health|reflection)[.].*"';
// `part or 0 * whole`: a share with no failing series is 0, not "No data" (which would look like a broken panel, and
// which the end-to-end dashboard-query test would flag).
const orZero = (part, whole) => `(${part} or 0 * ${whole})`;
const ratio = (part, whole) => `${orZero(part, whole)} / ${whole}`;
const rpcRatio = (metric, selector, by) =>
  ratio(`sum by (${by}) (rate(${metric}_count{${selector},${GRPC_SERVER_ERRORS}}[$__rate_interval]))`, `sum by (${by}) (rate(${metric}_count{${selector}}[$__rate_interval]))`);
const DS = { type: "prometheus", uid: "${datasource}" };
// The NVIDIA DCGM exporter's labels for the pod using a GPU (DCGM_EXPORTER_KUBERNETES=true, the GPU operator's
// default): namespace, pod, container. The containers of the chart are named after the service.
const INFERENCE_CONTAINERS = 'container=~"embedding|attributes"';

/**
 * Adds the dashboard variables to every label matcher block of a query: namespace to all of them, instance to the
 * ones selecting one of our jobs. A metric without a matcher block would escape both, so it is refused.
 */
export function scoped(expr) {
  const skeleton = expr.replace(/\{[^}]*\}/g, "{}").replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, "");
  const bare = skeleton.match(/\b(?:faceplatform|http|rpc|dotnet|kestrel|aspnetcore|target|DCGM)_\w*(?![\w{])/);
  if (bare) throw new Error(`metric without a label matcher (would mix namespaces): ${bare[0]} in ${expr}`);
  return expr.replace(/\{([^}]*)\}/g, (all, inner) => {
    const extra = [];
    if (!/\bnamespace\s*=/.test(inner)) extra.push('namespace=~"$namespace"');
    if (/\bjob\s*=/.test(inner) && !/\binstance\s*=/.test(inner)) extra.push('instance=~"$instance"');
    return extra.length ? `{${[inner, ...extra].join(",")}}` : all;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Panel helpers. Layout: 24 columns; each helper takes (x, y, w, h).

let nextId = 1;
const pos = (x, y, w, h) => ({ x, y, w, h });

function row(title, y, collapsed = false) {
  return { id: nextId++, type: "row", title, collapsed, gridPos: pos(0, y, 24, 1), panels: [] };
}

function timeseries(title, targets, gridPos, { unit = "short", description = "", stack = false, min } = {}) {
  return {
    id: nextId++,
    type: "timeseries",
    title,
    description,
    datasource: DS,
    gridPos,
    fieldConfig: {
      defaults: {
        unit,
        ...(min === undefined ? {} : { min }),
        custom: {
          drawStyle: "line",
          lineWidth: 1,
          fillOpacity: stack ? 30 : 10,
          showPoints: "never",
          spanNulls: true,
          stacking: { mode: stack ? "normal" : "none", group: "A" },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: "table", placement: "bottom", calcs: ["mean", "max", "lastNotNull"] },
      tooltip: { mode: "multi", sort: "desc" },
    },
    targets: targets.map(([expr, legendFormat], i) => ({
      datasource: DS,
      refId: String.fromCharCode(65 + i),
      expr: scoped(expr),
      legendFormat,
      range: true,
    })),
  };
}

function stat(title, expr, gridPos, { unit = "short", description = "", thresholds } = {}) {
  return {
    id: nextId++,
    type: "stat",
    title,
    description,
    datasource: DS,
    gridPos,
    fieldConfig: {
      defaults: {
        unit,
        thresholds: thresholds ?? { mode: "absolute", steps: [{ color: "green", value: null }] },
      },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area" },
    targets: [{ datasource: DS, refId: "A", expr: scoped(expr), instant: false, range: true }],
  };
}

function text(title, content, gridPos) {
  return { id: nextId++, type: "text", title, gridPos, options: { mode: "markdown", content } };
}

function dashboard({ uid, title, description, tags, panels, variables }) {
  return {
    uid,
    title,
    description,
    tags: ["faceplatform", ...tags],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    timezone: "",
    annotations: { list: [] },
    links: [
      { title: "FacePlatform", type: "dashboards", tags: ["faceplatform"], asDropdown: true, includeVars: false, keepTime: true },
    ],
    templating: {
      list: [
        {
          name: "datasource",
          label: "Prometheus",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
          options: [],
        },
        ...variables,
      ],
    },
    panels,
  };
}

// One release at a time: a single namespace, no "All" (the chart's ServiceMonitors put the namespace on every series;
// deploy/prometheus/prometheus.local.yml labels a machine's services namespace="local").
function namespaceVariable() {
  const definition = `label_values(target_info{${ALL_JOBS}}, namespace)`;
  return {
    name: "namespace",
    label: "Namespace (release)",
    type: "query",
    datasource: DS,
    query: { query: definition, refId: "namespace" },
    definition,
    includeAll: false,
    multi: false,
    current: {},
    refresh: 2,
    sort: 1,
    hide: 0,
    options: [],
  };
}

function instanceVariable(jobSelector) {
  const definition = `label_values(target_info{${jobSelector},namespace=~"$namespace"}, instance)`;
  return {
    name: "instance",
    label: "Pod / instance",
    type: "query",
    datasource: DS,
    query: { query: definition, refId: "instance" },
    definition,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { text: "All", value: "$__all" },
    refresh: 2,
    sort: 1,
    hide: 0,
    options: [],
  };
}

const DCGM_NOTE =
  "From the NVIDIA DCGM exporter (the GPU operator installs it on GPU nodes), by the pod and container using the GPU. Empty on CPU-only clusters.";

function gpuUtilisation(gridPos) {
  return timeseries(
    "GPU utilisation (embedding, attributes)",
    [
      [`max by (container, pod) (DCGM_FI_DEV_GPU_UTIL{${INFERENCE_CONTAINERS}})`, "util % {{pod}}"],
      [`max by (container, pod) (100 * DCGM_FI_DEV_FB_USED{${INFERENCE_CONTAINERS}} / (DCGM_FI_DEV_FB_USED{${INFERENCE_CONTAINERS}} + DCGM_FI_DEV_FB_FREE{${INFERENCE_CONTAINERS}}))`, "memory % {{pod}}"],
    ],
    gridPos,
    { unit: "percent", min: 0, description: DCGM_NOTE },
  );
}

const q = (quantile, selector, by) =>
  `histogram_quantile(${quantile}, sum by (${by}) (rate(http_server_request_duration_seconds_bucket{${selector}}[$__rate_interval])))`;

// ---------------------------------------------------------------------------------------------------------------
// Platform overview

function overview() {
  nextId = 1;
  const sel = `${ALL_JOBS},${NOT_PLUMBING}`;
  const panels = [];
  let y = 0;

  panels.push(row("Traffic and errors", y++));
  panels.push(
    stat("Gateway requests / s", `sum(rate(http_server_request_duration_seconds_count{job="faceplatform-gateway",${NOT_PLUMBING}}[$__rate_interval]))`, pos(0, y, 6, 4), { unit: "reqps" }),
    stat(
      "Gateway 5xx ratio",
      ratio(`sum(rate(http_server_request_duration_seconds_count{job="faceplatform-gateway",${NOT_PLUMBING},http_response_status_code=~"5.."}[$__rate_interval]))`, `sum(rate(http_server_request_duration_seconds_count{job="faceplatform-gateway",${NOT_PLUMBING}}[$__rate_interval]))`),
      pos(6, y, 6, 4),
      { unit: "percentunit", thresholds: { mode: "absolute", steps: [{ color: "green", value: null }, { color: "orange", value: 0.01 }, { color: "red", value: 0.05 }] } },
    ),
    stat("Gateway p95 latency", q(0.95, `job="faceplatform-gateway",${NOT_PLUMBING}`, "le"), pos(12, y, 6, 4), { unit: "s" }),
    stat("Pods reporting", `count(target_info{${ALL_JOBS}})`, pos(18, y, 6, 4), {
      description: "Scraped instances of the four services (target_info is exported by every service).",
    }),
  );
  y += 4;
  panels.push(
    timeseries("Request rate per service", [[`sum by (job) (rate(http_server_request_duration_seconds_count{${sel}}[$__rate_interval]))`, "{{job}}"]], pos(0, y, 12, 8), { unit: "reqps" }),
    timeseries(
      "Error ratio per service (HTTP 5xx, gRPC server errors)",
      [
        [ratio(`sum by (job) (rate(http_server_request_duration_seconds_count{${sel},http_response_status_code=~"5.."}[$__rate_interval]))`, `sum by (job) (rate(http_server_request_duration_seconds_count{${sel}}[$__rate_interval]))`), "HTTP 5xx {{job}}"],
        [rpcRatio("rpc_server_duration_seconds", `${ALL_JOBS},${NOT_RPC_PLUMBING}`, "job"), "gRPC {{job}}"],
      ],
      pos(12, y, 12, 8),
      {
        unit: "percentunit",
        min: 0,
        description: "gRPC calls answer HTTP 200 whatever their gRPC status: gRPC errors are counted from rpc_server_duration_seconds (rpc_grpc_status_code UNKNOWN 2, DEADLINE_EXCEEDED 4, UNIMPLEMENTED 12, INTERNAL 13, UNAVAILABLE 14, DATA_LOSS 15).",
      },
    ),
  );
  y += 8;
  panels.push(
    timeseries("Request rate per endpoint", [[`sum by (job, http_route) (rate(http_server_request_duration_seconds_count{${sel}}[$__rate_interval]))`, "{{job}} {{http_route}}"]], pos(0, y, 12, 8), { unit: "reqps" }),
    timeseries(
      "Gateway responses by status",
      [[`sum by (http_response_status_code) (rate(http_server_request_duration_seconds_count{job="faceplatform-gateway",${NOT_PLUMBING}}[$__rate_interval]))`, "{{http_response_status_code}}"]],
      pos(12, y, 6, 8),
      { unit: "reqps", stack: true },
    ),
    timeseries(
      "Gateway exceptions (problem details)",
      [[`sum by (error_type, aspnetcore_diagnostics_exception_result) (rate(aspnetcore_diagnostics_exceptions_total{job="faceplatform-gateway"}[$__rate_interval]))`, "{{error_type}} ({{aspnetcore_diagnostics_exception_result}})"]],
      pos(18, y, 6, 8),
      { unit: "ops", description: "RpcException here is an internal service failing or timing out behind the gateway." },
    ),
  );
  y += 8;

  panels.push(row("Latency", y++));
  panels.push(
    timeseries(
      "Latency per service (p50 / p95 / p99)",
      [
        [q(0.5, sel, "job, le"), "p50 {{job}}"],
        [q(0.95, sel, "job, le"), "p95 {{job}}"],
        [q(0.99, sel, "job, le"), "p99 {{job}}"],
      ],
      pos(0, y, 12, 9),
      { unit: "s" },
    ),
    timeseries(
      "Gateway → service calls (p95, by service)",
      [[`histogram_quantile(0.95, sum by (rpc_service, le) (rate(rpc_client_duration_seconds_bucket{job="faceplatform-gateway"}[$__rate_interval])))`, "{{rpc_service}}"]],
      pos(12, y, 12, 9),
      { unit: "s", description: "The gateway's gRPC calls to identity, embedding and attributes, whole calls (retries on UNAVAILABLE included)." },
    ),
  );
  y += 9;
  panels.push(
    timeseries("p50 per endpoint", [[q(0.5, sel, "job, http_route, le"), "{{job}} {{http_route}}"]], pos(0, y, 8, 9), { unit: "s" }),
    timeseries("p95 per endpoint", [[q(0.95, sel, "job, http_route, le"), "{{job}} {{http_route}}"]], pos(8, y, 8, 9), { unit: "s" }),
    timeseries("p99 per endpoint", [[q(0.99, sel, "job, http_route, le"), "{{job}} {{http_route}}"]], pos(16, y, 8, 9), { unit: "s" }),
  );
  y += 9;

  panels.push(row("Saturation", y++));
  panels.push(
    timeseries(
      "CPU used / CPUs available, per pod",
      [[`sum by (job, instance) (rate(dotnet_process_cpu_time_seconds_total{${ALL_JOBS}}[$__rate_interval])) / sum by (job, instance) (dotnet_process_cpu_count{${ALL_JOBS}})`, "{{job}} {{instance}}"]],
      pos(0, y, 8, 8),
      { unit: "percentunit", min: 0 },
    ),
    timeseries("In-flight requests per service", [[`sum by (job) (http_server_active_requests{${ALL_JOBS}})`, "{{job}}"]], pos(8, y, 8, 8)),
    timeseries(
      "Queues: thread pool work items and Kestrel connections",
      [
        [`sum by (job) (dotnet_thread_pool_queue_length_total{${ALL_JOBS}})`, "thread pool {{job}}"],
        [`sum by (job) (kestrel_queued_connections{${ALL_JOBS}})`, "kestrel {{job}}"],
      ],
      pos(16, y, 8, 8),
      { description: "Work waiting for a thread, and connections waiting to be accepted (the inference queues are below)." },
    ),
  );
  y += 8;
  panels.push(
    timeseries("Memory (working set) per service", [[`sum by (job) (dotnet_process_memory_working_set_bytes{${ALL_JOBS}})`, "{{job}}"]], pos(0, y, 12, 8), { unit: "bytes" }),
    gpuUtilisation(pos(12, y, 12, 8)),
  );
  y += 8;

  panels.push(row("Faces, cache, inference and search", y++));
  panels.push(
    timeseries(
      "Faces per photo (gateway analyses)",
      [
        [`histogram_quantile(0.5, sum by (le) (rate(faceplatform_faces_per_photo_bucket{job="faceplatform-gateway"}[$__rate_interval])))`, "p50"],
        [`histogram_quantile(0.95, sum by (le) (rate(faceplatform_faces_per_photo_bucket{job="faceplatform-gateway"}[$__rate_interval])))`, "p95"],
      ],
      pos(0, y, 8, 8),
      { description: "faceplatform.faces.per_photo, recorded by the gateway for every analysed photo.", min: 0 },
    ),
  );
  panels.push(
    timeseries(
      "Cache hit ratio",
      [[ratio(`sum by (job) (rate(faceplatform_cache_requests_total{${ALL_JOBS},faceplatform_cache_result="hit"}[$__rate_interval]))`, `sum by (job) (rate(faceplatform_cache_requests_total{${ALL_JOBS}}[$__rate_interval]))`), "{{job}}"]],
      pos(8, y, 8, 8),
      { unit: "percentunit", min: 0, description: "Gateway: analysis answers; identity: search answers and subjects. Bypasses (Redis down) count as misses." },
    ),
  );
  panels.push(
    timeseries(
      "Cache bypasses (Redis unavailable)",
      [[orZero(`sum by (job) (rate(faceplatform_cache_requests_total{${ALL_JOBS},faceplatform_cache_result="bypass"}[$__rate_interval]))`, `sum by (job) (rate(faceplatform_cache_requests_total{${ALL_JOBS}}[$__rate_interval]))`), "{{job}}"]],
      pos(16, y, 8, 8),
      { unit: "reqps", description: "Look-ups answered without Redis: the platform is slower, not wrong." },
    ),
  );
  y += 8;
  panels.push(
    timeseries(
      "Inference latency p95 per model",
      [[`histogram_quantile(0.95, sum by (le, faceplatform_model_name) (rate(faceplatform_inference_duration_seconds_bucket{${ALL_JOBS}}[$__rate_interval])))`, "{{faceplatform_model_name}}"]],
      pos(0, y, 8, 8),
      { unit: "s", description: "One ONNX Runtime run of a batch (faceplatform.inference.duration)." },
    ),
  );
  panels.push(
    timeseries(
      "Mean batch size per model",
      [
        [`sum by (faceplatform_model_name) (rate(faceplatform_batch_size_sum{${ALL_JOBS}}[$__rate_interval])) / sum by (faceplatform_model_name) (rate(faceplatform_batch_size_count{${ALL_JOBS}}[$__rate_interval]))`, "{{faceplatform_model_name}} samples"],
        [`sum by (faceplatform_model_name) (rate(faceplatform_batch_requests_sum{${ALL_JOBS}}[$__rate_interval])) / sum by (faceplatform_model_name) (rate(faceplatform_batch_requests_count{${ALL_JOBS}}[$__rate_interval]))`, "{{faceplatform_model_name}} requests"],
      ],
      pos(8, y, 8, 8),
      { min: 0, description: "Samples per run, and requests coalesced per run (above 1: concurrent requests share a batch)." },
    ),
  );
  panels.push(
    timeseries(
      "Inference queue depth",
      [[`max by (job, faceplatform_model_name) (faceplatform_queue_depth{${ALL_JOBS}})`, "{{job}} {{faceplatform_model_name}}"]],
      pos(16, y, 8, 8),
      { min: 0, description: "Requests waiting per model; a full queue answers RESOURCE_EXHAUSTED." },
    ),
  );
  y += 8;
  panels.push(
    timeseries(
      "Search latency (identity)",
      [
        [`histogram_quantile(0.5, sum by (le) (rate(faceplatform_search_duration_seconds_bucket{job="faceplatform-identity"}[$__rate_interval])))`, "p50"],
        [`histogram_quantile(0.99, sum by (le) (rate(faceplatform_search_duration_seconds_bucket{job="faceplatform-identity"}[$__rate_interval])))`, "p99"],
      ],
      pos(0, y, 12, 8),
      { unit: "s", description: "One Search call (all its query embeddings), cache hits included." },
    ),
  );
  panels.push(
    timeseries(
      "Search outcomes",
      [[`sum by (faceplatform_search_outcome) (rate(faceplatform_search_queries_total{job="faceplatform-identity"}[$__rate_interval]))`, "{{faceplatform_search_outcome}}"]],
      pos(12, y, 12, 8),
      { unit: "reqps", description: "Query embeddings that matched a subject, or came back unknown." },
    ),
  );
  y += 8;

  return dashboard({
    uid: "faceplatform-overview",
    title: "FacePlatform / Overview",
    description: "Request rate, errors, latency per endpoint and per service, saturation of the four FacePlatform services.",
    tags: ["overview"],
    panels,
    variables: [namespaceVariable(), instanceVariable(ALL_JOBS)],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// One dashboard per service

function serviceDashboard(service) {
  nextId = 1;
  const job = `faceplatform-${service}`;
  const base = `job="${job}",instance=~"$instance"`;
  const sel = `${base},${NOT_PLUMBING}`;
  const panels = [];
  let y = 0;

  panels.push(row(service === "gateway" ? "Requests (REST and gRPC FaceService)" : "gRPC methods", y++));
  panels.push(
    timeseries("Rate per endpoint", [[`sum by (http_route) (rate(http_server_request_duration_seconds_count{${sel}}[$__rate_interval]))`, "{{http_route}}"]], pos(0, y, 12, 8), { unit: "reqps" }),
    timeseries(
      "Responses by status per endpoint",
      [[`sum by (http_route, http_response_status_code) (rate(http_server_request_duration_seconds_count{${sel}}[$__rate_interval]))`, "{{http_route}} {{http_response_status_code}}"]],
      pos(12, y, 12, 8),
      { unit: "reqps", description: "HTTP status; a gRPC call is HTTP 200 whatever its gRPC status (see gRPC calls by status)." },
    ),
  );
  y += 8;
  panels.push(
    timeseries(
      "gRPC calls by method and status",
      [[`sum by (rpc_method, rpc_grpc_status_code) (rate(rpc_server_duration_seconds_count{${base},${NOT_RPC_PLUMBING}}[$__rate_interval]))`, "{{rpc_method}} {{rpc_grpc_status_code}}"]],
      pos(0, y, 12, 8),
      { unit: "reqps", description: "rpc_grpc_status_code is numeric: 0 OK, 3 INVALID_ARGUMENT, 5 NOT_FOUND, 8 RESOURCE_EXHAUSTED, 13 INTERNAL, 14 UNAVAILABLE …" },
    ),
    timeseries(
      "gRPC server error ratio",
      [[rpcRatio("rpc_server_duration_seconds", `${base},${NOT_RPC_PLUMBING}`, "rpc_method"), "{{rpc_method}}"]],
      pos(12, y, 12, 8),
      { unit: "percentunit", min: 0, description: "Calls ending UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE or DATA_LOSS." },
    ),
  );
  y += 8;
  panels.push(
    timeseries(
      "Latency (p50 / p95 / p99)",
      [
        [q(0.5, sel, "le"), "p50"],
        [q(0.95, sel, "le"), "p95"],
        [q(0.99, sel, "le"), "p99"],
      ],
      pos(0, y, 8, 8),
      { unit: "s" },
    ),
    timeseries("p95 per endpoint", [[q(0.95, sel, "http_route, le"), "{{http_route}}"]], pos(8, y, 8, 8), { unit: "s" }),
    timeseries("p99 per endpoint", [[q(0.99, sel, "http_route, le"), "{{http_route}}"]], pos(16, y, 8, 8), { unit: "s" }),
  );
  y += 8;

  if (service === "gateway") {
    panels.push(row("Calls to the internal services", y++));
    panels.push(
      timeseries(
        "Calls by service and gRPC status",
        [[`sum by (rpc_service, rpc_grpc_status_code) (rate(rpc_client_duration_seconds_count{${base}}[$__rate_interval]))`, "{{rpc_service}} {{rpc_grpc_status_code}}"]],
        pos(0, y, 8, 8),
        { unit: "reqps", description: "rpc_grpc_status_code is numeric: 0 OK, 4 DEADLINE_EXCEEDED, 5 NOT_FOUND, 14 UNAVAILABLE …" },
      ),
      timeseries(
        "Upstream latency (p50 / p95 / p99)",
        [
          [`histogram_quantile(0.5, sum by (rpc_service, le) (rate(rpc_client_duration_seconds_bucket{${base}}[$__rate_interval])))`, "p50 {{rpc_service}}"],
          [`histogram_quantile(0.95, sum by (rpc_service, le) (rate(rpc_client_duration_seconds_bucket{${base}}[$__rate_interval])))`, "p95 {{rpc_service}}"],
          [`histogram_quantile(0.99, sum by (rpc_service, le) (rate(rpc_client_duration_seconds_bucket{${base}}[$__rate_interval])))`, "p99 {{rpc_service}}"],
        ],
        pos(8, y, 8, 8),
        { unit: "s", description: "Whole gRPC calls to identity, embedding and attributes (retries on UNAVAILABLE included)." },
      ),
      timeseries(
        "Connections to upstreams and time waiting for one",
        [
          [`sum by (server_port, http_connection_state) (http_client_open_connections{${base}})`, "open :{{server_port}} {{http_connection_state}}"],
          [`sum by (server_port) (http_client_active_requests{${base}})`, "active :{{server_port}}"],
          [`histogram_quantile(0.95, sum by (server_port, le) (rate(http_client_request_time_in_queue_seconds_bucket{${base}}[$__rate_interval])))`, "p95 queue wait :{{server_port}}"],
        ],
        pos(16, y, 8, 8),
      ),
    );
    y += 8;
    panels.push(row("Authentication (API keys)", y++));
    panels.push(
      timeseries(
        "Authentication results",
        [[`sum by (aspnetcore_authentication_result) (rate(aspnetcore_authentication_authenticate_duration_seconds_count{${base}}[$__rate_interval]))`, "{{aspnetcore_authentication_result}}"]],
        pos(0, y, 8, 8),
        { unit: "ops" },
      ),
      timeseries(
        "Authentication latency (p95)",
        [[`histogram_quantile(0.95, sum by (le) (rate(aspnetcore_authentication_authenticate_duration_seconds_bucket{${base}}[$__rate_interval])))`, "p95"]],
        pos(8, y, 8, 8),
        { unit: "s", description: "API key → tenant, cached in the gateway for Auth:KeyCacheSeconds, else asked of identity." },
      ),
      timeseries(
        "Authorization attempts",
        [[`sum by (aspnetcore_authorization_result) (rate(aspnetcore_authorization_attempts_total{${base}}[$__rate_interval]))`, "{{aspnetcore_authorization_result}}"]],
        pos(16, y, 8, 8),
        { unit: "ops" },
      ),
    );
    y += 8;
    panels.push(
      timeseries(
        "Exceptions turned into problem details",
        [[`sum by (error_type, aspnetcore_diagnostics_exception_result) (rate(aspnetcore_diagnostics_exceptions_total{${base}}[$__rate_interval]))`, "{{error_type}} ({{aspnetcore_diagnostics_exception_result}})"]],
        pos(0, y, 12, 8),
        { unit: "ops" },
      ),
      timeseries(
        "Analysis cache by result",
        [[`sum by (faceplatform_cache_result) (rate(faceplatform_cache_requests_total{${base}}[$__rate_interval]))`, "{{faceplatform_cache_result}}"]],
        pos(12, y, 6, 8),
        { unit: "reqps", description: "Redis look-ups of analysis answers (hit, miss, bypass: Redis unusable, answered without it)." },
      ),
      timeseries(
        "Faces per photo",
        [[`histogram_quantile(0.95, sum by (le) (rate(faceplatform_faces_per_photo_bucket{${base}}[$__rate_interval])))`, "p95"]],
        pos(18, y, 6, 8),
        { min: 0 },
      ),
    );
    y += 8;
  }

  if (service === "identity") {
    panels.push(row("Search and cache", y++));
    panels.push(
      timeseries(
        "Search latency by cache result",
        [[`histogram_quantile(0.99, sum by (le, faceplatform_cache_result) (rate(faceplatform_search_duration_seconds_bucket{job="faceplatform-identity"}[$__rate_interval])))`, "p99 {{faceplatform_cache_result}}"]],
        pos(0, y, 12, 8),
        { unit: "s", description: "Candidates from the in-memory scan of each collection's SimHash codes (or, for collections over Identity__ScanMemoryMegabytes or still being read, from PostgreSQL), re-ranked by exact cosine (Identity__RerankCandidates, default 32, at least 4 × top-k)." },
      ),
    );
    panels.push(
      timeseries(
        "Cache requests by kind and result",
        [[`sum by (faceplatform_cache_kind, faceplatform_cache_result) (rate(faceplatform_cache_requests_total{job="faceplatform-identity"}[$__rate_interval]))`, "{{faceplatform_cache_kind}} {{faceplatform_cache_result}}"]],
        pos(12, y, 12, 8),
        { unit: "reqps" },
      ),
    );
    y += 8;
    panels.push(
      timeseries(
        "Search candidates by source",
        [[`sum by (faceplatform_search_path) (rate(faceplatform_search_candidates_total{job="faceplatform-identity"}[$__rate_interval]))`, "{{faceplatform_search_path}}"]],
        pos(0, y, 12, 8),
        { unit: "reqps", description: "scan: the in-memory copy of the collection's codes; index: PostgreSQL (a collection over the memory budget, one still being read, or scanning off). Steady index traffic means the budget is too small for the galleries searched." },
      ),
    );
    panels.push(
      timeseries(
        "Reads of codes into memory",
        [
          [`histogram_quantile(0.99, sum by (le, faceplatform_codes_read_kind) (rate(faceplatform_codes_read_duration_seconds_bucket{job="faceplatform-identity"}[$__rate_interval])))`, "p99 {{faceplatform_codes_read_kind}}"],
          [`sum by (faceplatform_codes_read_kind) (rate(faceplatform_codes_read_duration_seconds_count{job="faceplatform-identity"}[$__rate_interval]))`, "reads/s {{faceplatform_codes_read_kind}}"],
        ],
        pos(12, y, 12, 8),
        { description: "full: a collection read whole (first search, eviction, deletions through another replica; 1M faces ~1.4 s); increment: faces written since the last read, before a search of a changed collection." },
      ),
    );
    y += 8;
  }

  if (service === "embedding" || service === "attributes") {
    panels.push(row("Inference", y++));
    const job = `job="faceplatform-${service}"`;
    panels.push(
      timeseries(
        "Inference latency per model",
        [
          [`histogram_quantile(0.5, sum by (le, faceplatform_model_name) (rate(faceplatform_inference_duration_seconds_bucket{${job}}[$__rate_interval])))`, "p50 {{faceplatform_model_name}}"],
          [`histogram_quantile(0.99, sum by (le, faceplatform_model_name) (rate(faceplatform_inference_duration_seconds_bucket{${job}}[$__rate_interval])))`, "p99 {{faceplatform_model_name}}"],
        ],
        pos(0, y, 8, 8),
        { unit: "s" },
      ),
    );
    panels.push(
      timeseries(
        "Batch size per model",
        [[`sum by (faceplatform_model_name) (rate(faceplatform_batch_size_sum{${job}}[$__rate_interval])) / sum by (faceplatform_model_name) (rate(faceplatform_batch_size_count{${job}}[$__rate_interval]))`, "{{faceplatform_model_name}}"]],
        pos(8, y, 8, 8),
        { min: 0 },
      ),
    );
    panels.push(
      timeseries("Queue depth per model", [[`max by (faceplatform_model_name) (faceplatform_queue_depth{${job}})`, "{{faceplatform_model_name}}"]], pos(16, y, 8, 8), { min: 0 }),
    );
    y += 8;
    panels.push(row("GPU (NVIDIA DCGM exporter)", y++));
    const gpu = `container="${service}"`;
    panels.push(
      timeseries("GPU utilisation per pod", [[`max by (pod, gpu) (DCGM_FI_DEV_GPU_UTIL{${gpu}})`, "{{pod}} GPU {{gpu}}"]], pos(0, y, 8, 8), {
        unit: "percent",
        min: 0,
        description: DCGM_NOTE,
      }),
      timeseries(
        "GPU memory used / total",
        [[`max by (pod, gpu) (DCGM_FI_DEV_FB_USED{${gpu}} / (DCGM_FI_DEV_FB_USED{${gpu}} + DCGM_FI_DEV_FB_FREE{${gpu}}))`, "{{pod}} GPU {{gpu}}"]],
        pos(8, y, 8, 8),
        { unit: "percentunit", min: 0, description: "Frame buffer used by all processes on the GPU (the model sessions hold theirs for the pod's lifetime)." },
      ),
      timeseries(
        "GPU power and temperature",
        [
          [`max by (pod, gpu) (DCGM_FI_DEV_POWER_USAGE{${gpu}})`, "W {{pod}} GPU {{gpu}}"],
          [`max by (pod, gpu) (DCGM_FI_DEV_GPU_TEMP{${gpu}})`, "°C {{pod}} GPU {{gpu}}"],
        ],
        pos(16, y, 8, 8),
        { description: "Power near the card's limit with low utilisation means throttling; check temperature." },
      ),
    );
    y += 8;
  }

  panels.push(row(".NET runtime and Kestrel", y++));
  panels.push(
    timeseries(
      "CPU used / CPUs available",
      [[`sum by (instance) (rate(dotnet_process_cpu_time_seconds_total{${base}}[$__rate_interval])) / sum by (instance) (dotnet_process_cpu_count{${base}})`, "{{instance}}"]],
      pos(0, y, 8, 8),
      { unit: "percentunit", min: 0 },
    ),
    timeseries(
      "Memory",
      [
        [`sum by (instance) (dotnet_process_memory_working_set_bytes{${base}})`, "working set {{instance}}"],
        [`sum by (instance) (dotnet_gc_last_collection_heap_size_bytes{${base}})`, "GC heap {{instance}}"],
      ],
      pos(8, y, 8, 8),
      { unit: "bytes" },
    ),
    timeseries(
      "GC collections and pause time",
      [
        [`sum by (gc_heap_generation) (rate(dotnet_gc_collections_total{${base}}[$__rate_interval]))`, "{{gc_heap_generation}} / s"],
        [`sum(rate(dotnet_gc_pause_time_seconds_total{${base}}[$__rate_interval]))`, "pause s / s"],
      ],
      pos(16, y, 8, 8),
    ),
  );
  y += 8;
  panels.push(
    timeseries(
      "Thread pool",
      [
        [`sum by (instance) (dotnet_thread_pool_thread_count_total{${base}})`, "threads {{instance}}"],
        [`sum by (instance) (dotnet_thread_pool_queue_length_total{${base}})`, "queued work items {{instance}}"],
      ],
      pos(0, y, 8, 8),
    ),
    timeseries(
      "Connections and in-flight requests",
      [
        [`sum by (instance) (kestrel_active_connections{${base}})`, "connections {{instance}}"],
        [`sum by (instance) (kestrel_queued_connections{${base}})`, "queued connections {{instance}}"],
        [`sum by (instance) (http_server_active_requests{${base}})`, "in-flight requests {{instance}}"],
      ],
      pos(8, y, 8, 8),
    ),
    timeseries(
      "Lock contention and allocations",
      [
        [`sum(rate(dotnet_monitor_lock_contentions_total{${base}}[$__rate_interval]))`, "lock contentions / s"],
        [`sum(rate(dotnet_gc_heap_total_allocated_bytes_total{${base}}[$__rate_interval]))`, "allocated bytes / s"],
      ],
      pos(16, y, 8, 8),
    ),
  );

  const titles = { gateway: "Gateway", identity: "Identity", embedding: "Embedding", attributes: "Attributes" };
  return dashboard({
    uid: `faceplatform-${service}`,
    title: `FacePlatform / ${titles[service]}`,
    description: `The ${service} service (Prometheus job ${job}).`,
    tags: ["service", service],
    panels,
    variables: [namespaceVariable(), instanceVariable(`job="${job}"`)],
  });
}

// ---------------------------------------------------------------------------------------------------------------

const outputs = new Map();
outputs.set("faceplatform-overview.json", JSON.stringify(overview(), null, 2) + "\n");
for (const s of SERVICES) outputs.set(`faceplatform-${s}.json`, JSON.stringify(serviceDashboard(s), null, 2) + "\n");

const files = [];
for (const [name, content] of outputs) {
  files.push([join(here, name), content]);
  files.push([join(chartFiles, "dashboards", name), content]);
}
const alerts = join(root, "deploy/prometheus/alerts.yaml");
if (existsSync(alerts)) files.push([join(chartFiles, "prometheus/alerts.yaml"), readFileSync(alerts, "utf8")]);

const check = process.argv.includes("--check");
let stale = 0;
for (const [path, content] of files) {
  const current = existsSync(path) ? readFileSync(path, "utf8") : null;
  if (current === content) continue;
  if (check) {
    console.error(`out of date: ${path.slice(root.length + 1)} (run: node deploy/grafana/build.mjs)`);
    stale++;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${path.slice(root.length + 1)}`);
  }
}
process.exit(stale ? 1 : 0);
