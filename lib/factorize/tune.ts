// Measured planning for a layer's forward pass, FFTW style: the planner's
// path is FLOP-optimal, but paths of equal FLOPs can differ in layout (a
// permute, or a per-token loop, more or less), and fusing pays only where
// intermediates outgrow the cache. tune() times the distinct candidates,
// fused and unfused, on the batch size at hand and keeps the fastest.
import type { OptimizeOption } from '../einsum';
import type { Format } from './network';

export interface TuneCandidate {
  readonly name: string;
  readonly optimize: OptimizeOption;
}

export interface TuneTiming {
  readonly name: string;
  readonly mode: 'fused' | 'unfused';
  /** Median seconds per call. */
  readonly seconds: number;
  readonly flopsPerToken: number;
}

export interface TuneResult {
  /** The batch the result applies to (a power of two, as plans are shared). */
  readonly batch: number;
  readonly winner: TuneTiming & { readonly optimize: OptimizeOption };
  readonly timings: readonly TuneTiming[];
}

/** A path contracting the activation (operand 0) with the factors in `order` (1-based factor positions). */
export function sequentialPath(operands: number, order: readonly number[]): number[][] {
  const list = Array.from({ length: operands }, (_, i) => i);
  const path: number[][] = [];
  let act = 0;
  for (const f of order) {
    const a = list.indexOf(act), b = list.indexOf(f);
    path.push([a, b]);
    list.splice(Math.max(a, b), 1);
    list.splice(Math.min(a, b), 1);
    act = -1;
    list.push(act);
  }
  return path;
}

/**
 * The planner's path, greedy, the activation taken through the factors from
 * the input side (input factors last mode first, then the core, then the
 * output factors), and every factor contracted first (the dense weight).
 */
export function candidatePaths(format: Format, names: readonly string[]): TuneCandidate[] {
  const n = names.length + 1;
  const idx = (pred: (name: string) => boolean) => names.map((nm, i) => [nm, i + 1] as const).filter(([nm]) => pred(nm)).map(([, i]) => i);
  let order: number[];
  if (format === 'lowrank') order = [idx((nm) => nm === 'V')[0], idx((nm) => nm === 'U')[0]];
  else if (format === 'tt') order = idx(() => true).reverse();
  else if (format === 'tucker') order = [...idx((nm) => nm.startsWith('V')).reverse(), ...idx((nm) => nm === 'C'), ...idx((nm) => nm.startsWith('U'))];
  else order = [...idx((nm) => nm.startsWith('B')).reverse(), ...idx((nm) => nm.startsWith('A'))];
  const weightsFirst: number[][] = [...Array.from({ length: n - 2 }, () => [1, 2]), [0, 1]];
  return [
    { name: 'planner', optimize: 'auto' },
    { name: 'greedy', optimize: 'greedy' },
    { name: 'sequential', optimize: sequentialPath(n, order) },
    { name: 'weights first', optimize: n > 2 ? weightsFirst : 'auto' },
  ];
}

/** Median of timed runs after one warm-up, at least `reps` and at least `minSeconds` in all. */
export function timeRuns(fn: () => void, reps: number, minSeconds: number): number {
  fn();
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  while (samples.length < reps || Number(process.hrtime.bigint() - start) / 1e9 < minSeconds) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (samples.length >= 1000) break;
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}
