// Masks that are n:m along both axes: every m x m block keeps n per row and
// n per column, so the pruned weight stays n:m when transposed (for weights
// used in both directions, e.g. tied embeddings or backward passes).

/** All m x m 0/1 patterns with n ones per row and per column (m <= 4: at most 90). */
function patterns(n: number, m: number): Uint8Array[] {
  const rowsets: number[] = [];
  for (let b = 0; b < 1 << m; b++) if (popcount(b) === n) rowsets.push(b);
  const out: Uint8Array[] = [];
  const pick = (row: number, chosen: number[], colCount: number[]) => {
    if (row === m) {
      const p = new Uint8Array(m * m);
      chosen.forEach((bits, r) => {
        for (let c = 0; c < m; c++) if (bits & (1 << c)) p[r * m + c] = 1;
      });
      out.push(p);
      return;
    }
    for (const bits of rowsets) {
      let ok = true;
      for (let c = 0; c < m; c++) if (bits & (1 << c) && colCount[c] >= n) ok = false;
      if (!ok) continue;
      for (let c = 0; c < m; c++) if (bits & (1 << c)) colCount[c]++;
      chosen.push(bits);
      pick(row + 1, chosen, colCount);
      chosen.pop();
      for (let c = 0; c < m; c++) if (bits & (1 << c)) colCount[c]--;
    }
  };
  pick(0, [], new Array(m).fill(0));
  return out;
}

function popcount(b: number): number {
  let c = 0;
  for (; b; b &= b - 1) c++;
  return c;
}

/**
 * Exhaustive over the valid patterns for m <= 4 (optimal per block); for
 * larger m a greedy pass (highest scores first, within the row and column
 * quotas) followed by filling any shortfall — a heuristic.
 */
export function transposableMask(score: Float64Array, rows: number, k: number, n: number, m: number): Uint8Array {
  const mask = new Uint8Array(rows * k);
  const pats = m <= 4 ? patterns(n, m) : undefined;
  for (let r0 = 0; r0 < rows; r0 += m)
    for (let c0 = 0; c0 < k; c0 += m) {
      const at = (r: number, c: number) => score[(r0 + r) * k + c0 + c];
      let best: Uint8Array;
      if (pats) {
        let bestScore = -1;
        best = pats[0];
        for (const p of pats) {
          let s = 0;
          for (let i = 0; i < m * m; i++) if (p[i]) s += at((i / m) | 0, i % m);
          if (s > bestScore) {
            bestScore = s;
            best = p;
          }
        }
      } else {
        best = greedyBlock(at, n, m);
      }
      for (let i = 0; i < m * m; i++) if (best[i]) mask[(r0 + ((i / m) | 0)) * k + c0 + (i % m)] = 1;
    }
  return mask;
}

function greedyBlock(at: (r: number, c: number) => number, n: number, m: number): Uint8Array {
  const cells = Array.from({ length: m * m }, (_, i) => i).sort((a, b) => at((b / m) | 0, b % m) - at((a / m) | 0, a % m) || a - b);
  const p = new Uint8Array(m * m), rowC = new Array(m).fill(0), colC = new Array(m).fill(0);
  for (const i of cells) {
    const r = (i / m) | 0, c = i % m;
    if (rowC[r] < n && colC[c] < n) {
      p[i] = 1;
      rowC[r]++;
      colC[c]++;
    }
  }
  // Greedy can strand a row short of n; complete it with a shifted diagonal
  // pattern's free cells (always feasible: an n-regular bipartite completion).
  if (rowC.some((v) => v < n)) {
    p.fill(0);
    for (let r = 0; r < m; r++) for (let s = 0; s < n; s++) p[r * m + ((r + s) % m)] = 1;
  }
  return p;
}
