// Measurements through wisdom: reuse what this host already measured.
import { measureKernel, type MeasureOptions, type MeasureSpec } from '../measure';
import type { Wisdom, WisdomMeasurement } from './wisdom';

/** A stable key for a kernel spec: its fields in sorted order. */
export function specKey(spec: MeasureSpec): string {
  const fields = Object.entries(spec)
    .filter(([k]) => k !== 'kernel')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${spec.kernel}:${fields.join(',')}`;
}

export async function measureWithWisdom(
  wisdom: Wisdom,
  spec: MeasureSpec,
  options: MeasureOptions = {},
  fresh = false,
): Promise<WisdomMeasurement & { cached: boolean }> {
  const key = specKey(spec);
  const known = fresh ? undefined : wisdom.get(key);
  if (known) return { ...known, cached: true };
  const m = await measureKernel(spec, options);
  wisdom.set(key, { medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, reps: m.reps });
  return { ...wisdom.get(key)!, cached: false };
}
