import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Wisdom } from '../lib/planner/wisdom';

const bin = join(__dirname, '..', 'bin', 'tensorfold.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('tensorfold CLI', () => {
  it('info prints the version, features, tier and threads', () => {
    const r = run('info');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tensorfold \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/isa tier\s+(generic|avx2|avx512)/);
    expect(r.stdout).toMatch(/threads\s+\d+/);
  });
  it('info --json is machine-readable', () => {
    const r = run('info', '--json');
    const j = JSON.parse(r.stdout);
    expect(j.tier).toMatch(/generic|avx2|avx512/);
    expect(j.kernels.gemm).toBeTypeOf('string');
  });
  it('a user error is one clear line, not a stack trace', () => {
    const r = spawnSync(process.execPath, [bin, 'info'], { encoding: 'utf8', env: { ...process.env, TENSORFOLD_ISA: 'avx1024' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("tensorfold: TENSORFOLD_ISA must be one of generic, avx2, avx512; got 'avx1024'");
  });
  it('unknown commands are reported', () => {
    const r = run('frobnicate');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command/);
  });
  it('bench rejects unknown suites, naming the known ones', () => {
    const r = run('bench', 'nosuch');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown suite\(s\): nosuch \(known: gemm, nm/);
  });
  it('info reports the wisdom file; wisdom export, import and forget manage it', () => {
    const d = mkdtempSync(join(tmpdir(), 'tf-wisdom-'));
    const [a, b, c, foreign] = ['a.json', 'b.json', 'c.json', 'foreign.json'].map((f) => join(d, f));
    expect(run('info', '--wisdom', a).stdout).toMatch(/wisdom\s+.*a\.json \(none yet/);
    const w = Wisdom.memory();
    w.set('gemm:k=8,m=8,n=8', { medianMs: 0.01, minMs: 0.009, maxMs: 0.02, reps: 10 });
    w.set('gemm:k=16,m=8,n=8', { medianMs: 0.02, minMs: 0.019, maxMs: 0.03, reps: 10 });
    writeFileSync(a, w.exportJson());
    expect(run('info', '--wisdom', a).stdout).toMatch(/a\.json \(2 measurements, 0 accuracy figures/);
    expect(JSON.parse(run('info', '--json', '--wisdom', a).stdout).wisdom.measurements).toBe(2);

    expect(run('wisdom', 'export', '--wisdom', a, '--out', b).status).toBe(0);
    expect(JSON.parse(readFileSync(b, 'utf8')).entries).toEqual(w.toJSON().entries);
    expect(JSON.parse(run('wisdom', 'export', '--wisdom', a).stdout).entries).toEqual(w.toJSON().entries);

    const r = run('wisdom', 'import', b, '--wisdom', c);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported 2 measurements into .*c\.json \(2 in all\)/);
    expect(Object.keys(JSON.parse(readFileSync(c, 'utf8')).entries)).toHaveLength(2);

    writeFileSync(foreign, JSON.stringify({ ...w.toJSON(), host: { ...w.host, cpu: 'another cpu' } }));
    const refused = run('wisdom', 'import', foreign, '--wisdom', c);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^tensorfold: .*foreign\.json cannot be imported: .*another host/);
    expect(run('info', '--wisdom', foreign).stdout).toMatch(/foreign\.json \(ignored: .*another host/);
    writeFileSync(foreign, '{"format": "tensorfold-wisdom", "version": 1, "host": 3}');
    expect(run('info', '--wisdom', foreign).stdout).toMatch(/ignored: .*not tensorfold wisdom v1 \(host: /);
    expect(run('wisdom', 'import', join(d, 'missing.json'), '--wisdom', c).stderr).toMatch(/missing\.json does not exist/);

    expect(run('wisdom', 'forget', '--wisdom', c).stdout).toMatch(/removed/);
    expect(existsSync(c)).toBe(false);
    expect(run('wisdom', 'forget', '--wisdom', c).stdout).toMatch(/no wisdom at/);
  });
});

