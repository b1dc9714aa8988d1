// tune(): find the fastest way to run a model's linear layers on this host
// within an accuracy budget — candidates scored analytically, measured with
// the native harness (through wisdom), a latency predictor fitted and checked
// on held-out measurements, then an exhaustive per-layer search and the
// Pareto frontier of the whole model.
import { checkInt, checkOptions } from '../check';
import { TensorfoldError } from '../errors';
import { getThreads, setThreads } from '../runtime';
import { planAttention, type AttentionPlan } from './attention';
import { layerCandidates, type Candidate } from './candidates';
import { factorizedParams } from './factorized';
import { factorizedCandidates, type PrunedCandidate } from './factorized-candidates';
import { hostFingerprint } from './fingerprint';
import { measureInRounds, measureWithWisdom, specKey } from './measure';
import { givenLayer, weightDigest } from './given-layer';
import { loadModel, type LinearLayerSpec, type ModelConfig } from './models';
import { PLAN_FORMAT, PLAN_VERSION, type Plan, type PlanChoice } from './plan';
import { callFeatures, fitPredictor, heldOutQuality, type CallSample, type CandidateSample } from './predictor';
import { confirmFinalists } from './confirm';
import { choose, paretoFrontier, totalMs, totalParams, type Budget, type LayerOptions } from './select';
import { syntheticActivations, syntheticLayer } from './synthetic';
import { Wisdom } from './wisdom';

export interface TuneProgress {
  phase: 'accuracy' | 'measure' | 'search' | 'attention' | 'confirm';
  done: number;
  total: number;
  label: string;
}

export interface TuneOptions extends Budget {
  batch?: number;
  threads?: number;
  /** Seconds for measuring; the accuracy phase before it (decompositions) does not count. */
  budgetSeconds?: number;
  /** Measure again even where wisdom has an answer. */
  fresh?: boolean;
  /** A Wisdom, a wisdom file path, or false for none (default: the user cache). */
  wisdom?: Wisdom | string | false;
  /** Tokens per sequence for the attention blocks (default 128, at most the batch). */
  seqLen?: number;
  /** Weigh hash attention for the attention blocks (default true; only under maxError). */
  attention?: boolean;
  calibrationTokens?: number;
  seed?: number;
  onProgress?: (p: TuneProgress) => void;
  /** Stops measuring; the plan is made from what was measured (the rest predicted). */
  signal?: AbortSignal;
}

export const REPORT_BUDGETS = [0.01, 0.02, 0.05, 0.1];

/** Thread counts weighed below the plan's own (powers of two). */
const FEWER_THREADS = [1, 2, 4, 8, 16, 32, 64, 128];

/** Indices of a layer's candidates that no candidate with lower (or equal) error beats on time. */
function layerFrontier(candidates: PlanChoice[]): number[] {
  const order = candidates.map((c, j) => j).sort((a, b) => candidates[a].error - candidates[b].error || candidates[a].ms - candidates[b].ms);
  const out: number[] = [];
  let fastest = Infinity;
  for (const j of order)
    if (candidates[j].ms < fastest) {
      out.push(j);
      fastest = candidates[j].ms;
    }
  return out;
}

/** Per kernel call: enough repetitions that the median outlasts this host's timer and scheduling noise. */
const MEASURE = { warmup: 3, minReps: 10, minSeconds: 0.08, maxSeconds: 1 };
/** The first measurement of each call is spread over this many passes (measureInRounds). */
const MEASURE_ROUNDS = 3;

function toChoice(c: Candidate, ms: number, measured: boolean): PlanChoice {
  return { label: c.label, format: c.format, error: c.error, params: c.params, ms, measured };
}

