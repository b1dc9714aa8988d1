// fitHash: learns EcoFormer's kernelized hash from the attention map it is to
// stand in for, self-supervised. Per head:
//  1. m anchors are drawn from the keys; every token gets RBF features
//     phi_a = exp(-gamma |x - c_a|^2) - mean_a (gamma from the mean squared
//     distance, as EcoFormer's sigma; vectors scaled to unit length first
//     when normalize);
//  2. the exact logits q.k / sqrt(dim) of sampled queries and keys give a
//     target S: +1 on each query's topk keys, -1 on its topk least;
//  3. bits are learned one at a time (kernel-based supervised hashing): bit t
//     is sign(phi . a_t), and a_t maximises y_q^T R_t y_k with R_t = bits * S
//     minus the code products of the bits before it, so each bit corrects
//     what the earlier ones got wrong; sign is relaxed to tanh(z / 2) and a_t
//     follows Adam from a random start, kept only if the binary objective
//     improves on the start.
import { checkBool, checkInt, checkOptions } from '../check';
import { xoshiro128 } from '../tensor';
import { checkBits } from './codes';
import { codesOfView, simhash, type KernelHashFunction } from './hash';
import { checkHeads, headsView, type HeadsView } from './layout';
import { qualityOfCodes, type HashQuality } from './quality';

export interface FitHashOptions {
  bits: number;
  /** Anchor points drawn from the keys (default 64). */
  anchors?: number;
  /** Optimiser steps per bit (default 60). */
  iterations?: number;
  seed?: number;
  /** Most and least attended keys per query taken as targets (default 16). */
  topk?: number;
  /** Queries and keys per head sampled for learning (default 512 each). */
  samples?: number;
  /** Unit-normalise vectors before the features (default true, as EcoFormer). */
  normalize?: boolean;
  learningRate?: number;
  heads?: number;
}

export interface FitHashResult {
  hash: KernelHashFunction;
  /** Of the fitted hash, on queries spread over the input (its scale is the hash's). */
  quality: HashQuality;
  /** Of a simhash with the same bits and seed, scored the same way, for comparison. */
  simhash: HashQuality;
}

class Rng {
  private next: () => number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.next = xoshiro128(seed);
  }
  uniform(): number {
    return this.next() / 4294967296;
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u1 = (this.next() + 1) / 4294967297, u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
  /** `count` distinct integers from [0, n). */
  sample(n: number, count: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.uniform() * (n - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, count);
  }
}

/** Rows of head h over every batch item, as float64 [count][dim]. */
function rowsOf(view: HeadsView, h: number, picks: number[], normalize: boolean): Float64Array {
  const { dim, seq, strides } = view;
  const out = new Float64Array(picks.length * dim);
  picks.forEach((p, r) => {
    const b = Math.floor(p / seq), s = p % seq;
    const o = b * strides[0] + h * strides[1] + s * strides[2];
    let n2 = 0;
    for (let d = 0; d < dim; d++) {
      out[r * dim + d] = view.tensor.data[o + d];
      n2 += out[r * dim + d] ** 2;
    }
    if (normalize && n2 > 0) for (let d = 0; d < dim; d++) out[r * dim + d] /= Math.sqrt(n2);
  });
  return out;
}

function sqdist(x: Float64Array, i: number, c: Float64Array, a: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (x[i * dim + d] - c[a * dim + d]) ** 2;
  return s;
}

interface HeadFit {
  centers: Float64Array;
  weights: Float64Array;
  mean: Float64Array;
  gamma: number;
}

