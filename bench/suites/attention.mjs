// Hash attention against exact softmax attention, ours and onnxruntime-node's
// MatMul-Softmax-MatMul graph, in one run: batch 1, 12 heads, head dim 64.
// Parts (--case): perf (times per sequence length and code width), scores
// (Hamming scores by popcount against the fp32 Q K^T they replace, and the
// machine's add and FMA ceilings), accuracy (planted-structure inputs:
// recall and output error of simhash and fitted kernel hashes).
import { createRequire } from 'node:module';
import { alternate, median, table } from '../lib.mjs';
import { loadOrt, ortSession } from '../peers/ort.mjs';

const require = createRequire(import.meta.url);
const HEADS = 12;
const DIM = 64;
export const SEQS = [512, 1024, 4096, 16384];
export const BITS = [16, 32, 64];
// Above this many score elements per graph, onnxruntime runs one head at a
// time (the full graph's score tensors would need 2 x 12.9 GB at 16384).
const ORT_FULL_LIMIT = 12 * 4096 * 4096;

function ortGraph(buildOnnxModel, heads, seq) {
  const shape = [1, heads, seq, DIM];
  return buildOnnxModel({
    inputs: ['Q', 'K', 'V'].map((name) => ({ name, shape })),
    outputs: [{ name: 'O', shape }],
    initializers: [{ name: 'scale', shape: [], data: Float32Array.of(1 / Math.sqrt(DIM)) }],
    nodes: [
      { op: 'Transpose', inputs: ['K'], outputs: ['Kt'], attributes: { perm: [0, 1, 3, 2] } },
      { op: 'MatMul', inputs: ['Q', 'Kt'], outputs: ['S'] },
      { op: 'Mul', inputs: ['S', 'scale'], outputs: ['Ss'] },
      { op: 'Softmax', inputs: ['Ss'], outputs: ['P'], attributes: { axis: -1 } },
      { op: 'MatMul', inputs: ['P', 'V'], outputs: ['O'] },
    ],
  });
}

async function ortPeer(ort, buildOnnxModel, q, k, v, seq, threads) {
  const full = HEADS * seq * seq <= ORT_FULL_LIMIT;
  const heads = full ? HEADS : 1;
  const session = await ortSession(ort, ortGraph(buildOnnxModel, heads, seq), threads);
  const per = heads * seq * DIM;
  const feeds = Array.from({ length: HEADS / heads }, (_, h) =>
    Object.fromEntries([['Q', q], ['K', k], ['V', v]].map(([n, t]) => [n, new ort.Tensor('float32', t.data.subarray(h * per, (h + 1) * per), [1, heads, seq, DIM])])),
  );
  return {
    name: 'ort',
    perHead: !full,
    check: async () => (await session.run(feeds[0])).O.data,
    run: async () => {
      for (const f of feeds) await session.run(f);
    },
  };
}

function fit(xs, ys) {
  const n = xs.length, mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}

