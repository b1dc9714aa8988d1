// Every hash-attention kernel on every ISA tier this CPU can run, forced by
// TENSORFOLD_ISA in a child process, against the float64 references.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { info, randn } from '../../lib/index';
import { hammingReference, linearReference, softmaxReference, worstError } from './reference';

const child = join(__dirname, '..', 'helpers', 'attention-tier-child.cjs');
const ORDER = ['generic', 'avx2', 'avx512'] as const;
const supported = ORDER.slice(0, ORDER.indexOf(info().maxTier) + 1);

interface Case {
  mode: 'linear' | 'hamming-softmax' | 'softmax';
  shape: [number, number, number, number, number, number];
  bits: number;
  causal: boolean;
  seed: number;
  threads: number;
  opts?: Record<string, unknown>;
}

const cases: Case[] = [];
let seed = 100;
for (const bits of [3, 32, 64, 77, 256])
  for (const causal of [false, true])
    for (const threads of [1, 2]) {
      const n = causal ? 150 : 140;
      cases.push({ mode: 'linear', shape: [2, 2, causal ? n : 60, n, 24, 80], bits, causal, seed: seed++, threads });
      cases.push({ mode: 'linear', shape: [1, 2, 40, 40, 16, 33], bits, causal, seed: seed++, threads, opts: { variant: 'ecoformer' } });
      for (const topk of [0, 3])
        for (const portablePopcount of [false, true])
          cases.push({ mode: 'hamming-softmax', shape: [1, 2, causal ? n : 50, n, 16, 24], bits, causal, seed: seed++, threads, opts: { scale: 3 / bits, ...(topk ? { topk } : {}), portablePopcount } });
    }
for (const causal of [false, true])
  for (const [n, d] of [[70, 64], [300, 17]]) cases.push({ mode: 'softmax', shape: [1, 3, n, n, d, d], bits: 0, causal, seed: seed++, threads: 2 });

function decode(s: string, kind: 'f32' | 'u8'): Float32Array | Uint8Array {
  const buf = Buffer.from(s, 'base64');
  return kind === 'f32' ? new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

describe.each(supported)('hash attention on ISA tier %s', (tier) => {
  it('matches the float64 references on every case, 1 and 2 threads', () => {
    const stdout = execFileSync(process.execPath, [child, JSON.stringify(cases)], {
      env: { ...process.env, TENSORFOLD_ISA: tier },
      maxBuffer: 1 << 28,
    }).toString();
    const out = JSON.parse(stdout) as { tier: string; results: { out: string; q?: string; k?: string }[] };
    expect(out.tier).toBe(tier);
    cases.forEach((c, i) => {
      const [B, H, nq, nk, D, DV] = c.shape;
      const v = randn([B, H, nk, DV], c.seed + 2);
      const got = decode(out.results[i].out, 'f32');
      let ref: Float64Array;
      if (c.mode === 'softmax') {
        ref = softmaxReference(randn([B, H, nq, D], c.seed), randn([B, H, nk, D], c.seed + 1), v, c.causal);
      } else {
        const qb = decode(out.results[i].q!, 'u8') as Uint8Array, kb = decode(out.results[i].k!, 'u8') as Uint8Array;
        const o = c.opts ?? {};
        ref = c.mode === 'linear'
          ? linearReference(qb, kb, v, c.bits, c.causal, (o.variant as 'exact' | 'ecoformer') ?? 'exact')
          : hammingReference(qb, kb, v, c.bits, c.causal, o.scale as number, (o.topk as number) ?? 0);
      }
      expect(worstError(got, ref), `case ${i}: ${JSON.stringify(c)}`).toBeLessThan(3e-5);
    });
  });
});
