// Operation counts and an energy estimate per call, EcoFormer's metric: the
// multiplies and additions an attention layer performs, priced with Horowitz's
// 45 nm figures (ISSCC 2014) as in EcoFormer's get_energy.py, fp32 multiply
// 3.7 pJ and add 0.9 pJ. We add what that model leaves out, with documented
// prices: bit operations (XOR, popcount, mask expansion) counted per 64-bit
// word at 0.2 pJ (two 32-bit integer adds at 0.1 pJ), exponentials at 36.8 pJ
// (our exp is a degree-7 polynomial: 8 multiplies and 8 adds), and divisions
// (one reciprocal per row) at the multiply price. Counts are for the work the
// kernels do; the online softmax's data-dependent rescaling is not counted.
import type { HashFunction } from './hash';

export const ENERGY_MODEL = Object.freeze({
  multiplyPJ: 3.7,
  addPJ: 0.9,
  bitOpPJ: 0.2,
  expPJ: 8 * 3.7 + 8 * 0.9,
  dividePJ: 3.7,
  source: 'Horowitz, "Computing\'s energy problem", ISSCC 2014 (45 nm), as used by EcoFormer',
});

export interface OpCounts {
  multiplies: number;
  adds: number;
  /** 64-bit word operations: XOR, popcount, mask expansion. */
  bitOps: number;
  exps: number;
  divides: number;
  /** Under ENERGY_MODEL, in picojoules. */
  energyPJ: number;
}

export interface AttentionShape {
  /** batch * heads. */
  units: number;
  nq: number;
  nk: number;
  dim: number;
  dimV: number;
  causal: boolean;
}

type Counts = Omit<OpCounts, 'energyPJ'>;

const zero = (): Counts => ({ multiplies: 0, adds: 0, bitOps: 0, exps: 0, divides: 0 });

export function priced(c: Counts): OpCounts {
  const e = ENERGY_MODEL;
  return { ...c, energyPJ: c.multiplies * e.multiplyPJ + c.adds * e.addPJ + c.bitOps * e.bitOpPJ + c.exps * e.expPJ + c.divides * e.dividePJ };
}

export function addCounts(a: OpCounts, b: OpCounts): OpCounts {
  return priced({
    multiplies: a.multiplies + b.multiplies,
    adds: a.adds + b.adds,
    bitOps: a.bitOps + b.bitOps,
    exps: a.exps + b.exps,
    divides: a.divides + b.divides,
  });
}

/** Key-query pairs scored: all, or the lower triangle when causal. */
function pairs(s: AttentionShape): number {
  return s.causal ? (s.nq * (s.nq + 1)) / 2 : s.nq * s.nk;
}

/** Hashing `tokens` vectors of dim `dim` (per unit). */
export function hashingOps(fn: HashFunction, tokens: number, units: number): OpCounts {
  const c = zero();
  const { dim, bits } = fn;
  const words = Math.ceil(bits / 64);
  if (fn.kind === 'simhash') {
    c.multiplies = tokens * dim * bits;
    c.adds = tokens * dim * bits;
  } else {
    const m = fn.anchors;
    c.multiplies = tokens * (m * dim + dim + m + m * bits);
    c.adds = tokens * (m * dim + dim + 3 * m + m * bits);
    c.exps = tokens * m;
    c.divides = fn.normalize ? tokens : 0;
  }
  c.adds += tokens * bits; // sign tests
  c.bitOps = tokens * words;
  return priced(scale(c, units));
}

function scale(c: Counts, k: number): Counts {
  return { multiplies: c.multiplies * k, adds: c.adds * k, bitOps: c.bitOps * k, exps: c.exps * k, divides: c.divides * k };
}

/** Linear mode from codes: masked adds over bits, O(seq * bits * dim). */
export function linearOps(s: AttentionShape, bits: number, variant: 'exact' | 'ecoformer'): OpCounts {
  const c = zero();
  const words = Math.ceil(bits / 64);
  const dv = s.dimV;
  c.adds = (s.nk + s.nq) * bits * dv; // the masked additions of both sweeps
  c.adds += s.nk * bits + s.nq * bits; // counts per bit, and each query's share of them
  c.adds += 2 * s.nk * dv; // sum v and sum popcount(k) v
  c.multiplies = s.nk * dv; // popcount(k) v
  c.bitOps = (s.nk + s.nq) * (words + Math.ceil(bits / 32)); // popcounts, mask expansion
  if (variant === 'ecoformer') {
    c.multiplies += 5 * s.nq * dv;
    c.adds += 4 * s.nq * dv;
  } else {
    c.multiplies += 2 * s.nq * dv;
    c.adds += 3 * s.nq * dv;
  }
  c.divides = s.nq;
  return priced(scale(c, s.units));
}

/** Hamming-softmax from codes: XOR + popcount scores, exp, and the weighted sum of values. */
export function hammingOps(s: AttentionShape, bits: number, topk: number): OpCounts {
  const c = zero();
  const words = Math.ceil(bits / 64);
  const p = pairs(s);
  const kept = topk > 0 && topk < s.nk ? Math.min(p, s.nq * topk) : p;
  c.bitOps = 2 * p * words * (topk > 0 && topk < s.nk ? 1 : 2); // XOR + popcount; two passes (min, weights) when dense
  c.adds = p + kept; // distance minus the row's least (or the histogram), and the row sums
  c.exps = topk > 0 && topk < s.nk ? s.nq * (bits + 1) : p;
  c.multiplies = kept * s.dimV + s.nq * s.dimV;
  c.adds += kept * s.dimV;
  c.divides = s.nq;
  return priced(scale(c, s.units));
}

/** Exact softmax attention: Q K^T, scale, max, exp, sums, P V, normalisation. */
export function softmaxOps(s: AttentionShape): OpCounts {
  const c = zero();
  const p = pairs(s);
  c.multiplies = p * s.dim + p + p * s.dimV + s.nq * s.dimV;
  c.adds = p * s.dim + 3 * p + p * s.dimV;
  c.exps = p;
  c.divides = s.nq;
  return priced(scale(c, s.units));
}