export async function tune(model: string | ModelConfig, options: TuneOptions = {}): Promise<Plan> {
  const fn = 'tune';
  checkOptions(options, fn, ['maxError', 'maxParams', 'latencyTargetMs', 'batch', 'threads', 'budgetSeconds', 'fresh', 'wisdom', 'seqLen', 'attention', 'calibrationTokens', 'seed', 'onProgress', 'signal']);
  const { config, weights, skipped } = loadModel(model);
  const batch = checkInt(options.batch ?? 128, `${fn}: options.batch`, 1, 1 << 20);
  const threads = checkInt(options.threads ?? getThreads(), `${fn}: options.threads`, 1, 256);
  const budgetSeconds = options.budgetSeconds ?? 120;
  if (!(budgetSeconds > 0)) throw new RangeError(`${fn}: options.budgetSeconds must be positive, got ${budgetSeconds}`);
  if (options.maxError !== undefined && !(options.maxError >= 0 && options.maxError < 1))
    throw new RangeError(`${fn}: options.maxError must be in [0, 1), got ${options.maxError}`);
  if (options.maxError === undefined && options.maxParams === undefined && options.latencyTargetMs === undefined)
    throw new TypeError(`${fn}: give a budget: options.maxError, options.maxParams or options.latencyTargetMs`);
  const seqLen = checkInt(options.seqLen ?? Math.min(128, batch), `${fn}: options.seqLen`, 1, 1 << 20);
  const tokens = options.calibrationTokens ?? 256;
  const seed = options.seed ?? 1;
  const wisdom = options.wisdom instanceof Wisdom ? options.wisdom : options.wisdom === false ? Wisdom.memory() : Wisdom.load(options.wisdom);
  const progress = options.onProgress ?? (() => {});
  const started = Date.now();
  if (getThreads() < threads) setThreads(threads);

  // Candidates and their accuracy (cached in wisdom: it depends on the data, not the host's speed).
  const perLayer: Candidate[][] = [];
  const pruned: PrunedCandidate[] = [];
  // CP is decomposed only where its error bound meets some budget this plan reports.
  const errorCeiling = Math.max(options.maxError ?? 0, ...REPORT_BUDGETS);
  for (const [i, spec] of config.layers.entries()) {
    progress({ phase: 'accuracy', done: i, total: config.layers.length, label: spec.name });
    const given = weights?.get(spec.name);
    // Errors depend on the weight: a given one is known by its digest.
    const cacheKey = given
      ? `${config.name}:${spec.in}x${spec.out}:weight=${weightDigest(given)}:seed=${seed + i}:tokens=${tokens}`
      : `${config.name}:${spec.in}x${spec.out}:seed=${seed + i}:tokens=${tokens}`;
    const errorCache = wisdom.accuracy;
    const before = errorCache.size;
    const layer = given ? givenLayer(given, spec.out, spec.in) : syntheticLayer(spec.out, spec.in, seed + i);
    const x = syntheticActivations(tokens, spec.in, seed + 1000 + i);
    const ctx = { batch, threads, errorCache, cacheKey, signal: options.signal, errorCeiling, pruned };
    perLayer.push([...layerCandidates(spec, layer, x, ctx), ...(await factorizedCandidates(spec, layer, x, ctx))]);
    if (errorCache.size !== before) wisdom.touch();
  }
  progress({ phase: 'accuracy', done: config.layers.length, total: config.layers.length, label: 'done' });

  // Measure every distinct kernel call, cheapest first, until the budget or a stop.
  const specs = new Map<string, Candidate['specs'][number]>();
  for (const c of perLayer.flat()) for (const s of c.specs) specs.set(specKey(s), s);
  // Dense first (every speedup is relative to it), then the cheapest calls.
  const denseKeys = new Set(perLayer.map((c) => specKey(c[0].specs[0])));
  const order = [...specs.entries()].sort(([ka, a], [kb, b]) => Number(denseKeys.has(kb)) - Number(denseKeys.has(ka)) || cost(a) - cost(b));
  const measureStarted = Date.now();
  const rounds = await measureInRounds(wisdom, order, MEASURE, MEASURE_ROUNDS, {
    fresh: options.fresh,
    stop: () => !!options.signal?.aborted || (Date.now() - measureStarted) / 1000 > budgetSeconds,
    progress: (done, total, label) => progress({ phase: 'measure', done, total, label }),
  });
  const ms = rounds.ms;
  let { measured, fromWisdom } = rounds;
  const interrupted = rounds.interrupted;
  progress({ phase: 'measure', done: order.length, total: order.length, label: 'done' });
  wisdom.save();

  // The predictor is fitted on the measured kernel calls and stands in for the rest.
  const callsOf = (c: Candidate, spec: LinearLayerSpec): CallSample[] =>
    c.specs.map((s) => {
      const key = specKey(s);
      return { key, ...callFeatures(s, { flops: c.flopsPerToken * batch, bytes: c.weightBytes, aspect: spec.in / spec.out }), ms: ms.get(key) };
    });
  const whole = (c: Candidate) => c.specs.every((s) => ms.has(specKey(s)));
  // One sample per distinct set of calls: layers of one shape share their
  // kernel calls, and a held-out sample must not have its twin left in the fit.
  const samples: CandidateSample[] = [];
  const sampled = new Set<string>();
  const allCalls: CallSample[] = [];
  config.layers.forEach((spec, i) => {
    for (const c of perLayer[i]) {
      const calls = callsOf(c, spec);
      allCalls.push(...calls);
      const key = calls.map((k) => k.key).join('+');
      if (!whole(c) || sampled.has(key)) continue;
      sampled.add(key);
      samples.push({ calls, ms: calls.reduce((acc, k) => acc + k.ms!, 0) });
    }
  });
  if (!perLayer.every((c) => whole(c[0])))
    throw new TensorfoldError('TUNE_BUDGET', `${fn}: measuring stopped (time budget ${budgetSeconds} s, or a stop request) before the dense layers were measured; raise the budget`);
  const predictor = fitPredictor(allCalls);
  const quality = heldOutQuality(samples);
  let predicted = 0;
  const layers: LayerOptions[] = config.layers.map((spec, i) => {
    const choices = perLayer[i].map((c) => {
      if (whole(c)) return toChoice(c, c.specs.reduce((acc, s) => acc + ms.get(specKey(s))!, 0), true);
      predicted++;
      // Measured calls count as measured; only the missing ones are predicted.
      const t = callsOf(c, spec).reduce((acc, k) => acc + (k.ms ?? predictor.predictCall(k)), 0);
      return toChoice(c, t, false);
    });
    return { name: spec.name, count: spec.count, dense: choices[0], candidates: choices };
  });

  // Thread count is a kernel variant: a small call can finish sooner on fewer
  // threads than fork/join on all. Timed for each layer's own frontier (the
  // candidates no lower-error one beats), where a faster variant can matter.
  for (const [i, layer] of layers.entries()) {
    for (const j of layerFrontier(layer.candidates)) {
      const c = perLayer[i][j];
      if (!layer.candidates[j].measured) continue;
      let best = layer.candidates[j].ms, bestSpecs: Candidate['specs'] | undefined, bestThreads = threads;
      for (const t of FEWER_THREADS.filter((t) => t < threads)) {
        if (options.signal?.aborted || (Date.now() - measureStarted) / 1000 > budgetSeconds) break;
        const variant = c.specs.map((s) => ({ ...s, threads: t }));
        let total = 0;
        for (const s of variant) {
          progress({ phase: 'measure', done: order.length, total: order.length, label: specKey(s) });
          const m = await measureWithWisdom(wisdom, s, MEASURE, options.fresh);
          total += m.medianMs;
          if (m.cached) fromWisdom++;
          else measured++;
        }
        // A variant must win clearly: within timing noise, all threads stay.
        if (total < 0.95 * best) [best, bestSpecs, bestThreads] = [total, variant, t];
      }
      if (!bestSpecs) continue;
      perLayer[i][j] = { ...c, specs: bestSpecs };
      layer.candidates[j] = { ...layer.candidates[j], ms: best, threads: bestThreads };
      if (j === 0) layer.dense = layer.candidates[0];
    }
  }
  wisdom.save();

  progress({ phase: 'search', done: 0, total: 1, label: 'search' });
  const budget: Budget = { maxError: options.maxError, maxParams: options.maxParams, latencyTargetMs: options.latencyTargetMs };
  let chosen = choose(layers, budget);
  if (!chosen) {
    const fastest = paretoFrontier(layers).sort((a, b) => a.ms - b.ms)[0];
    throw new TensorfoldError(
      'TUNE_NO_CANDIDATE',
      `${fn}: no plan meets the budget ${JSON.stringify(budget)}; the closest: latency ${fastest.ms.toFixed(3)} ms at max layer error ${(100 * fastest.maxError).toFixed(2)}%, dense params ${totalParams(layers, layers.map((l) => l.dense))}`,
    );
  }
  // The search's own figures, before its finalists are timed again.
  const searchDenseMs = totalMs(layers, layers.map((l) => l.dense));
  const searched = {
    speedup: searchDenseMs / totalMs(layers, chosen),
    budgets: REPORT_BUDGETS.map((e) => ({ maxError: e, speedup: searchDenseMs / totalMs(layers, choose(layers, { maxError: e })!) })),
  };
  let confirmed: { rounds: number; calls: number } | undefined;
  if (!options.signal?.aborted)
    confirmed = await confirmFinalists(layers, perLayer, { wisdom, measure: MEASURE, budgets: [budget, ...REPORT_BUDGETS.map((e) => ({ maxError: e }))], signal: options.signal, progress });
  chosen = choose(layers, budget) ?? chosen;

  let attention: AttentionPlan | undefined;
  if (options.attention !== false && config.attention) {
    progress({ phase: 'attention', done: 0, total: 1, label: 'attention' });
    attention = await planAttention(config, { batch, seqLen, threads, seed, wisdom, fresh: options.fresh, maxError: options.maxError, signal: options.signal, onMeasure: (label) => progress({ phase: 'attention', done: 0, total: 1, label }) });
    wisdom.save();
    progress({ phase: 'attention', done: 1, total: 1, label: 'done' });
  }
  const denseMs = totalMs(layers, layers.map((l) => l.dense));
  const planMs = totalMs(layers, chosen);
  const atBudget = (e: number) => {
    const c = choose(layers, { maxError: e })!;
    const t = totalMs(layers, c);
    return { maxError: e, ms: t, speedup: denseMs / t };
  };
  const remeasured: Plan['remeasured'] = confirmed && {
    denseMs,
    planMs,
    speedup: denseMs / planMs,
    budgets: REPORT_BUDGETS.map(atBudget),
    rounds: confirmed.rounds,
    calls: confirmed.calls,
    searched,
  };
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    createdAt: new Date().toISOString(),
    model: config,
    host: hostFingerprint(),
    batch,
    threads,
    budget,
    synthetic: !weights,
    layers: config.layers.map((spec, i) => ({
      name: spec.name,
      in: spec.in,
      out: spec.out,
      count: spec.count,
      ...(spec.members ? { members: spec.members } : {}),
      dense: layers[i].dense,
      choice: chosen[i],
      candidates: layers[i].candidates,
    })),
    total: {
      denseMs,
      planMs,
      speedup: denseMs / planMs,
      denseParams: totalParams(layers, layers.map((l) => l.dense)),
      planParams: totalParams(layers, chosen),
      maxError: Math.max(...chosen.map((c) => c.error)),
    },
    pareto: paretoFrontier(layers).map((p) => ({ ...p, speedup: denseMs / p.ms })),
    budgets: REPORT_BUDGETS.map(atBudget),
    predictor: {
      kendallTau: Number.isFinite(quality.kendallTau) ? quality.kendallTau : null,
      meanRelativeError: Number.isFinite(quality.meanRelativeError) ? quality.meanRelativeError : null,
      samples: quality.samples,
      points: quality.points,
    },
    measuring: { seconds: (Date.now() - started) / 1000, measured, fromWisdom, predicted, interrupted },
    ...(skipped?.length ? { skipped } : {}),
    ...(pruned.length ? { pruned } : {}),
    ...(remeasured ? { remeasured } : {}),
    ...(attention ? { attention } : {}),
  };
}

/** Rough work of a kernel call, to measure cheap ones first. */
function cost(s: Candidate['specs'][number]): number {
  if (s.kernel === 'gemm') return s.m * s.n * s.k;
  if (s.kernel === 'nm') return (s.tokens * s.rows * s.k * s.n) / s.m;
  if (s.kernel === 'factorized') return s.batch * factorizedParams({ kind: s.format, in: s.in, out: s.out, ranks: s.ranks });
  return 0;
}
