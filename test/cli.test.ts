import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
});
