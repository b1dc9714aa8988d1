// Float64 references for factorized layers, built from the layer's factors
// by the einsum oracle: independent of the planner, the lowering and the
// native chain that the layer itself runs.
import { einsumReference } from '../../lib/einsum';
import { FactorizedLinear, Tensor } from '../../lib/index';

export interface Reference {
  value: Float64Array;
  /** The same contraction over absolute values: the scale of rounding error. */
  magnitude: Float64Array;
}

export function forwardReference(layer: FactorizedLinear, x: Tensor): Reference {
  // The dense weight from the factors alone (no token index: the oracle's
  // cost stays small), then a plain float64 product with x. The absolute
  // values' network bounds every intermediate of any contraction order.
  const p = layer.plan(1);
  const spec = p.subscripts.split('->');
  const factorTerms = spec[0].split(',').slice(1).join(',');
  const dense = `${factorTerms}->${spec[1].slice(1)}${spec[0].split(',')[0].slice(1)}`;
  const fs = layer.factors.map((f) => ({ data: f.tensor.data, shape: f.tensor.shape }));
  const abs = (d: ArrayLike<number>) => Float64Array.from(d, Math.abs);
  const w = einsumReference(dense, ...fs).data;
  const wAbs = einsumReference(dense, ...fs.map((f) => ({ ...f, data: abs(f.data) }))).data;
  const tokens = x.size / layer.inFeatures, nIn = layer.inFeatures, nOut = layer.outFeatures;
  const value = new Float64Array(tokens * nOut), magnitude = new Float64Array(tokens * nOut);
  for (let t = 0; t < tokens; t++)
    for (let o = 0; o < nOut; o++) {
      let s = 0, m = 0;
      for (let i = 0; i < nIn; i++) {
        const xi = x.data[t * nIn + i];
        s += xi * w[o * nIn + i];
        m += Math.abs(xi) * wAbs[o * nIn + i];
      }
      const b = layer.bias ? layer.bias.data[o] : 0;
      value[t * nOut + o] = s + b;
      magnitude[t * nOut + o] = m + Math.abs(b);
    }
  return { value, magnitude };
}

/**
 * Worst ratio of |y - ref| to a first-order float32 bound for a chain of
 * contractions: each step adds at most (K_s + 2) 2^-24 relative to the
 * absolute-value network, K_s its contraction length. <= 1 passes.
 */
export function chainBoundRatio(layer: FactorizedLinear, tokens: number, got: Float32Array, ref: Reference): number {
  const sizes = layer.plan(tokens).path.sizes;
  let gamma = 2 * 2 ** -24;
  for (const st of layer.plan(tokens).path.steps) gamma += ([...st.removed].reduce((p, c) => p * sizes[c], 1) + 2) * 2 ** -24;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - ref.value[i]) / (gamma * ref.magnitude[i] + 1e-30);
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}

export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0, d = 0;
  for (let i = 0; i < a.length; i++) {
    n += (a[i] - b[i]) ** 2;
    d += b[i] ** 2;
  }
  return d > 0 ? Math.sqrt(n / d) : Math.sqrt(n);
}

/** Options that make each format exact (full rank) on a [6*10, 6*8] weight with tensorization in [6, 8], out [6, 10]. */
export const SHAPE = { in: [6, 8], out: [6, 10] };
