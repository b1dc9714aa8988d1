// Queries, keys and values with the structure real attention inputs have,
// rather than i.i.d. noise, for measuring how well hashing keeps attention:
//  - topics: the sequence is a run of segments (sentences, paragraphs) of
//    geometric length around `segment` tokens, each about one of `topics`
//    topics; a token's content is its topic's centroid plus noise, so a
//    query's heaviest keys are the tokens on its topic, wherever they are;
//  - anisotropy: queries and keys each carry a large shared offset (their own
//    mean direction, `offset` times the content's norm), as trained q and k
//    projections do; the key offset makes some keys heavy for every query;
//  - separate projections: q and k see the content through different small
//    random perturbations of the identity, so q_i != k_i;
//  - values follow the topic too (plus noise), so attention outputs differ by
//    topic and an approximation that mixes topics shows in the output.
// Logits q.k / sqrt(dim) come out with a spread of a few units, peaked on the
// query's topic, as in a trained head.
import { checkInt, checkOptions } from '../check';
import { Tensor, xoshiro128 } from '../tensor';

export interface StructuredOptions {
  batch?: number;
  heads?: number;
  seq: number;
  dim: number;
  topics?: number;
  segment?: number;
  /** Shared offset of q and k, relative to the content's norm. */
  offset?: number;
  /** Noise around the topic centroid, relative to it. */
  noise?: number;
  seed?: number;
}

export interface StructuredInputs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Topic of each token, [batch, seq]. */
  topic: Int32Array;
}

function normalSource(seed: number): () => number {
  const next = xoshiro128(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u1 = (next() + 1) / 4294967297, u2 = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** [batch, heads, seq, dim] q, k, v with planted topic structure (see above). */
export function structuredAttentionInputs(options: StructuredOptions): StructuredInputs {
  const o = checkOptions(options, 'structuredAttentionInputs', ['batch', 'heads', 'seq', 'dim', 'topics', 'segment', 'offset', 'noise', 'seed']);
  const batch = o.batch === undefined ? 1 : checkInt(o.batch, 'structuredAttentionInputs: batch', 1, 4096);
  const heads = o.heads === undefined ? 1 : checkInt(o.heads, 'structuredAttentionInputs: heads', 1, 4096);
  const seq = checkInt(o.seq, 'structuredAttentionInputs: seq', 1, 2 ** 24);
  const dim = checkInt(o.dim, 'structuredAttentionInputs: dim', 1, 4096);
  const topics = o.topics === undefined ? 16 : checkInt(o.topics, 'structuredAttentionInputs: topics', 1, 2 ** 16);
  const segment = o.segment === undefined ? 32 : checkInt(o.segment, 'structuredAttentionInputs: segment', 1, 2 ** 24);
  const offset = (o.offset as number | undefined) ?? 1.5;
  const noise = (o.noise as number | undefined) ?? 0.6;
  const seed = o.seed === undefined ? 1 : checkInt(o.seed, 'structuredAttentionInputs: seed', 0, 2 ** 32 - 1);
  const rnd = normalSource(seed);
  const uni = xoshiro128(seed ^ 0x9e3779b9);

  const topic = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    let current = 0;
    for (let s = 0; s < seq; s++) {
      if (s === 0 || uni() / 4294967296 < 1 / segment) current = Math.floor((uni() / 4294967296) * topics);
      topic[b * seq + s] = current;
    }
  }
  const q = new Float32Array(batch * heads * seq * dim), k = new Float32Array(q.length), v = new Float32Array(q.length);
  // Content has norm about sqrt(dim); logits q.k / sqrt(dim) then reach ~sqrt(dim) * scale^2.
  const scale = Math.pow(4 / Math.sqrt(dim), 0.5);
  for (let h = 0; h < heads; h++) {
    const centroid = Float64Array.from({ length: topics * dim }, rnd);
    const value = Float64Array.from({ length: topics * dim }, rnd);
    const offQ = Float64Array.from({ length: dim }, () => offset * rnd());
    const offK = Float64Array.from({ length: dim }, () => offset * rnd());
    const pq = Float64Array.from({ length: dim * dim }, (_, i) => (i % (dim + 1) === 0 ? 1 : 0) + (0.3 / Math.sqrt(dim)) * rnd());
    const pk = Float64Array.from({ length: dim * dim }, (_, i) => (i % (dim + 1) === 0 ? 1 : 0) + (0.3 / Math.sqrt(dim)) * rnd());
    const x = new Float64Array(dim);
    for (let b = 0; b < batch; b++)
      for (let s = 0; s < seq; s++) {
        const t = topic[b * seq + s];
        for (let d = 0; d < dim; d++) x[d] = centroid[t * dim + d] + noise * rnd();
        const base = ((b * heads + h) * seq + s) * dim;
        for (let r = 0; r < dim; r++) {
          let sq = 0, sk = 0;
          for (let c = 0; c < dim; c++) {
            sq += pq[r * dim + c] * x[c];
            sk += pk[r * dim + c] * x[c];
          }
          q[base + r] = scale * (sq + offQ[r]);
          k[base + r] = scale * (sk + offK[r]);
          v[base + r] = value[t * dim + r] + noise * rnd();
        }
      }
  }
  const shape = [batch, heads, seq, dim];
  return { q: new Tensor(q, shape), k: new Tensor(k, shape), v: new Tensor(v, shape), topic };
}