async function perf(tf, onnx, opts, out) {
  const ort = loadOrt();
  if (!ort) console.log('onnxruntime-node not installed: its column is empty');
  const seqs = opts.seqs ?? SEQS, bitsList = opts.bits ?? BITS;
  for (const t of opts.threads ?? [1, 2]) {
    tf.setThreads(t);
    for (const seq of seqs) {
      const q = tf.randn([1, HEADS, seq, DIM], 1), k = tf.randn([1, HEADS, seq, DIM], 2), v = tf.randn([1, HEADS, seq, DIM], 3);
      const buf = new Float32Array(q.size);
      const hashes = Object.fromEntries(bitsList.map((b) => [b, tf.simhash({ dim: DIM, bits: b, heads: HEADS, seed: b })]));
      // Fast peers (linear) get many repetitions per block, slow ones few.
      const fast = [];
      for (const b of bitsList) {
        fast.push({ name: `linear-${b}`, run: () => tf.hashAttentionSync(q, k, v, { hash: hashes[b], out: buf }) });
        fast.push({ name: `linear-${b}-new-output`, run: () => tf.hashAttentionSync(q, k, v, { hash: hashes[b] }) });
      }
      const slow = [{ name: 'softmax', run: () => tf.softmaxAttentionSync(q, k, v, { out: buf }) }];
      if (seq <= 4096)
        for (const b of bitsList) slow.push({ name: `hamming-${b}`, run: () => tf.hashAttentionSync(q, k, v, { hash: hashes[b], mode: 'hamming-softmax', out: buf }) });
      let ortInfo = '';
      if (ort) {
        const p = await ortPeer(ort, onnx.buildOnnxModel, q, k, v, seq, t);
        // The graph computes what softmaxAttention does: check before timing.
        const ref = tf.softmaxAttentionSync(q, k, v).output.data;
        const got = await p.check();
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
        if (worst > 1e-3) throw new Error(`onnxruntime's output differs from softmaxAttention by ${worst}`);
        ortInfo = p.perHead ? ' (ort one head per run)' : '';
        slow.push(p);
      }
      const secs = seq * seq * HEADS * 4 * DIM / (t * 100e9); // rough time of one softmax call
      const slowReps = Math.max(1, Math.min(5, Math.round(0.5 / secs)));
      const fastReps = Math.max(3, Math.min(40, Math.round(0.2 / (secs / 40))));
      const sf = await alternate(fast, { rounds: opts.quick ? 2 : 4, reps: fastReps, warmup: 2 });
      const ss = await alternate(slow, { rounds: opts.quick ? 1 : seq >= 16384 ? 2 : 3, reps: slowReps, warmup: 1 });
      const ms = Object.fromEntries(Object.entries({ ...sf, ...ss }).map(([nm, s]) => [nm, median(s) * 1e3]));
      // The linear kernel alone, from codes, on the native timer.
      const kernel = {};
      for (const b of bitsList) {
        const m = await tf.measureKernel({ kernel: 'hash-linear', n: seq, bits: b, dim: DIM, heads: HEADS, threads: t }, { warmup: 2, minReps: 7, minSeconds: 0.2 });
        kernel[b] = { ms: m.medianMs, gaddsPerS: m.gflops };
      }
      out.records.push({ seq, threads: t, ms, kernel, ortPerHead: ortInfo !== '' });
      console.log(`  seq ${seq} t=${t}${ortInfo}: ${Object.entries(ms).map(([nm, x]) => `${nm} ${x.toFixed(2)}`).join(', ')} ms; kernel ${bitsList.map((b) => `${b}b ${kernel[b].ms.toFixed(2)} ms`).join(', ')}`);
    }
  }
  const f2 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  const bits = opts.bits ?? BITS;
  console.log(
    `\n${table(
      ['seq', 'thr', 'softmax ms', 'ort ms', ...bits.map((b) => `linear ${b}b ms`), ...bits.map((b) => `x vs softmax ${b}b`), 'x vs ort 32b', 'linear 32b new-out ms', ...bits.map((b) => `hamming ${b}b ms`)],
      out.records.map((r) => [
        r.seq,
        r.threads,
        f2(r.ms.softmax),
        f2(r.ms.ort) + (r.ortPerHead ? '*' : ''),
        ...bits.map((b) => f2(r.ms[`linear-${b}`])),
        ...bits.map((b) => f2(r.ms.softmax / r.ms[`linear-${b}`])),
        f2(r.ms.ort / r.ms['linear-32']),
        f2(r.ms['linear-32-new-output']),
        ...bits.map((b) => f2(r.ms[`hamming-${b}`])),
      ]),
    )}\n(medians of alternating rounds, ms per call of the public API on [1, 12, seq, 64] q, k, v. linear: hashAttentionSync\n with a simhash of b bits, hashing q and k included, writing into a reused output (options.out; onnxruntime reuses\n its arena too); new-out: the same allocating its output each call. x: softmax time / linear time.\n * onnxruntime one head per run: the 12-head graph would need two 12.9 GB score tensors.)`,
  );
  // Linear in seq: least squares of time on seq per code width and thread count.
  const slopes = [];
  for (const t of opts.threads ?? [1, 2])
    for (const b of bits) {
      const rs = out.records.filter((r) => r.threads === t && r.ms[`linear-${b}`] !== undefined);
      if (rs.length < 2) continue;
      const f = fit(rs.map((r) => r.seq), rs.map((r) => r.ms[`linear-${b}`]));
      const fk = fit(rs.map((r) => r.seq), rs.map((r) => r.kernel[b].ms));
      const last = rs[rs.length - 1], first = rs[0];
      slopes.push({ threads: t, bits: b, msPer1k: f.slope * 1000, interceptMs: f.intercept, r2: f.r2, kernelMsPer1k: fk.slope * 1000, kernelR2: fk.r2, growth: last.ms[`linear-${b}`] / first.ms[`linear-${b}`], seqGrowth: last.seq / first.seq });
    }
  out.slopes = slopes;
  console.log(
    `\n${table(
      ['thr', 'bits', 'ms per 1k tokens', 'intercept ms', 'R^2', 'kernel ms per 1k', 'kernel R^2', 'time growth', 'seq growth'],
      slopes.map((s) => [s.threads, s.bits, s.msPer1k.toFixed(3), s.interceptMs.toFixed(2), s.r2.toFixed(4), s.kernelMsPer1k.toFixed(3), s.kernelR2.toFixed(4), s.growth.toFixed(1), s.seqGrowth.toFixed(0)]),
    )}\n(least-squares fit of linear-mode time on seq; kernel: linear attention from codes alone, native timer)`,
  );
}

