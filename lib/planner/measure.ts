// Measurements through wisdom: reuse what this host already measured.
import { measureKernel, type MeasureOptions, type MeasureSpec } from '../measure';
import { measureFactorized, type FactorizedSpec } from './measure-factorized';
import type { Wisdom, WisdomMeasurement } from './wisdom';

/** What the planner times: a native kernel, or a factorized forward pass timed in JavaScript. */
export type PlannerSpec = MeasureSpec | FactorizedSpec;

/** A stable key for a kernel spec: its fields in sorted order. */
export function specKey(spec: PlannerSpec): string {
  const fields = Object.entries(spec)
    .filter(([k]) => k !== 'kernel')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('x') : String(v)}`);
  return `${spec.kernel}:${fields.join(',')}`;
}

export async function measureWithWisdom(
  wisdom: Wisdom,
  spec: PlannerSpec,
  options: MeasureOptions = {},
  fresh = false,
): Promise<WisdomMeasurement & { cached: boolean }> {
  const key = specKey(spec);
  const known = fresh ? undefined : wisdom.get(key);
  if (known) return { ...known, cached: true };
  const m = spec.kernel === 'factorized' ? await measureFactorized(spec, options) : await measureKernel(spec, options);
  wisdom.set(key, { medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, reps: m.reps });
  return { ...wisdom.get(key)!, cached: false };
}

export interface RoundsControl {
  /** Re-measure what wisdom already has. */
  fresh?: boolean;
  /** Checked before each timing: true stops the rounds (budget spent, or a stop request). */
  stop: () => boolean;
  progress: (done: number, total: number, label: string) => void;
}

/**
 * Times every call not in wisdom once per round, `rounds` passes over all of
 * them, each with 1/rounds of `options`' repetitions and time, and keeps the
 * median over rounds: the host's drift during a run (this one's load moves
 * a call by 10-20 % from one minute to the next) then reaches every call
 * alike, instead of whichever happened to be timed while the host was busy.
 * Calls timed in some rounds only (a stop) keep the median of those.
 */
export async function measureInRounds(
  wisdom: Wisdom,
  entries: readonly (readonly [string, PlannerSpec])[],
  options: MeasureOptions,
  rounds: number,
  control: RoundsControl,
): Promise<{ ms: Map<string, number>; measured: number; fromWisdom: number; interrupted: boolean }> {
  const ms = new Map<string, number>();
  const todo: (readonly [string, PlannerSpec])[] = [];
  for (const [key, spec] of entries) {
    const known = control.fresh ? undefined : wisdom.get(key);
    if (known) ms.set(key, known.medianMs);
    else todo.push([key, spec]);
  }
  const fromWisdom = ms.size;
  const per: MeasureOptions = {
    ...options,
    minReps: Math.ceil((options.minReps ?? 5) / rounds),
    minSeconds: (options.minSeconds ?? 0.05) / rounds,
    maxSeconds: (options.maxSeconds ?? 5) / rounds,
  };
  const prepared = new Map();
  const timings = new Map<string, Omit<WisdomMeasurement, 'measuredAt'>[]>();
  let interrupted = false;
  rounds: for (let r = 0; r < rounds; r++)
    for (const [i, [key, spec]] of todo.entries()) {
      if (control.stop()) {
        interrupted = true;
        break rounds;
      }
      control.progress(r * todo.length + i, rounds * todo.length, key);
      const m = spec.kernel === 'factorized' ? await measureFactorized(spec, per, prepared) : await measureKernel(spec, per);
      timings.set(key, [...(timings.get(key) ?? []), { medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, reps: m.reps }]);
    }
  for (const [key, t] of timings) {
    const sorted = t.map((m) => m.medianMs).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const medianMs = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    wisdom.set(key, { medianMs, minMs: Math.min(...t.map((m) => m.minMs)), maxMs: Math.max(...t.map((m) => m.maxMs)), reps: t.reduce((a, m) => a + m.reps, 0) });
    ms.set(key, medianMs);
  }
  return { ms, measured: timings.size, fromWisdom, interrupted };
}
