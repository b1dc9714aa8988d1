import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostFingerprint, measureWithWisdom, specKey, Wisdom } from '../../lib/index';
import { measureInRounds } from '../../lib/planner/measure';

const dir = () => mkdtempSync(join(tmpdir(), 'tf-wisdom-'));
const entry = { medianMs: 1.5, minMs: 1.2, maxMs: 2.5, reps: 9 };

describe('Wisdom', () => {
  afterEach(() => vi.restoreAllMocks());

  it('round-trips through a file, keyed by this host', () => {
    const file = join(dir(), 'sub', 'wisdom.json');
    const w = Wisdom.load(file);
    expect(w.size).toBe(0);
    w.set('gemm:k=1', entry);
    expect(w.save()).toBe(true);
    expect(w.save()).toBe(false); // nothing new
    const again = Wisdom.load(file);
    expect(again.get('gemm:k=1')).toMatchObject(entry);
    expect(JSON.parse(readFileSync(file, 'utf8')).host).toEqual(hostFingerprint());
  });

  it('ignores corrupt files, other schemas and other hosts with a warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const d = dir();
    writeFileSync(join(d, 'a.json'), '{ not json');
    expect(Wisdom.load(join(d, 'a.json')).size).toBe(0);
    writeFileSync(join(d, 'b.json'), JSON.stringify({ format: 'tensorfold-wisdom', version: 1, host: hostFingerprint(), entries: { x: { medianMs: 'fast' } } }));
    expect(Wisdom.load(join(d, 'b.json')).size).toBe(0);
    const foreign = { format: 'tensorfold-wisdom', version: 1, host: { ...hostFingerprint(), cpu: 'Another CPU' }, entries: { x: { ...entry, measuredAt: 'now' } } };
    writeFileSync(join(d, 'c.json'), JSON.stringify(foreign));
    expect(Wisdom.load(join(d, 'c.json')).size).toBe(0);
    const messages = warn.mock.calls.map((c) => String(c[0]));
    expect(messages[0]).toMatch(/not valid JSON/);
    expect(messages[1]).toMatch(/entries\.x\.medianMs/);
    expect(messages[2]).toMatch(/another host or version/);
  });

  it('exports and imports between instances', () => {
    const a = Wisdom.memory();
    a.set('k', entry);
    const b = Wisdom.memory();
    expect(b.importJson(a.exportJson())).toBe(1);
    expect(b.get('k')).toMatchObject(entry);
  });

  it('warns and keeps going when the directory is write-protected', () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path under a regular file instead.
      const d = dir();
      writeFileSync(join(d, 'file'), '');
      const w = Wisdom.load(join(d, 'file', 'wisdom.json'));
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      w.set('k', entry);
      expect(w.save()).toBe(false);
      expect(String(warn.mock.calls[0][0])).toMatch(/cannot write wisdom .* keeping it in memory only/);
      expect(w.get('k')).toBeDefined();
      return;
    }
    const d = dir();
    chmodSync(d, 0o500);
    const w = Wisdom.load(join(d, 'wisdom.json'));
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    w.set('k', entry);
    expect(w.save()).toBe(false);
    expect(String(warn.mock.calls[0][0])).toMatch(/keeping it in memory only/);
  });

  it('never leaves a torn file when the writer is killed mid-save', async () => {
    const file = join(dir(), 'wisdom.json');
    for (let trial = 0; trial < 3; trial++) {
      const child = spawn(process.execPath, [join(__dirname, '..', 'helpers', 'wisdom-writer.cjs'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 30 + 40 * trial));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(existsSync(file)).toBe(true);
      const parsed = JSON.parse(readFileSync(file, 'utf8'));
      expect(parsed.format).toBe('tensorfold-wisdom');
      expect(Object.keys(parsed.entries).length).toBeGreaterThanOrEqual(3000);
    }
  });

  it('measures once, then answers from wisdom', async () => {
    const w = Wisdom.memory();
    const spec = { kernel: 'gemm' as const, m: 32, n: 32, k: 32, threads: 1 };
    const first = await measureWithWisdom(w, spec, { minReps: 3, minSeconds: 0.001 });
    expect(first.cached).toBe(false);
    const second = await measureWithWisdom(w, spec);
    expect(second.cached).toBe(true);
    expect(second.medianMs).toBe(first.medianMs);
    expect(specKey(spec)).toBe('gemm:k=32,m=32,n=32,threads=1');
  });

  it('measures in rounds: every call once per pass, the median kept, a stop keeps what was timed', async () => {
    const w = Wisdom.memory();
    const specs = [16, 24, 40].map((n) => ({ kernel: 'gemm' as const, m: n, n, k: n, threads: 1 }));
    const entries = specs.map((s) => [specKey(s), s] as const);
    w.set(entries[0][0], entry); // known: not timed again
    const labels: string[] = [];
    let totalSeen = 0;
    const r = await measureInRounds(w, entries, { warmup: 1, minReps: 6, minSeconds: 0.003 }, 3, {
      stop: () => false,
      progress: (done, total, label) => {
        labels.push(label);
        totalSeen = total;
      },
    });
    expect(r).toMatchObject({ measured: 2, fromWisdom: 1, interrupted: false });
    expect(totalSeen).toBe(6);
    expect(labels).toEqual([entries[1][0], entries[2][0], entries[1][0], entries[2][0], entries[1][0], entries[2][0]]);
    expect(r.ms.get(entries[0][0])).toBe(entry.medianMs);
    for (const [key] of entries.slice(1)) {
      expect(w.get(key)!.reps).toBeGreaterThanOrEqual(6); // 3 rounds of at least 2
      expect(r.ms.get(key)).toBe(w.get(key)!.medianMs);
      expect(w.get(key)!.minMs).toBeLessThanOrEqual(w.get(key)!.medianMs);
    }
    // Stopped after the first round's first call: that call keeps its one timing, the other has none.
    const w2 = Wisdom.memory();
    let calls = 0;
    const s = await measureInRounds(w2, entries.slice(1), { minReps: 2, minSeconds: 0.001 }, 3, { fresh: true, stop: () => calls++ >= 1, progress: () => {} });
    expect(s).toMatchObject({ measured: 1, interrupted: true });
    expect(w2.get(entries[1][0])).toBeDefined();
    expect(w2.get(entries[2][0])).toBeUndefined();
  });
});