async function scores(tf, opts, out) {
  const n = 4096;
  for (const t of opts.threads ?? [1, 2]) {
    tf.setThreads(Math.max(t, tf.getThreads()));
    const fma = await tf.measureKernel({ kernel: 'fma-peak', threads: t, iters: 1 << 23 }, { warmup: 2, minReps: 9, minSeconds: 0.3 });
    const add = await tf.measureKernel({ kernel: 'add-peak', threads: t, iters: 1 << 22 }, { warmup: 2, minReps: 9, minSeconds: 0.3 });
    tf.setThreads(t);
    const opt = { warmup: 2, minReps: 9, minSeconds: 0.3 };
    // The fp32 baseline at its best block height.
    let qk;
    for (const rows of [32, 64, 128, 256]) {
      const m = await tf.measureKernel({ kernel: 'qk-scores', n, dim: DIM, rows, threads: t }, opt);
      if (!qk || m.medianMs < qk.medianMs) qk = { ...m, rows };
    }
    const ham = {};
    for (const b of opts.bits ?? BITS) {
      ham[b] = await tf.measureKernel({ kernel: 'hamming-scores', n, bits: b, rows: 32, threads: t }, opt);
      ham[`${b}-portable`] = await tf.measureKernel({ kernel: 'hamming-scores', n, bits: b, rows: 32, threads: t, portablePopcount: true }, opt);
    }
    out.scores.push({ threads: t, n, fmaPeakGflops: fma.gflops, addPeakGaddsPerS: add.gflops, qk: { ms: qk.medianMs, gflops: qk.gflops, rows: qk.rows }, hamming: Object.fromEntries(Object.entries(ham).map(([b, m]) => [b, { ms: m.medianMs, gops: m.gflops }])) });
  }
  const pairs = n * n;
  console.log(
    `\n${table(
      ['thr', 'scores', 'ms', 'GOP/s', 'G pairs/s', 'x pairs/s vs fp32 QK^T'],
      out.scores.flatMap((s) => [
        [s.threads, `fp32 QK^T, dim ${DIM} (${s.qk.rows}-row blocks)`, s.qk.ms.toFixed(2), `${s.qk.gflops.toFixed(0)} GFLOP/s`, (pairs / s.qk.ms / 1e6).toFixed(2), '1.0'],
        ...Object.entries(s.hamming).map(([b, h]) => [s.threads, `Hamming ${b.replace('-portable', ' bits, no VPOPCNTDQ')}${b.includes('portable') ? '' : ' bits'}`, h.ms.toFixed(2), `${h.gops.toFixed(0)} Gbitop/s`, (pairs / h.ms / 1e6).toFixed(2), (s.qk.ms / h.ms).toFixed(1)]),
      ]),
    )}\n(all ${n} x ${n} scores of one head, blocks of queries into a reused tile. Bit ops: 2 per code bit and pair\n (XOR, popcount-add); flops: 2 per dim and pair. Ceilings: ${out.scores.map((s) => `${s.threads} thr: FMA ${s.fmaPeakGflops.toFixed(0)} GFLOP/s, masked add ${s.addPeakGaddsPerS.toFixed(0)} G adds/s`).join('; ')})`,
  );
}

