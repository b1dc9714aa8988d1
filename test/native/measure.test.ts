import { describe, expect, it } from 'vitest';
import { measureKernel } from '../../lib/index';

describe('measureKernel', () => {
  it('times a GEMM with robust statistics and reports its flops', async () => {
    const r = await measureKernel({ kernel: 'gemm', m: 64, n: 64, k: 64, rotate: 3, threads: 1 }, { warmup: 1, minReps: 7, minSeconds: 0.001 });
    expect(r.reps).toBeGreaterThanOrEqual(7);
    expect(r.samplesMs).toHaveLength(r.reps);
    expect(r.flops).toBe(2 * 64 * 64 * 64);
    expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
    expect(r.medianMs).toBeLessThanOrEqual(r.maxMs);
    expect(r.trimmedMeanMs).toBeGreaterThanOrEqual(r.minMs);
    expect(r.trimmedMeanMs).toBeLessThanOrEqual(r.maxMs);
    const sorted = [...r.samplesMs].sort((a, b) => a - b);
    expect(r.medianMs).toBeCloseTo(r.reps % 2 ? sorted[(r.reps - 1) / 2] : (sorted[r.reps / 2 - 1] + sorted[r.reps / 2]) / 2, 9);
    expect(r.gflops).toBeGreaterThan(0);
  });

  it('stops at maxReps and probes the FMA peak', async () => {
    const r = await measureKernel({ kernel: 'fma-peak', threads: 1, iters: 1000 }, { warmup: 0, minReps: 3, maxReps: 3, minSeconds: 10 });
    expect(r.reps).toBe(3);
    expect(r.gflops).toBeGreaterThan(0.1);
  });

  it('keeps the event loop free while it runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await measureKernel({ kernel: 'gemm', m: 256, n: 256, k: 256, threads: 1 }, { minReps: 5, minSeconds: 0.15 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(10);
  });
});
