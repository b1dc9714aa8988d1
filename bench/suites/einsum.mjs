// einsum execution: einsumSync and einsum (async) against NumPy's einsum on
// its best path, onnxruntime-node's Einsum op and, where the expression is
// one (batched) GEMM, our own matmulSync written by hand. All in one run,
// alternating block by block.
import { alternate, median, repsFor, table } from '../lib.mjs';
import { NumpyPeer, numpyAvailable, numpyBlasInfo } from '../peers/numpy.mjs';
import { loadOrt, ortSession } from '../peers/ort.mjs';

// Tensor-train (TT-matrix) linear layer, 768 = 8x8x12 in, 3072 = 8x16x24 out:
// x [B, 768] viewed as [B, 8(i), 8(j), 12(k)]; cores G1 [1, 8(i), 8(a), r(p)],
// G2 [r(p), 8(j), 16(c), r(q)], G3 [r(q), 12(k), 24(d), 1] with the boundary
// rank-1 dims squeezed; y [B, 8(a), 16(c), 24(d)] viewed as [B, 3072].
// Ranks r1 = r2 = r.
const TT = 'bijk,iap,pjcq,qkd->bacd';
const tt = (r, b) => ({
  name: `tt r=${r} B=${b}`,
  sub: TT,
  shapes: [[b, 8, 8, 12], [8, 8, r], [r, 8, 16, r], [r, 12, 24]],
  weights: [1, 2, 3],
});

export const CASES = [
  tt(8, 128),
  tt(16, 128),
  tt(32, 128),
  tt(8, 512),
  tt(16, 512),
  tt(32, 512),
  // Low-rank factorized linear layer: x [B, 768] · U [768, 64] · V [64, 3072].
  { name: 'low-rank B=128', sub: 'bi,ir,ro->bo', shapes: [[128, 768], [768, 64], [64, 3072]], weights: [1, 2] },
  { name: 'low-rank B=512', sub: 'bi,ir,ro->bo', shapes: [[512, 768], [768, 64], [64, 3072]], weights: [1, 2] },
  // Attention scores, 12 heads, 512 x 512, d = 64: one batched GEMM, q · kᵀ.
  {
    name: 'attn scores',
    sub: 'bhid,bhjd->bhij',
    shapes: [[1, 12, 512, 64], [1, 12, 512, 64]],
    gemm: (tf, [q, k]) => {
      const q3 = tf.tensor(q.data, [12, 512, 64]), k3 = tf.tensor(k.data, [12, 512, 64]);
      return () => tf.matmulSync(q3, k3, { transB: true });
    },
  },
  // A linear layer over [batch, seq, features]: one GEMM, 128 x 768 x 3072.
  {
    name: 'linear',
    sub: 'bsi,io->bso',
    shapes: [[2, 64, 768], [768, 3072]],
    weights: [1],
    gemm: (tf, [x, w]) => {
      const x2 = tf.tensor(x.data, [128, 768]);
      return () => tf.matmulSync(x2, w);
    },
  },
  // Batched bilinear form (torch.nn.Bilinear): y[b, o] = x1[b]ᵀ W[o] x2[b].
  { name: 'bilinear', sub: 'bi,oij,bj->bo', shapes: [[256, 128], [64, 128, 128], [256, 128]], weights: [1] },
];

const NAMES = 'ABCDEFGH';

async function ortPeer(ort, buildOnnxModel, c, ops, outShape, threads) {
  const weights = new Set(c.weights ?? []);
  const bytes = buildOnnxModel({
    inputs: ops.flatMap((t, k) => (weights.has(k) ? [] : [{ name: NAMES[k], shape: t.shape }])),
    outputs: [{ name: 'Y', shape: outShape }],
    initializers: ops.flatMap((t, k) => (weights.has(k) ? [{ name: NAMES[k], shape: t.shape, data: t.data }] : [])),
    nodes: [{ op: 'Einsum', inputs: ops.map((_, k) => NAMES[k]), outputs: ['Y'], attributes: { equation: c.sub } }],
    opset: 17,
  });
  const session = await ortSession(ort, bytes, threads);
  const feeds = Object.fromEntries(ops.flatMap((t, k) => (weights.has(k) ? [] : [[NAMES[k], new ort.Tensor('float32', t.data, t.shape)]])));
  return { session, feeds };
}

