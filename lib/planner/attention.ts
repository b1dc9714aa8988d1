// The ways to run a model's attention blocks that the planner weighs: exact
// softmax attention, and hash attention (linear and Hamming-softmax) at
// several code widths with a kernel hash fitted to the inputs. Accuracy is
// the relative output error against exact softmax on structured synthetic
// q, k, v (topic segments, anisotropic offsets: lib/attention/synthetic.ts),
// since the planner has no activations of the model; speed is measured on
// the host, hashing included, and both are kept in wisdom.
import { fitHash } from '../attention/fit';
import { hashAttentionSync } from '../attention/hash-attention';
import type { HashFunction } from '../attention/hash';
import { softmaxAttentionSync } from '../attention/softmax';
import { structuredAttentionInputs } from '../attention/synthetic';
import { randn } from '../tensor';
import type { ModelConfig } from './models';
import { timeJs } from './time-js';
import type { Wisdom } from './wisdom';

export type AttentionFormat = { kind: 'softmax' } | { kind: 'hash-linear'; bits: number } | { kind: 'hamming-softmax'; bits: number };

export interface AttentionChoice {
  label: string;
  format: AttentionFormat;
  /** Relative output error against exact softmax attention (synthetic inputs). */
  error: number;
  /** Milliseconds for all sequences of one block, hashing included. */
  ms: number;
}

export interface AttentionPlan {
  heads: number;
  headDim: number;
  /** Attention blocks in the model. */
  count: number;
  seqLen: number;
  /** Sequences per call: the batch's tokens in sequences of seqLen. */
  sequences: number;
  softmax: AttentionChoice;
  choice: AttentionChoice;
  candidates: AttentionChoice[];
  /** softmax ms / choice ms. */
  speedup: number;
}

export const ATTENTION_BITS = [16, 32, 64];
/** Heads and tokens per head the accuracy is judged on (fitting and exact attention stay cheap). */
const ACCURACY_HEADS = 4;
const ACCURACY_SEQ = 256;

export function attentionLabel(f: AttentionFormat): string {
  return f.kind === 'softmax' ? 'softmax' : `${f.kind}(${f.bits})`;
}

function formats(): AttentionFormat[] {
  const out: AttentionFormat[] = [{ kind: 'softmax' }];
  for (const bits of ATTENTION_BITS) out.push({ kind: 'hash-linear', bits }, { kind: 'hamming-softmax', bits });
  return out;
}

export interface AttentionSearchOptions {
  batch: number;
  seqLen: number;
  threads: number;
  seed: number;
  wisdom: Wisdom;
  fresh?: boolean;
  /** Hash attention is eligible only under an error budget: without one, exact softmax. */
  maxError?: number;
  onMeasure?: (label: string) => void;
  /** Stops after the candidate in progress; the choice is made among those done (softmax is first). */
  signal?: AbortSignal;
}

/** Candidates for the model's attention blocks and the fastest within the budget; undefined when the model has none. */
export async function planAttention(model: ModelConfig, o: AttentionSearchOptions): Promise<AttentionPlan | undefined> {
  const att = model.attention;
  if (!att) return undefined;
  const { heads, headDim } = att;
  const seqLen = o.seqLen, sequences = Math.max(1, Math.ceil(o.batch / seqLen));
  const accHeads = Math.min(heads, ACCURACY_HEADS), accSeq = Math.min(seqLen, ACCURACY_SEQ);
  let inputs: ReturnType<typeof structuredAttentionInputs> | undefined;
  const sample = () => (inputs ??= structuredAttentionInputs({ heads: accHeads, seq: accSeq, dim: headDim, seed: o.seed }));
  let x: ReturnType<typeof randn>[] | undefined;
  const timingInputs = () => (x ??= [1, 2, 3].map((s) => randn([sequences, heads, seqLen, headDim], s)));
  // Hashes fitted to the structured sample judge accuracy; for timing, where
  // only the cost counts, a hash of the same form (anchors, bits) over every
  // head is fitted cheaply to the timing inputs.
  const fitted = new Map<string, HashFunction>();
  const hashFor = (bits: number, purpose: 'accuracy' | 'timing') => {
    const key = `${purpose}:${bits}`;
    let h = fitted.get(key);
    if (!h) {
      const [q, k] = purpose === 'accuracy' ? [sample().q, sample().k] : timingInputs();
      h = fitHash(q, k, purpose === 'accuracy' ? { bits, seed: o.seed } : { bits, seed: o.seed, iterations: 1, samples: 64 }).hash;
      fitted.set(key, h);
    }
    return h;
  };

  const errorOf = (f: AttentionFormat): number => {
    if (f.kind === 'softmax') return 0;
    const key = `attention:${accHeads}x${headDim}:seq=${accSeq}:seed=${o.seed}:${attentionLabel(f)}`;
    const hit = o.wisdom.accuracy.get(key);
    if (hit !== undefined) return hit;
    const { q, k, v } = sample();
    const mode = f.kind === 'hash-linear' ? 'linear' : 'hamming-softmax';
    const r = hashAttentionSync(q, k, v, { hash: hashFor(f.bits, 'accuracy'), mode, compare: true });
    const err = r.error!.relativeError;
    o.wisdom.accuracy.set(key, err);
    o.wisdom.touch();
    return err;
  };

  const timeOf = async (f: AttentionFormat): Promise<number> => {
    const key = `attention:${attentionLabel(f)},heads=${heads},dim=${headDim},seq=${seqLen},sequences=${sequences},threads=${o.threads},hash=kernel`;
    const known = o.fresh ? undefined : o.wisdom.get(key);
    if (known) return known.medianMs;
    o.onMeasure?.(key);
    const [q, k, v] = timingInputs();
    const out = new Float32Array(q.data.length);
    const run =
      f.kind === 'softmax'
        ? () => softmaxAttentionSync(q, k, v, { threads: o.threads, out })
        : () => hashAttentionSync(q, k, v, { hash: hashFor(f.bits, 'timing'), mode: f.kind === 'hash-linear' ? 'linear' : 'hamming-softmax', threads: o.threads, out });
    const m = await timeJs(run, { warmup: 2, minReps: 5, minSeconds: 0.03, maxSeconds: 1 });
    o.wisdom.set(key, m);
    return m.medianMs;
  };

  const candidates: AttentionChoice[] = [];
  for (const f of formats()) {
    if (candidates.length > 0 && o.signal?.aborted) break;
    candidates.push({ label: attentionLabel(f), format: f, error: errorOf(f), ms: await timeOf(f) });
  }
  const softmax = candidates[0];
  const eligible = candidates.filter((c) => c.format.kind === 'softmax' || (o.maxError !== undefined && c.error <= o.maxError));
  const choice = eligible.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { heads, headDim, count: att.count, seqLen, sequences, softmax, choice, candidates, speedup: softmax.ms / choice.ms };
}
