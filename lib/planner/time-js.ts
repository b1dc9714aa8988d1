// Timing work that is not one native kernel (a fused chain, an attention call
// that hashes and then attends) in JavaScript, with the native harness's
// rules: warm-up, then repetitions until both a count and a time are
// reached (or a time cap), median, min and max reported.
import type { MeasureOptions } from '../native';

export interface JsMeasurement {
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
}

export async function timeJs(run: () => void, options: MeasureOptions = {}): Promise<JsMeasurement> {
  const warmup = options.warmup ?? 2, minReps = options.minReps ?? 5, maxReps = options.maxReps ?? 1000;
  const minSeconds = options.minSeconds ?? 0.03, maxSeconds = options.maxSeconds ?? 1;
  // Let the event loop run between measurements (progress, a stop request).
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < warmup; i++) run();
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (samples.length < maxReps && (samples.length < minReps || elapsed() < minSeconds) && !(samples.length > 0 && elapsed() > maxSeconds)) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[samples.length >> 1], minMs: samples[0], maxMs: samples[samples.length - 1], reps: samples.length };
}