function relError(got, want) {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

export async function run(tf, { buildOnnxModel }, opts) {
  const threadsList = opts.threads ?? [1, 2];
  const cases = opts.cases ? CASES.filter((c) => opts.cases.some((n) => c.name.includes(n))) : CASES;
  const ort = loadOrt();
  const hasNumpy = numpyAvailable();
  if (!ort) console.log('onnxruntime-node not installed: its column is empty');
  if (!hasNumpy) console.log('Debian python3-numpy not installed (apt-get install python3-numpy): its column is empty');
  else console.log(`NumPy ${numpyBlasInfo()} with OPENBLAS_CORETYPE=Cooperlake, np.einsum(optimize=path of einsum_path(('optimal', 1e10)))`);

  const records = [];
  for (const t of threadsList) {
    tf.setThreads(t);
    const np = hasNumpy ? new NumpyPeer(t) : undefined;
    for (const c of cases) {
      const ops = c.shapes.map((s, k) => tf.randn(s, k + 1));
      const info = tf.contractPath(c.sub, ...c.shapes);
      const flops = info.optCost;
      const ours = tf.einsumSync(c.sub, ...ops);
      const out = tf.zeros([...ours.shape]);
      const peers = [
        { name: 'ours', run: () => tf.einsumSync(c.sub, ...ops) },
        { name: 'out', run: () => tf.einsumSync(c.sub, ...ops, { out }) },
        { name: 'async', run: () => tf.einsum(c.sub, ...ops) },
      ];
      let ortErr;
      if (ort) {
        const { session, feeds } = await ortPeer(ort, buildOnnxModel, c, ops, ours.shape, t);
        ortErr = relError(ours.data, (await session.run(feeds)).Y.data);
        peers.push({ name: 'ort', run: () => session.run(feeds) });
      }
      if (np) peers.push({ name: 'numpy', samples: (reps, warmup) => np.einsum(c.sub, c.shapes, reps, warmup) });
      if (c.gemm) peers.push({ name: 'gemm', run: c.gemm(tf, ops) });
      const reps = repsFor(flops, 60 * t);
      const samples = await alternate(peers, { rounds: opts.quick ? 2 : 5, reps, warmup: 2 });
      const ms = Object.fromEntries(Object.entries(samples).map(([nm, s]) => [nm, median(s) * 1e3]));
      records.push({ name: c.name, subscripts: c.sub, shapes: c.shapes, threads: t, path: info.path, flops, ms, ortRelError: ortErr });
      process.stdout.write(`  ${c.name} t=${t}: ${Object.entries(ms).map(([nm, v]) => `${nm} ${v.toFixed(3)}`).join(', ')} ms${ortErr === undefined ? '' : ` (ort rel. error ${ortErr.toExponential(1)})`}\n`);
    }
    np?.close();
  }

  const f = (v) => (v === undefined ? '-' : v.toFixed(3));
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '-');
  console.log(
    `\n${table(
      ['expression', 'shapes', 'thr', 'ours ms', 'out ms', 'async ms', 'numpy ms', 'ort ms', 'gemm ms', 'GFLOP/s', 'numpy/ours', 'numpy/out', 'ort/ours', 'ours/gemm'],
      records.map((r) => [
        r.name,
        r.subscripts,
        r.threads,
        f(r.ms.ours),
        f(r.ms.out),
        f(r.ms.async),
        f(r.ms.numpy),
        f(r.ms.ort),
        f(r.ms.gemm),
        (r.flops / r.ms.ours / 1e6).toFixed(1),
        ratio(r.ms.numpy, r.ms.ours),
        ratio(r.ms.numpy, r.ms.out),
        ratio(r.ms.ort, r.ms.ours),
        ratio(r.ms.ours, r.ms.gemm),
      ]),
    )}\n(medians of alternating rounds. ours: einsumSync, out: einsumSync writing a reused options.out, async: await einsum; numpy: np.einsum on the path of\n einsum_path(optimize=('optimal', 1e10)), planned once; ort: a one-node Einsum model, weights as initializers;\n gemm: matmulSync written by hand for the one-GEMM expressions. GFLOP/s: ours, on the planned path's FLOP count.\n Targets: numpy/ours >= 1.5, ort/ours > 1, ours/gemm <= 1.2.)`,
  );
  return { suite: 'einsum', info: tf.info(), cases: CASES.map(({ gemm, ...c }) => c), records };
}
