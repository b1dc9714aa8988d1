// A latency predictor fitted on measured kernel calls. A candidate's time is
// the sum of its calls' (a low-rank layer is two GEMMs, a low-rank layer with
// N:M factors two N:M products), so the model is fitted per call, where the
// physics is: one GEMM model serves dense and low-rank candidates alike. Per
// call family, log(time) is linear in log-features that describe the work
// (see callFeatures), fitted by least squares shrunk toward a fit pooled
// over all families (FAMILY_SHRINK). Its quality
// is reported as Kendall's tau and mean relative error on held-out candidates
// (leave-one-candidate-out: the held-out candidate's calls leave the fit),
// since a predictor that ranks badly must not steer the search.
import type { PlannerSpec } from './measure';

/** One measured (or to be predicted) kernel call. */
export interface CallSample {
  /** Identity of the call (its wisdom key): candidates that share a call share its time. */
  key: string;
  family: string;
  /** Features, without the intercept (see callFeatures). */
  x: number[];
  /** Measured time; unused when predicting. */
  ms?: number;
}

/** A candidate: its calls, and its measured time (the sum of theirs). */
export interface CandidateSample {
  calls: CallSample[];
  ms: number;
}

export interface Predictor {
  predictCall(call: CallSample): number;
  predict(calls: CallSample[]): number;
}

const log = Math.log;

/**
 * The family and features of a kernel call. GEMM (m x k times k x n):
 * log FLOPs, and the sizes of B, C and A, which decide whether it is bound
 * by compute or by streaming an operand. N:M: log FLOPs, log weight bytes,
 * the group size (the selection cost per kept weight grows with it) and the
 * aspect rows / k. Factorized chains: log FLOPs, log weight bytes and the
 * aspect, per format and chain length (each step has its own overhead).
 */
export function callFeatures(
  spec: PlannerSpec,
  work: { flops: number; bytes: number; aspect?: number } = { flops: 0, bytes: 0 },
): { family: string; x: number[] } {
  if (spec.kernel === 'gemm') {
    const { m, n, k } = spec;
    return { family: 'gemm', x: [log(2 * m * n * k), log(4 * k * n), log(m * n), log(m * k)] };
  }
  if (spec.kernel === 'nm') {
    const { rows, k, n, m, tokens } = spec;
    const kept = (rows * k * n) / m;
    return { family: 'nm', x: [log(2 * tokens * kept), log(kept * (4 + Math.ceil(Math.log2(m)) / 8)), log(m), log(rows / k)] };
  }
  const family = spec.kernel === 'factorized' ? `${spec.format}/${spec.in.length}` : spec.kernel;
  return { family, x: [log(work.flops), log(work.bytes), log(work.aspect ?? 1)] };
}

type Coef = number[];

function solve(a: number[][], b: number[]): number[] {
  // Gaussian elimination with partial pivoting on a small normal system.
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    if (Math.abs(m[c][c]) < 1e-12) m[c][c] = 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

/**
 * Ridge least squares shrunk toward `prior`: minimises |rows · c - y|² +
 * Σ lambda_i (c_i - prior_i)², so a family seen at few points stays near
 * the prior instead of fitting its noise.
 */
function fit(rows: number[][], y: number[], lambda: number[], prior: number[]): Coef {
  const k = rows[0].length;
  const ata = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => rows.reduce((acc, r) => acc + r[i] * r[j], 0) + (i === j ? lambda[i] : 0)));
  const aty = Array.from({ length: k }, (_, i) => rows.reduce((acc, r, t) => acc + r[i] * y[t], 0) + lambda[i] * prior[i]);
  return solve(ata, aty);
}

/** Shrinkage of a family's coefficients toward the pooled fit (its intercept is freer: each kernel has its own efficiency). */
const FAMILY_SHRINK = 0.1;

const apply = (c: Coef, x: number[]) => Math.exp(x.reduce((acc, v, i) => acc + v * c[i], 0));

export function fitPredictor(calls: CallSample[]): Predictor {
  // One sample per distinct call: layers of one shape share calls, and must not weigh twice.
  const measured = [...new Map(calls.filter((c) => c.ms !== undefined && c.ms > 0).map((c) => [c.key, c])).values()];
  if (measured.length === 0) throw new RangeError('fitPredictor: no measured calls to fit');
  const families = new Map<string, CallSample[]>();
  for (const c of measured) families.set(c.family, [...(families.get(c.family) ?? []), c]);
  // The pooled fit, on log FLOPs and log bytes (the features every family
  // shares), is each family's prior: a family seen at few points (a format
  // at one or two shapes) stays near it, one seen at many follows its data.
  const pooled = fit(measured.map((c) => [1, c.x[0], c.x[1]]), measured.map((c) => log(c.ms!)), [0, 1e-3, 1e-3], [0, 0, 0]);
  const coefs = new Map<string, Coef>();
  for (const [f, cs] of families) {
    const k = cs[0].x.length + 1;
    const prior = [...pooled, ...new Array<number>(k - 3).fill(0)];
    const lambda = [0.01 * FAMILY_SHRINK, ...new Array<number>(k - 1).fill(FAMILY_SHRINK)];
    coefs.set(f, fit(cs.map((c) => [1, ...c.x]), cs.map((c) => log(c.ms!)), lambda, prior));
  }
  const predictCall = (call: CallSample) => {
    const c = coefs.get(call.family);
    return c ? apply(c, [1, ...call.x]) : apply(pooled, [1, call.x[0], call.x[1]]);
  };
  return { predictCall, predict: (cs) => cs.reduce((acc, c) => acc + predictCall(c), 0) };
}

export function kendallTau(a: number[], b: number[]): number {
  let concordant = 0, discordant = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const s = Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
    }
  const pairs = concordant + discordant;
  return pairs === 0 ? 1 : (concordant - discordant) / pairs;
}

export interface PredictorQuality {
  kendallTau: number;
  meanRelativeError: number;
  samples: number;
  /** Each held-out candidate's predicted and measured ms. */
  points: { predicted: number; measured: number }[];
}

/** Leave-one-candidate-out: each candidate predicted by a fit without any of its calls. */
export function heldOutQuality(candidates: CandidateSample[]): PredictorQuality {
  const all = new Map<string, CallSample>();
  for (const c of candidates) for (const call of c.calls) all.set(call.key, call);
  const usable = candidates.filter((c) => {
    const own = new Set(c.calls.map((k) => k.key));
    return [...all.keys()].some((k) => !own.has(k));
  });
  if (usable.length < 3) return { kendallTau: NaN, meanRelativeError: NaN, samples: usable.length, points: [] };
  const predicted = usable.map((c) => {
    const own = new Set(c.calls.map((k) => k.key));
    return fitPredictor([...all.values()].filter((k) => !own.has(k.key))).predict(c.calls);
  });
  const measured = usable.map((c) => c.ms);
  const rel = predicted.reduce((acc, p, i) => acc + Math.abs(p - measured[i]) / measured[i], 0) / usable.length;
  const points = predicted.map((p, i) => ({ predicted: p, measured: measured[i] }));
  return { kendallTau: kendallTau(predicted, measured), meanRelativeError: rel, samples: usable.length, points };
}
