// Dense GEMM: tensorfold vs onnxruntime-node MatMul vs NumPy/OpenBLAS, and
// against the FMA peak that the probe measures on this host.
import { alternate, median, repsFor, table, writeResults } from '../lib.mjs';
import { NumpyPeer, numpyAvailable, numpyBlasInfo } from '../peers/numpy.mjs';
import { loadOrt, ortSession } from '../peers/ort.mjs';

export const SHAPES = [
  [128, 768, 768],
  [128, 768, 3072],
  [128, 3072, 768],
  [512, 768, 3072],
  [2048, 1024, 4096],
  [1, 768, 3072],
];

export async function run(tf, { buildOnnxModel }, opts) {
  const threadsList = opts.threads ?? [1, 2];
  const ort = loadOrt();
  const hasNumpy = numpyAvailable();
  const peaks = {};
  for (const t of threadsList) {
    tf.setThreads(Math.max(t, tf.getThreads()));
    peaks[t] = (await tf.measureKernel({ kernel: 'fma-peak', threads: t, iters: 1 << 23 }, { warmup: 2, minReps: 9, minSeconds: 0.3 })).gflops;
  }
  console.log(`FMA peak probe: ${threadsList.map((t) => `${peaks[t].toFixed(1)} GFLOP/s on ${t} thread(s)`).join(', ')}`);
  if (!ort) console.log('onnxruntime-node not installed: its column is empty');
  if (!hasNumpy) console.log('Debian python3-numpy not installed (apt-get install python3-numpy): its column is empty');
  else console.log(`NumPy ${numpyBlasInfo()} with OPENBLAS_CORETYPE=Cooperlake`);

  const records = [];
  for (const t of threadsList) {
    tf.setThreads(t);
    const np = hasNumpy ? new NumpyPeer(t) : undefined;
    for (const [m, k, n] of opts.shapes ?? SHAPES) {
      const flops = 2 * m * k * n;
      const x = tf.randn([m, k], 1), w = tf.randn([k, n], 2);
      const packed = tf.packWeight(w);
      const out = tf.zeros([m, n]);
      const peers = [
        { name: 'tensorfold', run: () => tf.matmulSync(x, w) },
        { name: 'tensorfold-packed', run: () => tf.matmulSync(x, packed) },
        // The output memory reused across calls, as onnxruntime's arena reuses its own.
        { name: 'tensorfold-packed-out', run: () => tf.matmulSync(x, packed, { out }) },
        { name: 'tensorfold-async', run: () => tf.matmul(x, packed) },
      ];
      if (ort) {
        const bytes = buildOnnxModel({
          inputs: [{ name: 'X', shape: [m, k] }],
          outputs: [{ name: 'Y', shape: [m, n] }],
          initializers: [{ name: 'W', shape: [k, n], data: w.data }],
          nodes: [{ op: 'MatMul', inputs: ['X', 'W'], outputs: ['Y'] }],
        });
        const session = await ortSession(ort, bytes, t);
        const feeds = { X: new ort.Tensor('float32', x.data, [m, k]) };
        peers.push({ name: 'onnxruntime', run: () => session.run(feeds) });
      }
      if (np) peers.push({ name: 'numpy', samples: (reps, warmup) => np.matmul(m, k, n, reps, warmup) });
      const reps = repsFor(flops, 100 * t);
      const samples = await alternate(peers, { rounds: opts.quick ? 2 : 5, reps, warmup: 2 });
      const gf = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, flops / median(s) / 1e9]));
      records.push({ m, k, n, threads: t, gflops: gf, medianMs: Object.fromEntries(Object.entries(samples).map(([nm, s]) => [nm, median(s) * 1e3])), peak: peaks[t], samples: samples.length });
      const r = records[records.length - 1];
      process.stdout.write(`  ${m}x${k}x${n} t=${t}: ${Object.entries(gf).map(([nm, g]) => `${nm} ${g.toFixed(1)}`).join(', ')}\n`);
    }
    np?.close();
  }

  const fmt = (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1));
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '-');
  console.log(
    `\n${table(
      ['M x K x N', 'thr', 'ours', 'packed', 'packed+out', 'packed async', 'ort', 'numpy', 'packed/ort', 'packed+out/ort', 'ours/numpy', '% peak'],
      records.map((r) => [
        `${r.m}x${r.k}x${r.n}`,
        r.threads,
        fmt(r.gflops.tensorfold),
        fmt(r.gflops['tensorfold-packed']),
        fmt(r.gflops['tensorfold-packed-out']),
        fmt(r.gflops['tensorfold-async']),
        fmt(r.gflops.onnxruntime),
        fmt(r.gflops.numpy),
        ratio(r.gflops['tensorfold-packed'], r.gflops.onnxruntime),
        ratio(r.gflops['tensorfold-packed-out'], r.gflops.onnxruntime),
        ratio(r.gflops.tensorfold, r.gflops.numpy),
        ((100 * r.gflops['tensorfold-packed']) / r.peak).toFixed(0),
      ]),
    )}\n(GFLOP/s from medians of alternating rounds. ours: matmulSync(x, w); packed: matmulSync(x, packWeight(w)),\n the like-for-like peer of onnxruntime, which packs its initializer weight once; packed+out: the same writing into one
 reused output (onnxruntime's arena reuses its output memory too); packed async: await matmul(x, packed).\n NumPy multiplies unpacked operands, like 'ours'. % peak: packed against the FMA probe at the same thread count.)`,
  );
  return { suite: 'gemm', info: tf.info(), peaks, records };
}
