// The search's finalists timed again, and chosen again on those times. The
// search's figures come from one pass over hundreds of calls, and the first
// of them (dense, measured first) run while the host is still settling, so a
// plan can look faster than it is. Here dense, the chosen plan and each
// reported budget's plan are timed afresh; their times replace the search's,
// and the choice is made again until every chosen candidate was re-timed.
import type { Candidate } from './candidates';
import { measureWithWisdom, specKey } from './measure';
import type { PlanChoice } from './plan';
import { choose, type Budget, type LayerOptions } from './select';
import type { TuneProgress } from './tune';
import type { Wisdom } from './wisdom';

export interface ConfirmContext {
  wisdom: Wisdom;
  measure: { warmup: number; minReps: number; minSeconds: number; maxSeconds: number };
  budgets: Budget[];
  signal?: AbortSignal;
  progress: (p: TuneProgress) => void;
}

export interface Confirmed {
  /** Rounds of re-timing (each after a choice changed). */
  rounds: number;
  /** Distinct kernel calls timed afresh. */
  calls: number;
}

/** At most this many rounds: each re-times only what the previous choice did not. */
const MAX_ROUNDS = 4;

/**
 * Re-times the finalists of `budgets` (and dense) in place: a re-timed
 * candidate's `ms` becomes its fresh time. `perLayer[i][j]` is the candidate
 * behind `layers[i].candidates[j]`.
 */
export async function confirmFinalists(layers: LayerOptions[], perLayer: Candidate[][], ctx: ConfirmContext): Promise<Confirmed> {
  const fresh = new Map<string, number>();
  let rounds = 0;
  for (; rounds < MAX_ROUNDS && !ctx.signal?.aborted; rounds++) {
    const sets = [layers.map((l) => l.dense), ...ctx.budgets.map((b) => choose(layers, b)).filter((s): s is PlanChoice[] => s !== undefined)];
    const todo = new Map<string, Candidate['specs'][number]>();
    for (const set of sets)
      set.forEach((c, i) => {
        for (const s of perLayer[i][layers[i].candidates.indexOf(c)].specs) if (!fresh.has(specKey(s))) todo.set(specKey(s), s);
      });
    if (todo.size === 0) break;
    for (const [k, [key, spec]] of [...todo].entries()) {
      if (ctx.signal?.aborted) break;
      ctx.progress({ phase: 'confirm', done: k, total: todo.size, label: key });
      fresh.set(key, (await measureWithWisdom(ctx.wisdom, spec, ctx.measure, true)).medianMs);
    }
    // Every candidate whose calls were all re-timed takes the fresh time.
    layers.forEach((l, i) => {
      l.candidates.forEach((c, j) => {
        const specs = perLayer[i][j].specs;
        if (!specs.every((s) => fresh.has(specKey(s)))) return;
        const updated = { ...c, ms: specs.reduce((t, s) => t + fresh.get(specKey(s))!, 0), measured: true };
        l.candidates[j] = updated;
        if (j === 0) l.dense = updated;
      });
    });
  }
  ctx.progress({ phase: 'confirm', done: 1, total: 1, label: 'done' });
  ctx.wisdom.save();
  return { rounds, calls: fresh.size };
}
