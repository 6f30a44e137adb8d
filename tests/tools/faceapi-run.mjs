// Runs face-api's own FaceExpressionNet (its code, TensorFlow.js's pure-JS CPU backend): the reference the rebuilt
// ONNX model is held to.
// usage: node faceapi-run.mjs <folder of face_expression_model-weights_manifest.json> <input.f32> <n,112,112,3> <out-folder>
// The input is RGB in 0..255. Writes <out-folder>/0.f32 (probabilities, [n,7]) and 1.f32 (the pooled features,
// [n,1,1,256]), raw little-endian float32, with <i>.json holding each shape.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

// face-api's Node build that loads the pure-JS tfjs (its ESM build imports tfjs sources Node cannot resolve).
const faceapi = createRequire(import.meta.url)('@vladmandic/face-api/dist/face-api.node-wasm.js');
const [modelDir, inputPath, shapeText, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node faceapi-run.mjs <model-folder> <input.f32> <n,112,112,3> <out-folder>');
  process.exit(2);
}
await tf.setBackend('cpu');
const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'face_expression_model-weights_manifest.json'), 'utf8'));
const data = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(modelDir, p)))));
const weights = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), manifest.flatMap((g) => g.weights));
const net = new faceapi.FaceExpressionNet();
net.loadFromWeightMap(weights);
const raw = fs.readFileSync(inputPath);
const input = tf.tensor4d(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), shapeText.split(',').map(Number));
// A batch goes in as a list of images (face-api refuses a 4-D tensor with more than one image).
const netInput = await faceapi.toNetInput(tf.unstack(input));
const outputs = [net.forwardInput(netInput), net.faceFeatureExtractor.forwardInput(netInput)];
fs.mkdirSync(outDir, { recursive: true });
for (const [i, t] of outputs.entries()) {
  const d = await t.data();
  fs.writeFileSync(path.join(outDir, `${i}.f32`), Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  fs.writeFileSync(path.join(outDir, `${i}.json`), JSON.stringify(t.shape));
}
