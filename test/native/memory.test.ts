// Kernel output memory: zeroed arrays of the asked length, large ones from the
// addon (advised onto huge pages), and a clear error for a bad length.
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

  it('rejects bad lengths at the native boundary', () => {
    const nat = native() as unknown as { outputArray(n: unknown): Float32Array };
    expect(() => nat.outputArray(-1)).toThrow(/outputArray: n must be an integer in \[0, \d+\], got -1/);
    expect(() => nat.outputArray(1.5)).toThrow(/outputArray: n must be an integer/);
    expect(() => nat.outputArray('8')).toThrow(/outputArray: n must be an integer/);
  });
});
