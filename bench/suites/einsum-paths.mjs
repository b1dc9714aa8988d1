// Path quality and planning time. FLOPs of our paths (contractPath(...).optCost,
// opt_einsum's model) against NumPy's einsum_path on the same expressions:
// every expression of test/einsum's cases and this bench's einsum suite,
// seeded random expressions of 3-10 operands, and random tensor networks of
// 12-30 operands. Planning time: medians of contractPath with the plan cache
// cleared before each call.
import { createRequire } from 'node:module';
import { median, table } from '../lib.mjs';
import { NumpyPeer, numpyAvailable } from '../peers/numpy.mjs';
import { EXECUTE_CASES, PATH_CASES } from '../../test/einsum/cases.mjs';
import { CASES as BENCH_CASES } from './einsum.mjs';

// Not public: the planner's cache, cleared so that every timed call plans.
const { clearPathCache } = createRequire(import.meta.url)('../../dist/einsum/index.js');

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** mulberry32: a small seeded generator, so every run plans the same expressions. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const pick = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

/** An expression of n operands over up to 12 letters, 1-4 indices each, sizes 2-8; each index kept with chance 1/4. */
export function randomExpression(n, r) {
  const L = pick(r, Math.min(n + 1, 12), 12);
  const sizes = Array.from({ length: L }, () => pick(r, 2, 8));
  const terms = Array.from({ length: n }, () => {
    const t = new Set();
    for (let k = pick(r, 1, 4); k > 0; k--) t.add(pick(r, 0, L - 1));
    return [...t];
  });
  const used = [...new Set(terms.flat())].sort((a, b) => a - b);
  const out = used.filter(() => r() < 0.25);
  const sub = `${terms.map((t) => t.map((l) => LETTERS[l]).join('')).join(',')}->${out.map((l) => LETTERS[l]).join('')}`;
  return { sub, shapes: terms.map((t) => t.map((l) => sizes[l])) };
}

/**
 * A random tensor network as opt_einsum's rand_equation builds one: n
 * operands, about `reg` bonds each (every bond joins two random operands),
 * `nOut` open indices, sizes 2-8.
 */
export function randomNetwork(n, reg, nOut, r) {
  const terms = Array.from({ length: n }, () => []);
  const out = [];
  const size = {};
  let next = 0;
  const letter = () => {
    const l = LETTERS[next++];
    size[l] = pick(r, 2, 8);
    return l;
  };
  for (let i = 0; i < nOut; i++) {
    const l = letter();
    out.push(l);
    terms[pick(r, 0, n - 1)].push(l);
  }
  for (let i = 0; i < Math.floor((n * reg) / 2); i++) {
    const l = letter();
    const a = pick(r, 0, n - 1);
    let b = pick(r, 0, n - 2);
    if (b >= a) b++;
    terms[a].push(l);
    terms[b].push(l);
  }
  // An operand left without a bond would only join by an outer product: bond it to a neighbour.
  terms.forEach((t, k) => {
    if (t.length > 0) return;
    const l = letter();
    t.push(l);
    terms[(k + 1) % n].push(l);
  });
  return { sub: `${terms.map((t) => t.join('')).join(',')}->${out.join('')}`, shapes: terms.map((t) => t.map((l) => size[l])) };
}

function fixtureExpressions() {
  const list = [];
  for (const [group, cases] of Object.entries(EXECUTE_CASES)) for (const c of cases) list.push({ group: `test: ${group}`, ...c });
  for (const c of PATH_CASES) list.push({ group: 'test: paths', ...c });
  for (const c of BENCH_CASES) list.push({ group: 'bench: einsum', sub: c.sub, shapes: c.shapes });
  return list;
}

