// onnxruntime-node as a peer: one-node models with the weight as an
// initializer, intra-op threads matched to ours.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch {
    return undefined;
  }
}

export async function ortSession(ort, modelBytes, threads) {
  return ort.InferenceSession.create(modelBytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}