function fitHead(q: Float64Array, k: Float64Array, anchors: Float64Array, qRaw: Float64Array, kRaw: Float64Array,
                 dim: number, m: number, bits: number, topk: number, iterations: number, lr: number, rng: Rng): HeadFit {
  const nq = q.length / dim, nk = k.length / dim;
  // RBF width from the mean squared distance to the anchors.
  let total = 0;
  for (let i = 0; i < nq; i++) for (let a = 0; a < m; a++) total += sqdist(q, i, anchors, a, dim);
  for (let j = 0; j < nk; j++) for (let a = 0; a < m; a++) total += sqdist(k, j, anchors, a, dim);
  const gamma = total > 0 ? (nq + nk) * m / (2 * total) : 1;
  const phiQ = new Float64Array(nq * m), phiK = new Float64Array(nk * m), mean = new Float64Array(m);
  for (let i = 0; i < nq; i++) for (let a = 0; a < m; a++) mean[a] += (phiQ[i * m + a] = Math.exp(-gamma * sqdist(q, i, anchors, a, dim)));
  for (let j = 0; j < nk; j++) for (let a = 0; a < m; a++) mean[a] += (phiK[j * m + a] = Math.exp(-gamma * sqdist(k, j, anchors, a, dim)));
  for (let a = 0; a < m; a++) mean[a] /= nq + nk;
  for (let i = 0; i < nq; i++) for (let a = 0; a < m; a++) phiQ[i * m + a] -= mean[a];
  for (let j = 0; j < nk; j++) for (let a = 0; a < m; a++) phiK[j * m + a] -= mean[a];

  // Targets from the exact logits: each query's topk most and least attended keys.
  const tk = Math.min(topk, Math.floor(nk / 2));
  const pos = new Int32Array(nq * tk), neg = new Int32Array(nq * tk);
  const logit = new Float64Array(nk);
  const order = Array.from({ length: nk }, (_, j) => j);
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nk; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += qRaw[i * dim + d] * kRaw[j * dim + d];
      logit[j] = s;
    }
    order.sort((x, y) => logit[y] - logit[x]);
    for (let t = 0; t < tk; t++) {
      pos[i * tk + t] = order[t];
      neg[i * tk + t] = order[nk - 1 - t];
    }
  }

  const yqPrev = new Float64Array(nq * bits), ykPrev = new Float64Array(nk * bits);
  const weights = new Float64Array(bits * m);
  const zq = new Float64Array(nq), zk = new Float64Array(nk), yq = new Float64Array(nq), yk = new Float64Array(nk);
  const gq = new Float64Array(nq), gk = new Float64Array(nk), grad = new Float64Array(m);
  const alpha = new Float64Array(bits), beta = new Float64Array(bits);

  const project = (a: Float64Array, phi: Float64Array, n: number, z: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < m; c++) s += phi[i * m + c] * a[c];
      z[i] = s;
    }
  };
  // J = bits * yq^T S yk - sum_{t' < t} (Yq_t' . yq)(Yk_t' . yk); gradients into gq, gk.
  const objective = (t: number, withGrad: boolean): number => {
    for (let p = 0; p < t; p++) {
      let sa = 0, sb = 0;
      for (let i = 0; i < nq; i++) sa += yqPrev[i * bits + p] * yq[i];
      for (let j = 0; j < nk; j++) sb += ykPrev[j * bits + p] * yk[j];
      alpha[p] = sa;
      beta[p] = sb;
    }
    let j0 = 0;
    if (withGrad) gk.fill(0);
    for (let i = 0; i < nq; i++) {
      let s = 0;
      for (let r = 0; r < tk; r++) s += yk[pos[i * tk + r]] - yk[neg[i * tk + r]];
      j0 += bits * yq[i] * s;
      if (!withGrad) continue;
      gq[i] = bits * s;
      for (let r = 0; r < tk; r++) {
        gk[pos[i * tk + r]] += bits * yq[i];
        gk[neg[i * tk + r]] -= bits * yq[i];
      }
    }
    let cross = 0;
    for (let p = 0; p < t; p++) cross += alpha[p] * beta[p];
    if (withGrad) {
      for (let i = 0; i < nq; i++) {
        let s = 0;
        for (let p = 0; p < t; p++) s += yqPrev[i * bits + p] * beta[p];
        gq[i] -= s;
      }
      for (let j = 0; j < nk; j++) {
        let s = 0;
        for (let p = 0; p < t; p++) s += ykPrev[j * bits + p] * alpha[p];
        gk[j] -= s;
      }
    }
    return j0 - cross;
  };
  const binary = (a: Float64Array, t: number): number => {
    project(a, phiQ, nq, zq);
    project(a, phiK, nk, zk);
    for (let i = 0; i < nq; i++) yq[i] = zq[i] > 0 ? 1 : -1;
    for (let j = 0; j < nk; j++) yk[j] = zk[j] > 0 ? 1 : -1;
    return objective(t, false);
  };

  const a = new Float64Array(m), start = new Float64Array(m), m1 = new Float64Array(m), m2 = new Float64Array(m);
  for (let t = 0; t < bits; t++) {
    // A random direction, scaled so that the relaxed codes start unsaturated.
    for (let c = 0; c < m; c++) start[c] = rng.normal();
    project(start, phiQ, nq, zq);
    let sd = 0;
    for (let i = 0; i < nq; i++) sd += zq[i] * zq[i];
    sd = Math.sqrt(sd / nq) || 1;
    for (let c = 0; c < m; c++) a[c] = start[c] = start[c] / sd;
    const before = binary(start, t);
    m1.fill(0);
    m2.fill(0);
    for (let it = 1; it <= iterations; it++) {
      project(a, phiQ, nq, zq);
      project(a, phiK, nk, zk);
      for (let i = 0; i < nq; i++) yq[i] = Math.tanh(zq[i] / 2);
      for (let j = 0; j < nk; j++) yk[j] = Math.tanh(zk[j] / 2);
      objective(t, true);
      grad.fill(0);
      for (let i = 0; i < nq; i++) {
        const g = (gq[i] * (1 - yq[i] * yq[i])) / 2;
        for (let c = 0; c < m; c++) grad[c] += phiQ[i * m + c] * g;
      }
      for (let j = 0; j < nk; j++) {
        const g = (gk[j] * (1 - yk[j] * yk[j])) / 2;
        for (let c = 0; c < m; c++) grad[c] += phiK[j * m + c] * g;
      }
      // Adam, ascending.
      for (let c = 0; c < m; c++) {
        m1[c] = 0.9 * m1[c] + 0.1 * grad[c];
        m2[c] = 0.999 * m2[c] + 0.001 * grad[c] * grad[c];
        const mh = m1[c] / (1 - 0.9 ** it), vh = m2[c] / (1 - 0.999 ** it);
        a[c] += (lr * mh) / (Math.sqrt(vh) + 1e-12);
      }
    }
    const after = binary(a, t);
    const keep = after >= before ? a : start;
    binary(keep, t);
    for (let c = 0; c < m; c++) weights[t * m + c] = keep[c];
    for (let i = 0; i < nq; i++) yqPrev[i * bits + t] = yq[i];
    for (let j = 0; j < nk; j++) ykPrev[j * bits + t] = yk[j];
  }
  return { centers: anchors, weights, mean, gamma };
}

