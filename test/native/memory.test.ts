// Kernel output memory: zeroed arrays of the asked length, large ones from the
// addon (aligned views advised onto huge pages), and a clear error for a bad
// length.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputArray } from '../../lib/memory';
import { native } from '../../lib/native';

describe('outputArray', () => {
  it.each([0, 1, 17, (4 << 20) / 4 - 1, (4 << 20) / 4, 3_000_001])('gives %i zeroed, writable elements', (n) => {
    const a = outputArray(n);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(n);
    for (let i = 0; i < n; i += 4093) expect(a[i]).toBe(0);
    if (n > 0) {
      a[n - 1] = 2.5;
      expect(a[n - 1]).toBe(2.5);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(4 * n);
    }
  });

  // Large arrays from the addon are 2 MiB-aligned views into a slightly
  // larger buffer, so that every page of theirs can be a huge page.
  it.each([(4 << 20) / 4, 3_000_001, (8 << 20) / 4 + 5])('gives %i zeroed elements from the addon, inside their buffer', (n) => {
    const a = native().outputArray(n);
    expect(a.length).toBe(n);
    expect(a.byteOffset % 4).toBe(0);
    expect(a.byteOffset + 4 * n).toBeLessThanOrEqual(a.buffer.byteLength);
    expect(a.buffer.byteLength).toBeLessThanOrEqual(4 * n + (4 << 20));
    for (let i = 0; i < n; i += 4093) expect(a[i]).toBe(0);
    a[0] = 1;
    a[n - 1] = 2.5;
    expect([a[0], a[n - 1]]).toEqual([1, 2.5]);
    const whole = new Float32Array(a.buffer);
    expect(whole[a.byteOffset / 4 + n - 1]).toBe(2.5);
  });

  it('rejects bad lengths at the native boundary', () => {
    const nat = native() as unknown as { outputArray(n: unknown): Float32Array };
    expect(() => nat.outputArray(-1)).toThrow(/outputArray: n must be an integer in \[0, \d+\], got -1/);
    expect(() => nat.outputArray(1.5)).toThrow(/outputArray: n must be an integer/);
    expect(() => nat.outputArray('8')).toThrow(/outputArray: n must be an integer/);
  });

  it('throws a RangeError, and the process lives on, when the memory cannot be had', () => {
    // 2 TiB: more than this machine can map, so the allocation fails (an
    // ArrayBuffer made through Node-API would abort the process here).
    expect(() => native().outputArray(2 ** 39)).toThrow(RangeError);
    expect(() => native().outputArray(2 ** 39)).toThrow(/outputArray: 2199023255552 bytes could not be allocated/);
    expect(native().outputArray(8).length).toBe(8);
  });
});

// glibc returns a garbage collection's worth of freed outputs to the OS unless
// its thresholds are raised; then every new output faults in page by page.
const glibc = process.platform === 'linux' && Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

describe.runIf(glibc)('freed outputs reused (malloc tuning)', () => {
  const run = (env: Record<string, string>) =>
    JSON.parse(
      execFileSync(process.execPath, [join(__dirname, '..', 'helpers', 'reuse-child.cjs')], {
        env: { ...process.env, ...env },
        timeout: 60_000,
      }).toString(),
    ) as { malloc: { tuned: boolean; reuseBelowBytes: number; reason?: string }; faults: number; pages: number };

  it('reuses collected outputs without faulting them in again', () => {
    const tuned = run({});
    expect(tuned.malloc).toEqual({ tuned: true, reuseBelowBytes: 32 << 20 });
    expect(tuned.faults).toBeLessThan(0.05 * tuned.pages);
  });

  // With glibc's defaults the same loop faults in anywhere from 0 to 45 % of
  // its pages, by how the heap happens to lie (docs/PERF.md, GEMM item 24):
  // too erratic for a bound, so only the setting is checked.
  it('keeps glibc defaults with TENSORFOLD_MALLOC=system', () => {
    expect(run({ TENSORFOLD_MALLOC: 'system' }).malloc).toEqual({ tuned: false, reuseBelowBytes: 0, reason: 'disabled' });
  });

  it('leaves the allocator alone when GLIBC_TUNABLES sets malloc', () => {
    const r = run({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432' });
    expect(r.malloc).toEqual({ tuned: false, reuseBelowBytes: 0, reason: 'GLIBC_TUNABLES' });
  });
});
