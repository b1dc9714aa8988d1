// Shared benchmark plumbing: alternating rounds over peers, medians, tables,
// JSON results. Every peer is timed the same way, in the same process run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Times `fn` (sync or async) `reps` times after a warm-up of at least
 * `warmup` calls and `warmupSeconds`, continued (up to `maxWarmupSeconds`)
 * until `kQuietCalls` calls in a row take no page fault; seconds.
 */
export async function timeBlock(fn, { warmup = 1, warmupSeconds = 0, maxWarmupSeconds = 4, reps = 5 } = {}) {
  const t0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const faults = () => process.resourceUsage().minorPageFault;
  let quiet = 0, last = faults();
  for (let i = 0; i < warmup || (warmupSeconds > 0 && (elapsed() < warmupSeconds || quiet < kQuietCalls) && elapsed() < maxWarmupSeconds); i++) {
    await fn();
    const f = faults();
    quiet = f === last ? quiet + 1 : 0;
    last = f;
  }
  const out = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return out;
}

const kQuietCalls = 20;

/** Default warm-up per in-process peer (see alternate). */
export const WARMUP_SECONDS = 0.4;

/**
 * Runs `rounds` rounds; in each, every peer runs one block, in rotating
 * order, so drift in the machine's state hits all peers alike. Peers are
 * { name, run?: fn, samples?: async (reps) => seconds[] } (the latter for
 * out-of-process peers that time themselves). Returns name -> samples.
 *
 * Before its first block each in-process peer warms up for `warmupSeconds`
 * and then until its calls stop taking page faults. A peer that returns fresh
 * arrays grows the heap until the collector first frees some (V8 collects
 * after some tens of MB of new array memory), and until then every output
 * lands on fresh pages: on this VM about 12 us per 4 KiB page and, worse, a
 * flushed TLB for the next call. A 128 x 3072 output doubled a 4 ms product
 * for its first 40-60 calls, a 1 x 3072 one a 0.12 ms product for its first
 * thousands, and neither after. That phase is the collector's schedule, once
 * per process, not the op.
 */

export async function alternate(peers, { rounds = 5, reps = 5, warmup = 1, warmupSeconds = WARMUP_SECONDS } = {}) {
  const samples = Object.fromEntries(peers.map((p) => [p.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < peers.length; i++) {
      const p = peers[(i + r) % peers.length];
      // Idle between blocks: thread pools that spin after work (onnxruntime's
      // by default, ours for about a millisecond) must not steal the next
      // peer's cores.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const s = p.samples
        ? await p.samples(reps, r === 0 ? Math.max(warmup, 2 * reps) : 0)
        : await timeBlock(p.run, r === 0 ? { warmup, warmupSeconds, reps } : { warmup: 0, reps });
      samples[p.name].push(...s);
    }
  }
  return samples;
}

/** Reps per block so that one block takes about `seconds`. */
export function repsFor(flops, gflopsGuess = 100, seconds = 0.05, min = 3, max = 200) {
  return Math.max(min, Math.min(max, Math.round((seconds * gflopsGuess * 1e9) / Math.max(1, flops))));
}

export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function writeResults(suite, data) {
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
