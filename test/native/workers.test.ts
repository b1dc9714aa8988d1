import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('worker_threads', () => {
  it('loads in several workers at once, computes, and exits cleanly', () => {
    const out = execFileSync(process.execPath, [join(__dirname, '..', 'helpers', 'worker-child.cjs')], { timeout: 60_000 });
    expect(out.toString().trim()).toBe('ok');
  });
});
