// Choosing per layer under a budget, and the Pareto frontier of whole-model
// latency against error. Layers are independent given a per-layer error
// budget, so the search is exhaustive per layer (cheap: tens of candidates).
import type { PlanChoice } from './plan';

export interface LayerOptions {
  name: string;
  count: number;
  dense: PlanChoice;
  candidates: PlanChoice[];
}

export interface Budget {
  maxError?: number;
  maxParams?: number;
  latencyTargetMs?: number;
}

/** Fastest choice per layer with error <= maxError. */
export function chooseUnderError(layers: LayerOptions[], maxError: number): PlanChoice[] {
  return layers.map((l) =>
    l.candidates.filter((c) => c.error <= maxError).reduce((best, c) => (c.ms < best.ms ? c : best), l.dense),
  );
}

export function totalMs(layers: LayerOptions[], choices: PlanChoice[]): number {
  return layers.reduce((acc, l, i) => acc + l.count * choices[i].ms, 0);
}

export function totalParams(layers: LayerOptions[], choices: PlanChoice[]): number {
  return layers.reduce((acc, l, i) => acc + l.count * choices[i].params, 0);
}

/** The distinct error levels at which some layer's best choice changes. */
function errorLevels(layers: LayerOptions[]): number[] {
  return [...new Set(layers.flatMap((l) => l.candidates.map((c) => c.error)))].sort((a, b) => a - b);
}

export function paretoFrontier(layers: LayerOptions[]): { maxError: number; ms: number }[] {
  const points = errorLevels(layers).map((e) => {
    const ch = chooseUnderError(layers, e);
    return { maxError: Math.max(...ch.map((c) => c.error)), ms: totalMs(layers, ch) };
  });
  return points.filter((p) => !points.some((q) => q !== p && q.ms <= p.ms && q.maxError <= p.maxError && (q.ms < p.ms || q.maxError < p.maxError)));
}

/**
 * Applies the budget: maxError (per-layer relative output error) picks the
 * fastest under it; latencyTargetMs picks the smallest error level that meets
 * the target; maxParams then trades the layers with the best params saved per
 * millisecond lost until the model fits. Returns undefined when nothing fits.
 */
export function choose(layers: LayerOptions[], budget: Budget): PlanChoice[] | undefined {
  let choices: PlanChoice[];
  if (budget.latencyTargetMs !== undefined) {
    const level = errorLevels(layers).find((e) => totalMs(layers, chooseUnderError(layers, e)) <= budget.latencyTargetMs!);
    if (level === undefined) return undefined;
    choices = chooseUnderError(layers, Math.min(level, budget.maxError ?? Infinity));
  } else {
    choices = chooseUnderError(layers, budget.maxError ?? 0);
  }
  if (budget.maxParams !== undefined) {
    const maxErr = budget.maxError ?? Infinity;
    while (totalParams(layers, choices) > budget.maxParams) {
      let best: { i: number; c: PlanChoice; score: number } | undefined;
      layers.forEach((l, i) => {
        for (const c of l.candidates) {
          const saved = (choices[i].params - c.params) * l.count;
          if (saved <= 0 || c.error > maxErr) continue;
          const score = saved / Math.max(1e-6, (c.ms - choices[i].ms) * l.count);
          if (!best || score > best.score) best = { i, c, score };
        }
      });
      if (!best) return undefined;
      choices[best.i] = best.c;
    }
  }
  return choices;
}
