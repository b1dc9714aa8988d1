// Factorized linear layers at BERT-base shapes: each format's forward pass,
// fused (blocked over tokens) and unfused, against our dense GEMM on the
// same layer (packed weight), the generic einsum executor on the same path,
// and onnxruntime-node running the same chain (an Einsum node on the same
// factors; for low rank, the MatMul chain) and the dense MatMul — all in one
// run, alternating round by round. layer.tune() then records which
// contraction order and fusing win at each batch, and the tuned layer is timed.
import { createRequire } from 'node:module';
import { alternate, median, table } from '../lib.mjs';
import { loadOrt, ortSession } from '../peers/ort.mjs';

const require = createRequire(import.meta.url);

export const SHAPES = [
  [768, 768], // attention projections: in x out
  [768, 3072], // FFN up
  [3072, 768], // FFN down
];
export const BATCHES = [1, 128, 512];

/** Decomposition options per format for an [nIn -> nOut] layer, d = 2 tensorizations. */
export function configs(tf, nIn, nOut) {
  const inShape = tf.tensorizations(nIn, 2)[0], outShape = tf.tensorizations(nOut, 2)[0];
  const shape = { in: inShape, out: outShape };
  const half = (dims) => dims.map((x) => Math.max(2, Math.round(x / 2)));
  const tuckerRanks = nIn === nOut ? [16, 16, 16, 16] : nOut > nIn ? [...half(outShape), 16, 16] : [16, 16, ...half(inShape)];
  return [
    { name: 'lowrank r=192', options: { format: 'lowrank', ranks: 192 } },
    { name: 'tt r=8', options: { format: 'tt', shape, ranks: 8 } },
    { name: `tucker ${tuckerRanks.join('/')}`, options: { format: 'tucker', shape, ranks: tuckerRanks, iterations: 5 } },
    { name: `cp R=${nIn === nOut ? 128 : 256}`, options: { format: 'cp', shape, ranks: nIn === nOut ? 128 : 256, iterations: 25 } },
  ];
}

function ortModel(tf, buildOnnxModel, layer, batch) {
  const p = layer.plan(batch);
  if (layer.format === 'lowrank') {
    // x V^T U^T as two MatMuls with transposed initializers.
    const [u, v] = layer.factors.map((f) => f.tensor);
    const r = layer.ranks[0];
    const vt = new Float32Array(layer.inFeatures * r), ut = new Float32Array(r * layer.outFeatures);
    for (let i = 0; i < r; i++) for (let j = 0; j < layer.inFeatures; j++) vt[j * r + i] = v.data[i * layer.inFeatures + j];
    for (let o = 0; o < layer.outFeatures; o++) for (let i = 0; i < r; i++) ut[i * layer.outFeatures + o] = u.data[o * r + i];
    return {
      kind: 'MatMul chain',
      bytes: buildOnnxModel({
        inputs: [{ name: 'X', shape: [batch, layer.inFeatures] }],
        outputs: [{ name: 'Y', shape: [batch, layer.outFeatures] }],
        initializers: [
          { name: 'Vt', shape: [layer.inFeatures, r], data: vt },
          { name: 'Ut', shape: [r, layer.outFeatures], data: ut },
        ],
        nodes: [
          { op: 'MatMul', inputs: ['X', 'Vt'], outputs: ['Z'] },
          { op: 'MatMul', inputs: ['Z', 'Ut'], outputs: ['Y'] },
        ],
      }),
      dims: [batch, layer.inFeatures],
    };
  }
  // The same pairwise chain as ours, one Einsum node per step of our path
  // (a single many-operand Einsum would be contracted left to right).
  const names = ['X', ...layer.factors.map((_, i) => `F${i}`)];
  const nodes = p.path.steps.map((st, s) => {
    const inputs = st.operands.map((pos) => names.splice(pos, 1)[0]);
    const out = s === p.path.steps.length - 1 ? 'Y' : `T${s}`;
    names.push(out);
    return { op: 'Einsum', inputs, outputs: [out], attributes: { equation: st.subscripts } };
  });
  return {
    kind: 'Einsum chain',
    bytes: buildOnnxModel({
      inputs: [{ name: 'X', shape: [batch, ...layer.shape.in] }],
      outputs: [{ name: 'Y', shape: [batch, ...layer.shape.out] }],
      initializers: layer.factors.map((f, i) => ({ name: `F${i}`, shape: [...f.tensor.shape], data: f.tensor.data })),
      nodes,
      opset: 17,
    }),
    dims: [batch, ...layer.shape.in],
  };
}

