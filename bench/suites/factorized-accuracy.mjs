// Accuracy of factorized layers: compression against the relative weight
// error and the relative output error, for each format and rank, on (a) a
// Gaussian weight and (b) a weight with singular values (1 + i)^-0.5 (the
// generator in lib/factorize/synthetic.ts), both 768 x 768 ([out, in], the
// torch convention). Output errors are measured on held-out correlated
// activations (x = z diag((1 + j)^-1) Q); the data-aware rows were
// decomposed with a separate calibration set from the same distribution.
import { createRequire } from 'node:module';
import { table } from '../lib.mjs';

const require = createRequire(import.meta.url);

const N = 768;
const LADDERS = {
  lowrank: { ranks: [24, 48, 96, 192, 384], options: (r) => ({ format: 'lowrank', ranks: r }) },
  'tt d=2': { ranks: [2, 4, 8, 16, 32], options: (r) => ({ format: 'tt', shape: { in: [24, 32], out: [24, 32] }, ranks: r }) },
  'tt d=3': { ranks: [4, 8, 16, 32], options: (r) => ({ format: 'tt', shape: { in: [8, 8, 12], out: [8, 8, 12] }, ranks: r }) },
  tucker: { ranks: [4, 8, 12, 16, 20], options: (r) => ({ format: 'tucker', shape: { in: [24, 32], out: [24, 32] }, ranks: r, iterations: 10 }) },
  cp: { ranks: [16, 32, 64, 128, 256], options: (r) => ({ format: 'cp', shape: { in: [24, 32], out: [24, 32] }, ranks: r, iterations: 50 }) },
};

export async function run(tf, _onnx, opts) {
  const { decayingWeight, correlatedActivations } = require('../../dist/factorize/synthetic.js');
  const weights = {
    gaussian: () => {
      const w = tf.randn([N, N], 1);
      for (let i = 0; i < w.data.length; i++) w.data[i] /= Math.sqrt(N);
      return w;
    },
    decaying: () => decayingWeight(N, N, { alpha: 0.5, seed: 1 }),
  };
  const calib = correlatedActivations(2048, N, { beta: 1, seed: 2 });
  const test = correlatedActivations(2048, N, { beta: 1, seed: 3 });
  const aware = opts.quick ? new Set() : new Set(['lowrank', 'tt d=2', 'tucker', 'cp']);
  const records = [];
  for (const [kind, make] of Object.entries(weights)) {
    if (opts.cases && !opts.cases.includes(kind)) continue;
    const w = make();
    for (const [name, ladder] of Object.entries(LADDERS)) {
      for (const r of ladder.ranks) {
        const t0 = Date.now();
        const plain = tf.decomposeSync(w, { ...ladder.options(r), transpose: true });
        const rec = {
          weight: kind,
          format: name,
          rank: r,
          ranks: plain.ranks,
          compression: plain.compression,
          flopReduction: plain.denseFlopsPerToken / plain.flopsPerToken,
          weightError: plain.weightError,
          outputError: plain.error(test),
          seconds: (Date.now() - t0) / 1000,
        };
        if (aware.has(name)) {
          const t1 = Date.now();
          const da = tf.decomposeSync(w, { ...ladder.options(r), transpose: true, calibration: calib });
          rec.aware = { weightError: da.weightError, outputError: da.error(test), calibrationError: da.outputError, seconds: (Date.now() - t1) / 1000 };
        }
        records.push(rec);
        process.stdout.write(
          `  ${kind} ${name} r=${r}: ${rec.compression.toFixed(1)}x params, weight ${rec.weightError.toFixed(4)}, output ${rec.outputError.toFixed(4)}` +
            (rec.aware ? ` | data-aware weight ${rec.aware.weightError.toFixed(4)}, output ${rec.aware.outputError.toFixed(4)}` : '') +
            ` (${rec.seconds.toFixed(1)} s)\n`,
        );
      }
    }
  }
  const f = (v) => (v === undefined ? '-' : v.toFixed(4));
  for (const kind of Object.keys(weights)) {
    const rows = records.filter((r) => r.weight === kind);
    if (!rows.length) continue;
    console.log(
      `\n${kind} weight:\n${table(
        ['format', 'rank', 'compression', 'FLOP red.', 'weight err', 'output err', 'data-aware weight err', 'data-aware output err', 'output err ratio'],
        rows.map((r) => [
          r.format,
          r.ranks.join('/'),
          `${r.compression.toFixed(1)}x`,
          `${r.flopReduction.toFixed(2)}x`,
          f(r.weightError),
          f(r.outputError),
          f(r.aware?.weightError),
          f(r.aware?.outputError),
          r.aware ? (r.aware.outputError / r.outputError).toFixed(2) : '-',
        ]),
      )}`,
    );
  }
  return { suite: 'factorized-accuracy', info: tf.info(), records };
}
