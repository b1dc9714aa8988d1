// The planner against exhaustive measurement. tune() first runs with every
// candidate measured (a generous budget): at each error budget its plan is
// then the best any search could find, since with a per-layer error budget
// the layers choose independently. Then tune() runs again with its time
// budget cut to a fraction of what measuring everything took, so that only
// a sample (dense and the cheapest calls first) is measured and the
// predictor stands in for the rest; its plan is priced with the exhaustive
// measurements and compared with the exhaustive best. Also: cold and warm
// tune times. Weights and activations are the planner's synthetic ones.
import { createRequire } from 'node:module';
import { table } from '../lib.mjs';

const require = createRequire(import.meta.url);
const { kendallTau } = require('../../dist/planner/predictor.js');

const BUDGETS = [0.01, 0.02, 0.05, 0.1];
const FRACTIONS = [0.25, 0.5];

/** Total ms of a plan's choices priced with another plan's measured candidates (same model and batch). */
function priced(plan, reference) {
  let total = 0;
  plan.layers.forEach((layer, i) => {
    const c = reference.layers[i].candidates.find((x) => x.label === layer.choice.label);
    if (!c) throw new Error(`planner bench: ${layer.name}: ${layer.choice.label} is not among the exhaustive candidates`);
    total += layer.count * c.ms;
  });
  return total;
}

export async function run(tf, _onnx, opts) {
  const model = opts.model ?? 'distilbert';
  const batch = 128;
  const threads = (opts.threads ?? [tf.getThreads()])[0];
  const full = tf.Wisdom.memory();
  const exhaustive = {};
  const t0 = Date.now();
  // The measuring phase alone sets the sampled runs' budgets (their accuracy figures are cached).
  let measureStart = 0, measureEnd = 0;
  const onProgress = (p) => {
    if (p.phase === 'measure' && !measureStart) measureStart = Date.now();
    if (p.phase === 'search' && !measureEnd) measureEnd = Date.now();
  };
  for (const [i, e] of BUDGETS.entries())
    exhaustive[e] = await tf.tune(model, { maxError: e, batch, threads, wisdom: full, fresh: i === 0, budgetSeconds: 3600, onProgress: i === 0 ? onProgress : undefined });
  const coldSeconds = (Date.now() - t0) / 1000;
  const first = exhaustive[BUDGETS[0]];
  if (first.measuring.predicted > 0 || first.measuring.interrupted)
    throw new Error(`planner bench: the exhaustive run predicted ${first.measuring.predicted} candidates; raise its budget`);
  const t1 = Date.now();
  await tf.tune(model, { maxError: BUDGETS[0], batch, threads, wisdom: full });
  const warmSeconds = (Date.now() - t1) / 1000;
  const measureSeconds = (measureEnd - measureStart) / 1000;
  console.log(
    `${model}, batch ${batch}, ${threads} thread(s): exhaustive tune measured ${first.measuring.measured} calls in ${measureSeconds.toFixed(1)} s (${first.measuring.seconds.toFixed(1)} s with accuracy) ` +
      `(all four budgets ${coldSeconds.toFixed(1)} s cold); warm ${warmSeconds.toFixed(2)} s; predictor on all: Kendall tau ${first.predictor.kendallTau?.toFixed(3)}`,
  );

  // The noise ceiling: every call measured again in a second, independent
  // pass (accuracy cached). No predictor can rank the candidates much better
  // than a re-measurement agrees with the first measurement.
  const again = tf.Wisdom.memory();
  for (const [k, v] of full.accuracy) again.accuracy.set(k, v);
  const second = await tf.tune(model, { maxError: BUDGETS[0], batch, threads, wisdom: again, fresh: true, budgetSeconds: 3600 });
  const pairs = new Map();
  first.layers.forEach((layer, i) =>
    layer.candidates.forEach((c) => {
      const d = second.layers[i].candidates.find((x) => x.label === c.label);
      if (d) pairs.set(`${c.label}:${c.ms}`, [c.ms, d.ms]); // layers of one shape share their calls: one pair each
    }),
  );
  const pv = [...pairs.values()];
  const ceiling = kendallTau(pv.map((p) => p[0]), pv.map((p) => p[1]));
  const relDiff = pv.map(([a, b]) => Math.abs(a - b) / Math.min(a, b)).sort((a, b) => a - b);
  console.log(
    `re-measured: Kendall tau between two measurements of the same ${pv.length} candidates ${ceiling.toFixed(3)} ` +
      `(median difference ${(100 * relDiff[relDiff.length >> 1]).toFixed(1)} %): the noise ceiling for the predictor's tau`,
  );

  const rows = [];
  const records = [];
  for (const frac of FRACTIONS)
    for (const e of BUDGETS) {
      // Accuracy is known (it is not what is sampled); timings start empty.
      const w = tf.Wisdom.memory();
      for (const [k, v] of full.accuracy) w.accuracy.set(k, v);
      let plan;
      try {
        plan = await tf.tune(model, { maxError: e, batch, threads, wisdom: w, fresh: true, budgetSeconds: frac * measureSeconds });
      } catch (err) {
        rows.push([frac, `${e * 100}%`, '-', '-', '-', '-', '-', String(err.message).slice(0, 60)]);
        continue;
      }
      const best = exhaustive[e].total.planMs;
      const actual = priced(plan, exhaustive[e]);
      const rec = {
        fraction: frac,
        maxError: e,
        measured: plan.layers.flatMap((l) => l.candidates).filter((c) => c.measured).length,
        candidates: plan.layers.flatMap((l) => l.candidates).length,
        exhaustiveMs: best,
        sampledMs: actual,
        ratio: actual / best,
        sampledPredictedMs: plan.total.planMs,
        denseMs: exhaustive[e].total.denseMs,
        kendallTau: plan.predictor.kendallTau,
      };
      records.push(rec);
      rows.push([
        frac,
        `${e * 100}%`,
        `${rec.measured}/${rec.candidates}`,
        best.toFixed(3),
        actual.toFixed(3),
        rec.ratio.toFixed(3),
        (rec.denseMs / actual).toFixed(2),
        rec.kendallTau === null ? '-' : rec.kendallTau.toFixed(3),
      ]);
    }
  console.log(
    '\n' +
      table(['time budget (x exhaustive)', 'max error', 'measured / candidates', 'exhaustive best ms', 'sampled plan ms', 'ratio', 'speedup vs dense', 'held-out tau'], rows),
  );
  console.log(
    '(sampled plan ms: the choices of the sampled run priced with the exhaustive measurements; ratio <= 1.05 is the target.\n' +
      ' measured / candidates: candidates whose every kernel call the sampled run measured; the predictor prices the rest.)',
  );
  return { model, batch, threads, coldSeconds, warmSeconds, measureSeconds, predictorTau: first.predictor.kendallTau, remeasuredTau: ceiling, records };
}