/**
 * Learns a kernelized hash (EcoFormer) from queries and keys, per head, so
 * that code similarity keeps each query's most and least attended keys; and
 * reports its top-k recall and rank correlation against the exact logits,
 * beside a simhash of the same size.
 */
export function fitHash(queries: unknown, keys: unknown, options: FitHashOptions): FitHashResult {
  const fn = 'fitHash';
  const o = checkOptions(options, fn, ['bits', 'anchors', 'iterations', 'seed', 'topk', 'samples', 'normalize', 'learningRate', 'heads']);
  const bits = checkBits(o.bits, `${fn}: options.bits`);
  const heads = checkHeads(o.heads, `${fn}: options.heads`);
  const q = headsView(queries, `${fn}: queries`, heads), k = headsView(keys, `${fn}: keys`, heads);
  const shape = (x: HeadsView) => `[${x.tensor.shape.join(', ')}]`;
  if (q.dim !== k.dim) throw new RangeError(`${fn}: queries ${shape(q)} and keys ${shape(k)} must have the same head dim, got ${q.dim} and ${k.dim}`);
  if (q.heads !== k.heads || q.batch !== k.batch)
    throw new RangeError(`${fn}: queries ${shape(q)} and keys ${shape(k)} must have the same batch and heads`);
  const perHeadKeys = k.batch * k.seq;
  const m = o.anchors === undefined ? Math.min(64, perHeadKeys) : checkInt(o.anchors, `${fn}: options.anchors`, 1, 2 ** 16);
  if (m < 2) throw new RangeError(`${fn}: options.anchors must be at least 2 (the kernel features need two anchor points), got ${m}`);
  if (m > perHeadKeys)
    throw new RangeError(`${fn}: options.anchors = ${m} but keys ${shape(k)} has only ${perHeadKeys} tokens per head to draw anchors from`);
  const iterations = o.iterations === undefined ? 60 : checkInt(o.iterations, `${fn}: options.iterations`, 0, 100000);
  const seed = o.seed === undefined ? 0 : checkInt(o.seed, `${fn}: options.seed`, 0, 2 ** 32 - 1);
  const topk = o.topk === undefined ? 16 : checkInt(o.topk, `${fn}: options.topk`, 1, 2 ** 16);
  const samples = o.samples === undefined ? 512 : checkInt(o.samples, `${fn}: options.samples`, 2, 2 ** 20);
  const normalize = o.normalize === undefined ? true : checkBool(o.normalize, `${fn}: options.normalize`);
  const lr = o.learningRate === undefined ? 0.05 : (o.learningRate as number);
  if (!(typeof lr === 'number' && lr > 0 && lr < 100)) throw new RangeError(`${fn}: options.learningRate must be in (0, 100), got ${lr}`);
  if (q.batch * q.seq < 1) throw new RangeError(`${fn}: queries ${shape(q)} has no tokens to learn from`);

  const { dim } = q;
  const H = q.heads;
  const centers = new Float32Array(H * m * dim), weights = new Float32Array(H * bits * m);
  const mean = new Float32Array(H * m), gamma = new Float32Array(H);
  const rng = new Rng(seed);
  for (let h = 0; h < H; h++) {
    const qPick = rng.sample(q.batch * q.seq, Math.min(samples, q.batch * q.seq));
    const kPick = rng.sample(perHeadKeys, Math.min(samples, perHeadKeys));
    const anchorPick = rng.sample(perHeadKeys, m);
    const f = fitHead(rowsOf(q, h, qPick, normalize), rowsOf(k, h, kPick, normalize), rowsOf(k, h, anchorPick, normalize),
      rowsOf(q, h, qPick, false), rowsOf(k, h, kPick, false), dim, m, bits, topk, iterations, lr, rng);
    centers.set(f.centers, h * m * dim);
    weights.set(f.weights, h * bits * m);
    mean.set(f.mean, h * m);
    gamma[h] = f.gamma;
  }
  const unscaled: KernelHashFunction = { kind: 'kernel', bits, dim, heads: H, anchors: m, centers, weights, mean, gamma, normalize };
  const quality = qualityOfCodes(q, k, codesOfView(q, unscaled, 0, fn, 'queries'), codesOfView(k, unscaled, 0, fn, 'keys'), topk, 256, 4096);
  const sim = simhash({ dim, bits, heads: H, seed });
  const simQuality = qualityOfCodes(q, k, codesOfView(q, sim, 0, fn, 'queries'), codesOfView(k, sim, 0, fn, 'keys'), topk, 256, 4096);
  return { hash: Object.freeze({ ...unscaled, scale: quality.scale }), quality, simhash: simQuality };
}
