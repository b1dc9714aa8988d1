// A planner layer from a model's own weight (an ONNX initializer): the SVD
// factors that the low-rank candidates read are computed on first use, so a
// tune whose errors all come from wisdom never pays for them.
import { mat } from '../factorize/matrix';
import { runSync } from '../factorize/ops';
import { svdExact } from '../factorize/svd';
import { Tensor } from '../tensor';
import type { SyntheticLayer } from './synthetic';

/** weight: [out, in], row-major. */
export function givenLayer(weight: Float32Array, out: number, inp: number): SyntheticLayer {
  let svd: { u: Tensor; sigma: Float64Array; v: Tensor } | undefined;
  const factors = () => {
    if (svd) return svd;
    const { u, s, vt } = runSync(svdExact(mat(out, inp, Float64Array.from(weight))));
    const r = s.length;
    const v = new Float32Array(inp * r);
    for (let c = 0; c < r; c++) for (let j = 0; j < inp; j++) v[j * r + c] = vt.data[c * inp + j];
    return (svd = { u: new Tensor(Float32Array.from(u.data), [out, r]), sigma: s, v: new Tensor(v, [inp, r]) });
  };
  return {
    weight: new Tensor(weight, [out, inp]),
    get sigma() {
      return factors().sigma;
    },
    get u() {
      return factors().u;
    },
    get v() {
      return factors().v;
    },
  };
}

/** A short digest of a weight's bits, for cache keys of errors measured on it. */
export function weightDigest(w: Float32Array): string {
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < bits.length; i++) {
    h1 = Math.imul(h1 ^ bits[i], 0x01000193);
    h2 = Math.imul(h2 ^ (bits[i] >>> 7), 0x85ebca6b) + i;
  }
  return ((h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0'));
}
