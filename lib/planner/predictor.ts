// A latency predictor fitted on measured candidates: per format family,
// log(time) = a + b·log(FLOPs) + c·log(weight bytes) + d·log(in / out) by
// least squares (the last because equal work runs at different speeds as a
// wide or a tall product). Its
// quality is reported as Kendall's tau and mean relative error on held-out
// candidates (leave-one-out), since a predictor that ranks badly must not
// steer the search.

export interface Sample {
  family: string;
  flops: number;
  bytes: number;
  /** The layer's in / out features (default 1). */
  aspect?: number;
  ms: number;
}

export interface Predictor {
  predict(family: string, flops: number, bytes: number, aspect?: number): number;
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

function features(s: { flops: number; bytes: number; aspect?: number }): number[] {
  return [1, Math.log(s.flops), Math.log(s.bytes), Math.log(s.aspect ?? 1)];
}

function fitFamily(samples: Sample[]): Coef {
  const x = samples.map(features), y = samples.map((s) => Math.log(s.ms));
  const k = x[0].length;
  // Ridge-regularised normal equations: few samples per family must not blow up.
  const ata = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => x.reduce((acc, r) => acc + r[i] * r[j], 0) + (i === j && i > 0 ? 1e-3 : 0)));
  const aty = Array.from({ length: k }, (_, i) => x.reduce((acc, r, t) => acc + r[i] * y[t], 0));
  return solve(ata, aty);
}

export function fitPredictor(samples: Sample[]): Predictor {
  const families = new Map<string, Sample[]>();
  for (const s of samples) families.set(s.family, [...(families.get(s.family) ?? []), s]);
  const pooled = fitFamily(samples);
  // A family with fewer samples than coefficients (a format measured at one
  // or two shapes, e.g. tt or tucker on a small model) borrows the pooled fit.
  const coefs = new Map<string, Coef>();
  for (const [f, ss] of families) coefs.set(f, ss.length >= features(ss[0]).length ? fitFamily(ss) : pooled);
  return {
    predict(family, flops, bytes, aspect) {
      const c = coefs.get(family) ?? pooled;
      const x = features({ flops, bytes, aspect });
      return Math.exp(x.reduce((acc, v, i) => acc + v * c[i], 0));
    },
  };
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
}

/** Leave-one-out: each sample predicted by a predictor fitted without it. */
export function heldOutQuality(samples: Sample[]): PredictorQuality {
  if (samples.length < 3) return { kendallTau: NaN, meanRelativeError: NaN, samples: samples.length };
  const predicted = samples.map((s, i) => fitPredictor(samples.filter((_, j) => j !== i)).predict(s.family, s.flops, s.bytes, s.aspect));
  const measured = samples.map((s) => s.ms);
  const rel = predicted.reduce((acc, p, i) => acc + Math.abs(p - measured[i]) / measured[i], 0) / samples.length;
  return { kendallTau: kendallTau(predicted, measured), meanRelativeError: rel, samples: samples.length };
}
