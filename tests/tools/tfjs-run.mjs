// Runs a TensorFlow.js graph model with the pure-JS CPU backend: the reference the converted ONNX models are held to.
// usage: node tfjs-run.mjs <model.json> <input.f32> <d0,d1,...> <out-folder> <node> [<node> ...]
// Writes <out-folder>/<i>.f32 (raw little-endian float32) and <i>.json (the shape) for the i-th requested node.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [jsonPath, inputPath, shapeText, outDir, ...nodes] = process.argv.slice(2);
if (!nodes.length) {
  console.error('usage: node tfjs-run.mjs <model.json> <input.f32> <d0,d1,...> <out-folder> <node> [<node> ...]');
  process.exit(2);
}
await tf.setBackend('cpu');
const model = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
const folder = path.dirname(jsonPath);
// Node's fetch cannot read files: hand the artifacts over from memory.
const shards = model.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(folder, p))));
const all = Buffer.concat(shards);
const graph = await tf.loadGraphModel(tf.io.fromMemory({
  modelTopology: model.modelTopology,
  weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
  weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  format: model.format,
}));
const raw = fs.readFileSync(inputPath);
const input = tf.tensor(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), shapeText.split(',').map(Number));
let outputs = graph.execute(input, nodes);
if (!Array.isArray(outputs)) outputs = [outputs];
fs.mkdirSync(outDir, { recursive: true });
for (const [i, t] of outputs.entries()) {
  const data = await t.data();
  fs.writeFileSync(path.join(outDir, `${i}.f32`), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  fs.writeFileSync(path.join(outDir, `${i}.json`), JSON.stringify(t.shape));
}
