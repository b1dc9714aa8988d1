// Every ISA tier this CPU can run, forced by TENSORFOLD_ISA in a child
// process, against the float64 reference.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { info, randn } from '../../lib/index';
import { matmulRef, worstBoundRatio } from '../helpers/reference';

const child = join(__dirname, '..', 'helpers', 'tier-child.cjs');
const ORDER = ['generic', 'avx2', 'avx512'] as const;
const supported = ORDER.slice(0, ORDER.indexOf(info().maxTier) + 1);

const cases: { a: number[]; b: number[]; transA: boolean; transB: boolean; seedA: number; seedB: number; threads: number; packed?: boolean }[] = [];
let seed = 1000;
for (const [m, n, k] of [[1, 1, 1], [7, 13, 5], [33, 17, 300], [97, 65, 129], [250, 130, 600], [1, 3072, 768], [5, 40, 0]])
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]])
    for (const threads of [1, 2])
      cases.push({ a: transA ? [k, m] : [m, k], b: transB ? [n, k] : [k, n], transA, transB, seedA: seed++, seedB: seed++, threads });
cases.push({ a: [3, 4, 21, 19], b: [3, 4, 19, 11], transA: false, transB: false, seedA: 7, seedB: 8, threads: 2 });
cases.push({ a: [6, 37, 50], b: [50, 29], transA: false, transB: false, seedA: 9, seedB: 10, threads: 2 });
// Packed weights: small-M streaming and the tiled path, across column blocks.
for (const [m, k, n] of [[1, 300, 1100], [2, 259, 65], [3, 7, 40], [4, 33, 70], [9, 100, 70], [40, 300, 1100]])
  for (const transB of [false, true])
    cases.push({ a: [m, k], b: transB ? [n, k] : [k, n], transA: false, transB, seedA: seed++, seedB: seed++, threads: 2, packed: true });

// Blocks of 2048 rows and more take passes twice as deep over K.
for (const packed of [false, true])
  cases.push({ a: [2050, 600], b: [600, 37], transA: false, transB: false, seedA: seed++, seedB: seed++, threads: 1, packed });

describe.each(supported)('ISA tier %s', (tier) => {
  it('matches the float64 reference on every case, 1 and 2 threads', () => {
    const stdout = execFileSync(process.execPath, [child, JSON.stringify(cases)], {
      env: { ...process.env, TENSORFOLD_ISA: tier },
      maxBuffer: 1 << 28,
    }).toString();
    const out = JSON.parse(stdout) as { tier: string; results: string[] };
    expect(out.tier).toBe(tier);
    cases.forEach((c, i) => {
      const a = randn(c.a, c.seedA), b = randn(c.b, c.seedB);
      const buf = Buffer.from(out.results[i], 'base64');
      const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const k = c.transA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
      const ratio = worstBoundRatio(got, matmulRef(a, b, c.transA, c.transB), k);
      expect(ratio, `case ${i}: ${JSON.stringify(c)}`).toBeLessThanOrEqual(1);
    });
  });
});

describe('TENSORFOLD_ISA', () => {
  it('rejects an unknown tier with an error listing the valid ones', () => {
    const r = spawnSync(process.execPath, [child, '[]'], { env: { ...process.env, TENSORFOLD_ISA: 'sse9' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr.toString()).toMatch(/TENSORFOLD_ISA must be one of generic, avx2, avx512; got 'sse9'/);
  });
});
