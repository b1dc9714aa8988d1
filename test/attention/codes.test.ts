// Codes: packing round trips, hashing puts the bits where the definition says,
// and Hamming distances by popcount equal a naive count on every path.
import { describe, expect, it } from 'vitest';
import { hammingDistances, hashCodes, packCodes, randn, simhash, unpackCodes, HashCodes } from '../../lib/index';
import { native } from '../../lib/native';
import { xoshiro128 } from '../../lib/tensor';
import { hamming } from './reference';

function randomBits(count: number, bits: number, seed: number): Uint8Array {
  const next = xoshiro128(seed);
  return Uint8Array.from({ length: count * bits }, () => next() & 1);
}

describe('code packing', () => {
  it('round-trips every width from 1 to 256 bits, padding bits zero', () => {
    for (const bits of [1, 2, 7, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 200, 255, 256]) {
      const values = randomBits(13, bits, bits);
      const codes = packCodes(values, { bits, shape: [13] });
      expect(codes.words.length).toBe(13 * Math.ceil(bits / 64));
      expect(Array.from(unpackCodes(codes))).toEqual(Array.from(values));
      for (let i = 0; i < 13; i++) {
        for (let t = 0; t < bits; t++) expect(codes.bit(i, t)).toBe(values[i * bits + t]);
        if (bits % 64) expect(codes.words[i * codes.wordsPerCode + codes.wordsPerCode - 1] >> BigInt(bits % 64)).toBe(0n);
      }
    }
  });

  it('puts bit t in bit t % 64 of word t / 64, least significant first', () => {
    const values = new Uint8Array(130);
    values[0] = values[65] = values[129] = 1;
    const c = packCodes(values, { bits: 130, shape: [1] });
    expect(Array.from(c.words)).toEqual([1n, 2n, 2n]);
  });

  it('keeps [batch, heads, seq] shapes', () => {
    const c = packCodes(randomBits(2 * 3 * 4, 9, 1), { bits: 9, shape: [2, 3, 4] });
    expect([c.batch, c.heads, c.seq, c.count]).toEqual([2, 3, 4, 24]);
  });
});

describe('hashCodes', () => {
  it('simhash bit t is [x . r_t > 0], in every layout', () => {
    const fn = simhash({ dim: 24, bits: 70, heads: 3, seed: 5 });
    const x = randn([2, 3, 9, 24], 11);
    const codes = hashCodes(x, fn);
    const bits = unpackCodes(codes);
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let s = 0; s < 9; s++)
          for (let t = 0; t < 70; t++) {
            let dot = 0;
            for (let d = 0; d < 24; d++) dot += x.data[((b * 3 + h) * 9 + s) * 24 + d] * fn.planes[(h * 24 + d) * 70 + t];
            if (Math.abs(dot) < 1e-4) continue; // the sign of a rounding error
            expect(bits[((b * 3 + h) * 9 + s) * 70 + t]).toBe(dot > 0 ? 1 : 0);
          }
    // [batch, seq, heads * dim] with heads gives the same codes.
    const bsd = new Float32Array(x.size);
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let s = 0; s < 9; s++)
          for (let d = 0; d < 24; d++) bsd[((b * 9 + s) * 3 + h) * 24 + d] = x.data[((b * 3 + h) * 9 + s) * 24 + d];
    const again = hashCodes({ data: bsd, dims: [2, 9, 72], type: 'float32' }, fn, { heads: 3 });
    expect(Array.from(again.words)).toEqual(Array.from(codes.words));
  });
});

describe('Hamming distances by popcount', () => {
  for (const portable of [false, true])
    it(`equal a naive count (${portable ? 'portable popcount' : 'best popcount'})`, () => {
      for (const bits of [1, 8, 31, 32, 33, 64, 65, 128, 200, 256]) {
        const qb = randomBits(2 * 37, bits, bits + 1), kb = randomBits(2 * 50, bits, bits + 2);
        const q = packCodes(qb, { bits, shape: [2, 37] }), k = packCodes(kb, { bits, shape: [2, 50] });
        const d = hammingDistances(q, k, { portablePopcount: portable });
        expect(d.shape).toEqual([2, 37, 50]);
        for (let u = 0; u < 2; u++)
          for (let i = 0; i < 37; i++)
            for (let j = 0; j < 50; j++) expect(d.dist[(u * 37 + i) * 50 + j]).toBe(hamming(qb, u * 37 + i, kb, u * 50 + j, bits));
      }
    });

  it('names the kernel it ran; VPOPCNTDQ only where the CPU has it', () => {
    const q = packCodes(randomBits(4, 64, 1), { bits: 64, shape: [4] });
    const best = hammingDistances(q, q).kernel, portable = hammingDistances(q, q, { portablePopcount: true }).kernel;
    const feats = native().info().cpu.features;
    if (best === 'avx512-vpopcntdq') expect(feats.avx512vpopcntdq).toBe(true);
    expect(portable).not.toBe('avx512-vpopcntdq');
  });

  it('rejects codes with bits set past the width', () => {
    const bad = new HashCodes(new BigUint64Array([1n << 40n]), 33, 1, 1, 1);
    expect(() => hammingDistances(bad, bad)).toThrow(/bits set past bit 32/);
  });
});