async function accuracy(tf, opts, out) {
  const { structuredAttentionInputs } = require('../../dist/attention/synthetic.js');
  const seq = 2048, heads = 4;
  const inp = structuredAttentionInputs({ seq, dim: DIM, heads, seed: 11 });
  const { q, k, v } = inp;
  const exact = tf.softmaxAttentionSync(q, k, v).output;
  const err = (o) => {
    let num = 0, den = 0, cos = 0;
    for (let r = 0; r < heads * seq; r++) {
      let dot = 0, oo = 0, ee = 0;
      for (let d = 0; d < DIM; d++) {
        const x = o.data[r * DIM + d], y = exact.data[r * DIM + d];
        num += (x - y) ** 2;
        den += y * y;
        dot += x * y;
        oo += x * x;
        ee += y * y;
      }
      cos += dot / Math.sqrt(oo * ee);
    }
    return { cosine: cos / (heads * seq), relativeError: Math.sqrt(num / den) };
  };
  // A reference point: attention that ignores q and k (the mean of v).
  const mean = new Float32Array(exact.size);
  for (let h = 0; h < heads; h++)
    for (let d = 0; d < DIM; d++) {
      let s = 0;
      for (let j = 0; j < seq; j++) s += v.data[(h * seq + j) * DIM + d];
      for (let i = 0; i < seq; i++) mean[(h * seq + i) * DIM + d] = s / seq;
    }
  out.accuracy.push({ hash: 'mean of v', bits: 0, linear: err({ data: mean }) });
  for (const bits of opts.bits ?? BITS) {
    const t0 = Date.now();
    const fitted = tf.fitHash(q, k, { bits, seed: 1 });
    const fitMs = Date.now() - t0;
    const plain = tf.simhash({ dim: DIM, bits, heads, seed: 1 });
    const sim = tf.simhash({ dim: DIM, bits, heads, seed: 1, scale: fitted.simhash.scale });
    for (const [name, hash, quality] of [['simhash', sim, fitted.simhash], ['kernel (fitHash)', fitted.hash, fitted.quality]]) {
      const run = (o) => err(tf.hashAttentionSync(q, k, v, { hash, ...o }).output);
      out.accuracy.push({
        hash: name,
        bits,
        recall: quality.recall,
        rankCorrelation: quality.rankCorrelation,
        scale: quality.scale,
        linear: run({}),
        ecoformer: run({ variant: 'ecoformer' }),
        hamming: run({ mode: 'hamming-softmax' }),
        hammingTop32: run({ mode: 'hamming-softmax', topk: 32 }),
        ...(name === 'simhash' ? { hammingDefaultScale: err(tf.hashAttentionSync(q, k, v, { hash: plain, mode: 'hamming-softmax' }).output) } : { fitMs }),
      });
    }
  }
  const c = (e) => (e ? `${e.cosine.toFixed(3)} / ${e.relativeError.toFixed(3)}` : '-');
  console.log(
    `\n${table(
      ['hash', 'bits', 'recall@16', 'rank corr', 'linear cos / rel err', 'ecoformer form', 'hamming-softmax', 'hamming top-32'],
      out.accuracy.map((a) => [a.hash, a.bits || '-', a.recall?.toFixed(3) ?? '-', a.rankCorrelation?.toFixed(3) ?? '-', c(a.linear), c(a.ecoformer), c(a.hamming), c(a.hammingTop32)]),
    )}\n(planted-structure q, k, v: [1, ${heads}, ${seq}, ${DIM}], lib/attention/synthetic.ts; against exact softmax attention.\n recall@16 and rank corr: of code similarity against q.k / sqrt(d), 256 queries x all keys per head.\n hamming-softmax uses the logit scale fitted by regression for both hashes.)`,
  );
}

export async function run(tf, onnx, opts) {
  const parts = opts.cases ?? ['scores', 'perf', 'accuracy'];
  const known = ['scores', 'perf', 'accuracy'];
  const unknown = parts.filter((p) => !known.includes(p));
  if (unknown.length) throw new Error(`attention: unknown --case ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const out = { suite: 'attention', info: tf.info(), parts, records: [], scores: [], accuracy: [] };
  console.log(`host: ${out.info.cpu.brand}, tier ${out.info.tier}, popcount ${out.info.kernels.hashPopcount}`);
  if (parts.includes('scores')) await scores(tf, opts, out);
  if (parts.includes('perf')) await perf(tf, onnx, opts, out);
  if (parts.includes('accuracy')) await accuracy(tf, opts, out);
  return out;
}
