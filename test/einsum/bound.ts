// Accuracy check for einsum results. Every step of a path rounds a sum of
// K float32 products, so relative to the magnitude Σ|terms| the error grows
// by at most about (K + 2)·2^-24 per step; the K of all steps multiply to at
// most the product of the summed index sizes. So a result passes when, per
// element, |got - ref| <= 2·(Π summed sizes + 2·(operands + 1))·2^-24·mag,
// where ref is the float64 reference on the same float32 inputs and mag is
// the reference run on their absolute values. A missing or doubled term
// misses the bound by orders of magnitude; NaN fails.

import { parseEinsum } from '../../lib/einsum/parse';
import { einsumReference } from '../../lib/einsum/reference';
import { Tensor, xoshiro128 } from '../../lib/tensor';

export interface Operand {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Uniform values in [-1, 1) from a seeded generator. */
export function uniformData(shape: readonly number[], seed: number): Float32Array {
  const next = xoshiro128(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() / 2 ** 31 - 1;
  return out;
}

export function operands(shapes: readonly (readonly number[])[], seed: number): Tensor[] {
  return shapes.map((shape, k) => new Tensor(uniformData(shape, seed * 31 + k), shape));
}

/** Small integers (-3..3): every sum of products is exact in float32 while below 2^24. */
export function intOperands(shapes: readonly (readonly number[])[], seed: number): Tensor[] {
  return shapes.map((shape, k) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(n);
    let s = ((seed * 31 + k) * 2654435761) >>> 0;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = ((s >>> 16) % 7) - 3;
    }
    return new Tensor(data, shape);
  });
}

/**
 * For integer data: the elements where the result differs from the exact
 * reference, or null when some sum could reach 2^24 (then float32 rounds).
 */
export function inexact(subscripts: string, ops: readonly Operand[], got: Float32Array): number[] | null {
  const ref = einsumReference(subscripts, ...ops);
  const mag = einsumReference(subscripts, ...ops.map((o) => ({ data: o.data.map(Math.abs), shape: o.shape })));
  if (mag.data.some((m) => m >= 2 ** 24)) return null;
  const bad: number[] = [];
  for (let i = 0; i < ref.data.length; i++) if (got[i] !== ref.data[i]) bad.push(i);
  return got.length === ref.data.length ? bad : [-1];
}

/** Largest error / bound over the elements (<= 1 passes), with the reference shape. */
export function boundRatio(subscripts: string, ops: readonly Operand[], got: Float32Array): { ratio: number; shape: number[] } {
  const ref = einsumReference(subscripts, ...ops);
  const mag = einsumReference(subscripts, ...ops.map((o) => ({ data: o.data.map(Math.abs), shape: o.shape })));
  const spec = parseEinsum(subscripts, ops.map((o) => o.shape));
  const summed = spec.indices.filter((_, id) => !spec.output.includes(id)).reduce((p, x) => p * x.size, 1);
  const gamma = 2 * (summed + 2 * (ops.length + 1)) * 2 ** -24;
  if (got.length !== ref.data.length) return { ratio: Infinity, shape: ref.shape };
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - ref.data[i]) / (gamma * mag.data[i] + 1e-30);
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return { ratio: worst, shape: ref.shape };
}
