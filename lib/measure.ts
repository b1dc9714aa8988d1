// The native timing harness, as the planner and bench/ use it: warm-up, then
// repetitions until both a count and a time are reached, and robust
// statistics (median, and a trimmed mean; min and max reported).
import { checkObject, checkOptions } from './check';
import { native, type MeasureOptions, type MeasureSpec } from './native';

export type { MeasureOptions, MeasureSpec };

export interface Measurement {
  medianMs: number;
  minMs: number;
  maxMs: number;
  trimmedMeanMs: number;
  reps: number;
  /** Floating-point operations in one run of the kernel. */
  flops: number;
  /** flops / median time. */
  gflops: number;
  samplesMs: number[];
}

/** Times one native kernel off the event loop. */
export async function measureKernel(spec: MeasureSpec, options: MeasureOptions = {}): Promise<Measurement> {
  checkObject(spec, 'measureKernel: spec');
  checkOptions(options, 'measureKernel', ['warmup', 'minReps', 'maxReps', 'minSeconds', 'maxSeconds']);
  const r = await native().measure(spec, options);
  return {
    medianMs: r.medianS * 1e3,
    minMs: r.minS * 1e3,
    maxMs: r.maxS * 1e3,
    trimmedMeanMs: r.trimmedMeanS * 1e3,
    reps: r.reps,
    flops: r.flops,
    gflops: r.medianS > 0 ? r.flops / r.medianS / 1e9 : 0,
    samplesMs: Array.from(r.samplesS, (s) => s * 1e3),
  };
}
