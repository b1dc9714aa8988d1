// einsum on every ISA tier this CPU can run (forced by TENSORFOLD_ISA in a
// child process running the compiled package), against the float64
// reference: GEMM steps on each tier's microkernel, the strided kernels
// compiled at baseline.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { info, randn } from '../../lib/index';
import { boundRatio } from './bound';

const child = join(__dirname, '..', 'helpers', 'einsum-tier-child.cjs');
const ORDER = ['generic', 'avx2', 'avx512'] as const;
const supported = ORDER.slice(0, ORDER.indexOf(info().maxTier) + 1);

interface Case {
  sub: string;
  shapes: number[][];
  seed: number;
  threads: number;
  optimize?: string | boolean;
}

const base: Omit<Case, 'seed' | 'threads'>[] = [
  { sub: 'ij,jk->ik', shapes: [[37, 50], [50, 29]] },
  { sub: 'ij,jk->ki', shapes: [[37, 50], [50, 29]] },
  { sub: 'bij,bjk->bik', shapes: [[4, 20, 33], [4, 33, 17]] },
  { sub: 'ibj,bjk->kbi', shapes: [[20, 4, 33], [4, 33, 17]] },
  { sub: 'bhqd,bhkd->bhqk', shapes: [[2, 3, 16, 8], [2, 3, 12, 8]] },
  { sub: 'bi,iaj,jck,kdl->bacdl', shapes: [[9, 5], [5, 3, 6], [6, 3, 4], [4, 3, 2]] },
  { sub: 'ea,fb,abcd,gc,hd->efgh', shapes: [[3, 4], [3, 3], [4, 3, 5, 2], [2, 5], [3, 2]] },
  { sub: 'ij->ji', shapes: [[130, 70]] },
  { sub: 'ii->i', shapes: [[40, 40]] },
  { sub: 'ijk->j', shapes: [[30, 20, 10]] },
  { sub: 'ij,ij->i', shapes: [[50, 60], [50, 60]] },
  { sub: 'i,j->ij', shapes: [[40], [30]] },
  { sub: '...ij,...jk->...ik', shapes: [[2, 1, 9, 7], [3, 7, 5]] },
  { sub: 'ij,jk,kl->il', shapes: [[8, 9], [9, 10], [10, 11]], optimize: false },
  // GEMM operands packed through offset tables, right and left.
  { sub: 'bijk,jciakd->bacd', shapes: [[13, 2, 3, 4], [3, 7, 2, 5, 4, 17]] },
  { sub: 'xiyj,xyn->ijn', shapes: [[6, 9, 6, 40], [6, 6, 37]] },
];
const cases: Case[] = [];
let seed = 500;
for (const c of base)
  for (const threads of [1, 2]) {
    cases.push({ ...c, seed, threads });
    seed += 10;
  }

describe.each(supported)('einsum on ISA tier %s', (tier) => {
  it('matches the float64 reference on every case, 1 and 2 threads', () => {
    const stdout = execFileSync(process.execPath, [child, JSON.stringify(cases)], {
      env: { ...process.env, TENSORFOLD_ISA: tier },
      maxBuffer: 1 << 28,
    }).toString();
    const out = JSON.parse(stdout) as { tier: string; results: string[] };
    expect(out.tier).toBe(tier);
    cases.forEach((c, i) => {
      const ops = c.shapes.map((shape, k) => randn(shape, c.seed + k));
      const buf = Buffer.from(out.results[i], 'base64');
      const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      expect(boundRatio(c.sub, ops, got).ratio, `case ${i}: ${c.sub} ${JSON.stringify(c.shapes)} threads ${c.threads}`).toBeLessThanOrEqual(1);
    });
  });
});
