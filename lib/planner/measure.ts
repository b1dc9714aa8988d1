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