/** Median microseconds of `plan()` with the plan cache cleared before each call. */
function planTime(tf, plan, reps) {
  for (let i = 0; i < 3; i++) {
    clearPathCache();
    plan();
  }
  const ts = [];
  for (let i = 0; i < reps; i++) {
    clearPathCache();
    const t0 = process.hrtime.bigint();
    plan();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return median(ts);
}

const ours = (tf, e, optimize) => tf.contractPath(e.sub, ...e.shapes, { optimize }).optCost;
const fmt = (x) => (x === null || x === undefined ? '-' : x.toExponential(3));
const verdict = (mine, theirs) => (theirs === null || theirs === undefined ? 'n/a' : mine <= theirs ? 'ok' : 'WORSE');

export async function run(tf, _onnx, opts) {
  if (!numpyAvailable()) {
    console.log('Debian python3-numpy not installed (apt-get install python3-numpy): nothing to compare with');
    return { suite: 'einsum-paths', skipped: true };
  }
  const np = new NumpyPeer(1);
  const timeout = opts.quick ? 5 : 10;

  // Up to 10 operands: ours ('auto', 'optimal') against numpy 'optimal' with
  // its default memory limit (the largest operand or output) and unlimited.
  const r = rng(1);
  const small = fixtureExpressions();
  for (let i = 0; i < (opts.quick ? 20 : 60); i++) small.push({ group: 'random 3-8', ...randomExpression(pick(r, 3, 8), r) });
  for (let i = 0; i < (opts.quick ? 2 : 4); i++) small.push({ group: 'random 9-10', ...randomExpression(pick(r, 9, 10), r) });
  const smallRecords = [];
  for (const e of small) {
    const n = e.shapes.length;
    const rec = { group: e.group, sub: e.sub, shapes: e.shapes, operands: n, auto: ours(tf, e, 'auto'), optimal: n <= 16 ? ours(tf, e, 'optimal') : null };
    const limited = await np.einsumPath(e.sub, e.shapes, 'optimal', timeout);
    const unlimited = await np.einsumPath(e.sub, e.shapes, ['optimal', 1e10], timeout);
    rec.numpyOptimal = limited.cost;
    rec.numpyOptimalUnlimited = unlimited.cost;
    rec.numpyPrinted = limited.printed;
    rec.numpySeconds = [limited.seconds, unlimited.seconds];
    smallRecords.push(rec);
  }

  // Larger networks: ours ('auto', 'greedy') against numpy 'greedy', unlimited and with its default limit.
  const large = [];
  for (const n of [12, 16, 20, 25, 30]) for (let i = 0; i < (opts.quick ? 1 : 3); i++) large.push({ group: `network n=${n}`, ...randomNetwork(n, 3, 3, r) });
  const largeRecords = [];
  for (const e of large) {
    const rec = { group: e.group, sub: e.sub, shapes: e.shapes, operands: e.shapes.length, auto: ours(tf, e, 'auto'), greedy: ours(tf, e, 'greedy') };
    const unlimited = await np.einsumPath(e.sub, e.shapes, ['greedy', 1e10], timeout);
    const limited = await np.einsumPath(e.sub, e.shapes, 'greedy', timeout);
    rec.numpyGreedyUnlimited = unlimited.cost;
    rec.numpyGreedy = limited.cost;
    rec.numpySeconds = [unlimited.seconds, limited.seconds];
    largeRecords.push(rec);
  }
  np.close();

  // Planning time.
  const reps = opts.quick ? 50 : 300;
  const timing = [];
  const timeCase = (label, e, optimize, n = reps) => {
    const us = planTime(tf, () => tf.contractPath(e.sub, ...e.shapes, { optimize }), n);
    timing.push({ label, sub: e.sub, operands: e.shapes.length, optimize, us });
  };
  timeCase('2 operands', { sub: 'bhid,bhjd->bhij', shapes: [[1, 12, 512, 64], [1, 12, 512, 64]] }, 'auto');
  timeCase('3 operands', { sub: 'bi,ir,ro->bo', shapes: [[128, 768], [768, 64], [64, 3072]] }, 'auto');
  timeCase('3 operands', { sub: 'bi,oij,bj->bo', shapes: [[256, 128], [64, 128, 128], [256, 128]] }, 'auto');
  timeCase('4 operands (TT)', BENCH_CASES[0], 'auto');
  const byN = (n) => small.filter((e) => e.group.startsWith('random') && e.shapes.length === n);
  for (const n of [5, 6, 7, 8]) for (const e of byN(n).slice(0, 3)) timeCase(`${n} operands`, e, 'auto');
  for (const e of large.filter((x) => x.shapes.length === 30)) {
    timeCase('30-operand network', e, 'greedy', opts.quick ? 10 : 50);
    // 'auto' runs opt_einsum's greedy and numpy's and keeps the cheaper path.
    timeCase('30-operand network', e, 'auto', opts.quick ? 10 : 50);
  }

  const smallRows = smallRecords.map((x) => [
    x.group,
    x.sub.length > 40 ? `${x.sub.slice(0, 37)}...` : x.sub,
    x.operands,
    fmt(x.auto),
    fmt(x.optimal),
    fmt(x.numpyOptimal),
    fmt(x.numpyOptimalUnlimited),
    `${verdict(x.auto, x.numpyOptimal)}/${verdict(x.auto, x.numpyOptimalUnlimited)}`,
  ]);
  console.log(
    `\n${table(['group', 'expression', 'ops', "ours 'auto'", "ours 'optimal'", "np 'optimal'", "np ('optimal', 1e10)", "auto vs np (limited/unlimited)"], smallRows)}`,
  );
  const largeRows = largeRecords.map((x) => [x.group, x.operands, fmt(x.auto), fmt(x.greedy), fmt(x.numpyGreedyUnlimited), fmt(x.numpyGreedy), `${verdict(x.auto, x.numpyGreedyUnlimited)}/${verdict(x.greedy, x.numpyGreedyUnlimited)}`]);
  console.log(`\n${table(['network', 'ops', "ours 'auto'", "ours 'greedy'", "np ('greedy', 1e10)", "np 'greedy'", 'auto/greedy vs np unlimited'], largeRows)}`);
  console.log(`\n${table(['planning', 'expression', 'ops', 'optimize', 'median us'], timing.map((t) => [t.label, t.sub.length > 40 ? `${t.sub.slice(0, 37)}...` : t.sub, t.operands, t.optimize, t.us.toFixed(1)]))}`);

  const worse = (recs, mine, theirs) => recs.filter((x) => x[theirs] !== null && x[mine] > x[theirs]).length;
  const summary = {
    upTo10: smallRecords.length,
    autoWorseThanNumpyOptimal: worse(smallRecords, 'auto', 'numpyOptimal'),
    autoWorseThanNumpyOptimalUnlimited: worse(smallRecords, 'auto', 'numpyOptimalUnlimited'),
    numpyTimeouts: smallRecords.filter((x) => x.numpyOptimalUnlimited === null || x.numpyOptimal === null).length,
    networks: largeRecords.length,
    autoWorseThanNumpyGreedy: worse(largeRecords, 'auto', 'numpyGreedyUnlimited'),
    greedyWorseThanNumpyGreedy: worse(largeRecords, 'greedy', 'numpyGreedyUnlimited'),
  };
  console.log(
    `\n(FLOPs in opt_einsum's model, the sum of the steps; numpy prints that sum + 1, subtracted here. np 'optimal' limits\n intermediates to the largest operand or output, as einsum_path does by default; ('optimal', 1e10) does not; ours\n never limits unless asked. '-': numpy ran past ${timeout} s.)\nsummary: ${JSON.stringify(summary)}`,
  );
  return { suite: 'einsum-paths', info: tf.info(), summary, small: smallRecords, large: largeRecords, timing };
}
