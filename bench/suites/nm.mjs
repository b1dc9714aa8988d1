// N:M sparse matmul against our dense GEMM (packed weight, the fastest dense
// form) and onnxruntime-node's MatMul on the same pruned weight, per pattern.
import { alternate, median, table } from '../lib.mjs';
import { loadOrt, ortSession } from '../peers/ort.mjs';

export const SHAPES = [
  [768, 768], // attention projections: rows (out) x k (in)
  [3072, 768], // FFN up
  [768, 3072], // FFN down
];
export const BATCHES = [1, 32, 128, 512];
export const PATTERNS = [[2, 4], [1, 4], [2, 8], [4, 8], [1, 8], [1, 2]];

export async function run(tf, { buildOnnxModel }, opts) {
  const threadsList = opts.threads ?? [1, 2];
  const ort = loadOrt();
  const records = [];
  for (const t of threadsList) {
    tf.setThreads(t);
    for (const [rows, k] of opts.shapes ?? SHAPES) {
      const w = tf.randn([rows, k], 1);
      const dense = tf.packWeight(w, { transpose: true });
      const sparse = PATTERNS.map(([n, m]) => ({ n, m, s: tf.nmCompress(tf.nmPrune(w, { n, m }), { n, m }) }));
      for (const tokens of opts.batches ?? BATCHES) {
        const x = tf.randn([tokens, k], 2);
        // One output reused by all of ours, as onnxruntime's arena reuses its
        // own: fresh memory's page faults would be timed with the kernels.
        const out = tf.zeros([tokens, rows]);
        const peers = [{ name: 'dense', run: () => tf.matmulSync(x, dense, { out }) }];
        for (const { n, m, s } of sparse) peers.push({ name: `${n}:${m}`, run: () => tf.nmMatmulSync(x, s, { out }) });
        if (ort) {
          // The 2:4-pruned weight as a dense initializer: what onnxruntime would run.
          const pruned = sparse[0].s.toDense();
          const wT = new Float32Array(k * rows);
          for (let o = 0; o < rows; o++) for (let j = 0; j < k; j++) wT[j * rows + o] = pruned.data[o * k + j];
          const bytes = buildOnnxModel({
            inputs: [{ name: 'X', shape: [tokens, k] }],
            outputs: [{ name: 'Y', shape: [tokens, rows] }],
            initializers: [{ name: 'W', shape: [k, rows], data: wT }],
            nodes: [{ op: 'MatMul', inputs: ['X', 'W'], outputs: ['Y'] }],
          });
          const session = await ortSession(ort, bytes, t);
          const feeds = { X: new ort.Tensor('float32', x.data, [tokens, k]) };
          peers.push({ name: 'ort', run: () => session.run(feeds) });
        }
        const flops = 2 * tokens * rows * k;
        const reps = Math.max(3, Math.min(100, Math.round(0.03 / (flops / (100e9 * t)))));
        const samples = await alternate(peers, { rounds: opts.quick ? 2 : 4, reps, warmup: 2 });
        const ms = Object.fromEntries(Object.entries(samples).map(([nm, s]) => [nm, median(s) * 1e3]));
        records.push({ rows, k, tokens, threads: t, ms });
        process.stdout.write(`  ${rows}x${k} tokens=${tokens} t=${t}: ${Object.entries(ms).map(([nm, v]) => `${nm} ${v.toFixed(3)}`).join(', ')} ms\n`);
      }
    }
  }
  const names = PATTERNS.map(([n, m]) => `${n}:${m}`);
  console.log(
    `\n${table(
      ['rows x k', 'tokens', 'thr', 'dense ms', 'ort ms', ...names.map((n) => `${n} x`)],
      records.map((r) => [
        `${r.rows}x${r.k}`,
        r.tokens,
        r.threads,
        r.ms.dense.toFixed(3),
        r.ms.ort ? r.ms.ort.toFixed(3) : '-',
        ...names.map((n) => (r.ms.dense / r.ms[n]).toFixed(2)),
      ]),
    )}\n(speedup over our dense GEMM with a packed weight; medians of alternating rounds; ort runs the 2:4-pruned weight densely)`,
  );
  return { suite: 'nm', info: tf.info(), records };
}