export async function run(tf, { buildOnnxModel }, opts) {
  const { decayingWeight } = require('../../dist/factorize/synthetic.js');
  const threadsList = opts.threads ?? [1, 2];
  const ort = loadOrt();
  if (!ort) console.log('onnxruntime-node not installed: its columns are empty');
  const records = [];
  const orders = [];
  for (const [nIn, nOut] of opts.shapes ?? SHAPES) {
    // The torch convention: W is [out, in] and y = x W^T.
    const w = decayingWeight(nOut, nIn, { seed: 1 });
    const dense = tf.packWeight(w, { transpose: true });
    const wt = transposeOf(w);
    for (const cfg of configs(tf, nIn, nOut)) {
      if (opts.cases && !opts.cases.some((c) => cfg.name.startsWith(c))) continue;
      const t0 = Date.now();
      const layer = tf.decomposeSync(w, { ...cfg.options, transpose: true });
      const seconds = (Date.now() - t0) / 1000;
      console.log(
        `${nIn}x${nOut} ${cfg.name}: decomposed in ${seconds.toFixed(1)} s, weight error ${layer.weightError.toFixed(4)}, compression ${layer.compression.toFixed(1)}x, ${(layer.denseFlopsPerToken / layer.flopsPerToken).toFixed(2)}x fewer FLOPs per token (batch 1)`,
      );
      for (const t of threadsList) {
        tf.setThreads(t);
        for (const batch of opts.batches ?? BATCHES) {
          const x = tf.randn([batch, nIn], 2);
          // Outputs reused across calls on our side, as onnxruntime's arena
          // reuses its own: fresh memory's page faults (up to ~10 us per 4 KiB
          // on a VM) would otherwise be timed with the kernels.
          const out = tf.zeros([batch, nOut]);
          const plan = layer.plan(batch);
          const peers = [
            { name: 'dense', run: () => tf.matmulSync(x, dense, { out }) },
            { name: 'fused', run: () => layer.forwardSync(x, { mode: 'fused', out }) },
            { name: 'unfused', run: () => layer.forwardSync(x, { mode: 'unfused', out }) },
            { name: 'einsum', run: () => layer.forwardSync(x, { mode: 'einsum' }) },
          ];
          let ortKind = '-';
          if (ort) {
            const m = ortModel(tf, buildOnnxModel, layer, batch);
            ortKind = m.kind;
            const s = await ortSession(ort, m.bytes, t);
            const feeds = { X: new ort.Tensor('float32', x.data, m.dims) };
            peers.push({ name: 'ort', run: () => s.run(feeds) });
            const db = buildOnnxModel({
              inputs: [{ name: 'X', shape: [batch, nIn] }],
              outputs: [{ name: 'Y', shape: [batch, nOut] }],
              initializers: [{ name: 'W', shape: [nIn, nOut], data: wt }],
              nodes: [{ op: 'MatMul', inputs: ['X', 'W'], outputs: ['Y'] }],
            });
            const ds = await ortSession(ort, db, t);
            peers.push({ name: 'ort dense', run: () => ds.run({ X: new ort.Tensor('float32', x.data, [batch, nIn]) }) });
          }
          const denseFlops = 2 * batch * nIn * nOut;
          const reps = Math.max(3, Math.min(200, Math.round(0.04 / (denseFlops / (120e9 * t)))));
          const samples = await alternate(peers, { rounds: opts.quick ? 2 : 4, reps, warmup: 2 });
          const ms = Object.fromEntries(Object.entries(samples).map(([nm, s]) => [nm, median(s) * 1e3]));
          const flops = plan.flopsPerToken * batch;
          const gf = (name) => (ms[name] ? flops / (ms[name] * 1e6) : undefined);
          const rec = {
            nIn,
            nOut,
            config: cfg.name,
            format: layer.format,
            batch,
            threads: t,
            ms,
            flops,
            denseFlops,
            flopReduction: denseFlops / flops,
            gflops: { dense: denseFlops / (ms.dense * 1e6), fused: gf('fused'), unfused: gf('unfused'), einsum: gf('einsum'), ort: gf('ort') },
            steps: plan.steps.map((s) => s.kind),
            path: plan.path.path,
            block: plan.block,
            ortKind,
            weightError: layer.weightError,
            compression: layer.compression,
          };
          records.push(rec);
          process.stdout.write(
            `  ${nIn}x${nOut} ${cfg.name} B=${batch} t=${t}: ${Object.entries(ms).map(([nm, v]) => `${nm} ${v.toFixed(3)}`).join(', ')} ms | ${rec.flopReduction.toFixed(2)}x fewer FLOPs, steps ${rec.steps.join(',')}\n`,
          );
          if (!opts.quick) {
            // Measured planning: every distinct candidate order, fused and
            // unfused, timed on this batch; forward() in 'auto' then runs the winner.
            const tr = layer.tune(batch, { reps: 3, minSeconds: 0.03 });
            orders.push({ nIn, nOut, config: cfg.name, batch, threads: t, winner: `${tr.winner.name} (${tr.winner.mode})`, timings: tr.timings });
            const tuned = await alternate(
              [
                { name: 'dense', run: () => tf.matmulSync(x, dense, { out }) },
                { name: 'tuned', run: () => layer.forwardSync(x, { out }) },
              ],
              { rounds: 3, reps, warmup: 1 },
            );
            rec.ms.tunedDense = median(tuned.dense) * 1e3;
            rec.ms.tuned = median(tuned.tuned) * 1e3;
            rec.tunedFlops = tr.winner.flopsPerToken * batch;
            rec.gflops.tuned = rec.tunedFlops / (rec.ms.tuned * 1e6);
            rec.tunedSpeedup = rec.ms.tunedDense / rec.ms.tuned;
          }
        }
      }
    }
  }
  const f = (v, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  console.log(
    `\n${table(
      ['layer', 'format', 'B', 'thr', 'FLOP red.', 'dense GF/s', 'fused GF/s', 'unfused GF/s', 'tuned GF/s', 'einsum GF/s', 'ort GF/s', 'best/dense', 'speedup', 'target', 'fused/unfused'],
      records.map((r) => {
        const best = Math.min(r.ms.fused, r.ms.unfused);
        const speedup = Math.max(r.ms.dense / best, r.tunedSpeedup ?? 0);
        const tunedRatio = r.gflops.tuned ? r.gflops.tuned / (r.denseFlops / (r.ms.tunedDense * 1e6)) : 0;
        const ratio = Math.max(r.gflops.fused / r.gflops.dense, r.gflops.unfused / r.gflops.dense, tunedRatio);
        return [
          `${r.nIn}x${r.nOut}`,
          r.config,
          r.batch,
          r.threads,
          f(r.flopReduction, 2),
          f(r.gflops.dense),
          f(r.gflops.fused),
          f(r.gflops.unfused),
          f(r.gflops.tuned),
          f(r.gflops.einsum),
          f(r.gflops.ort),
          f(ratio, 2),
          f(speedup, 2),
          speedup >= 0.7 * r.flopReduction ? 'met' : 'not met',
          f(r.ms.unfused / r.ms.fused, 2),
        ];
      }),
    )}\n(GFLOP/s count the FLOPs of the path each batch runs (weight-only contractions excluded); dense is matmulSync(x, packWeight(W)).\n tuned: forward() after layer.tune(B) (the fastest order and fusing measured), timed against dense in its own alternating rounds.
 best/dense and speedup: the best of fused, unfused and tuned against dense; target: speedup >= 0.7 x FLOP reduction.\n ort: onnxruntime-node on the same factors and path (one Einsum node per step; low rank: MatMul chain).)`,
  );
  if (orders.length) {
    console.log(
      `\n${table(
        ['layer', 'format', 'B', 'thr', 'winner', 'timings in ms (FLOPs per token)'],
        orders.map((o) => [
          `${o.nIn}x${o.nOut}`,
          o.config,
          o.batch,
          o.threads,
          o.winner,
          o.timings.map((t) => `${t.name}/${t.mode} ${(t.seconds * 1e3).toFixed(3)} (${(t.flopsPerToken / 1e3).toFixed(0)}k)`).join(', '),
        ]),
      )}\n(layer.tune(B): every distinct candidate path — planner, greedy, input side first, dense weight first — fused and unfused)`,
    );
  }
  return { suite: 'factorized', info: tf.info(), records, orders };
}

function transposeOf(w) {
  const [rows, cols] = w.shape;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w.data[i * cols + j];
  return out;
}
