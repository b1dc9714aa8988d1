// The kernels' standalone self-test, built with AddressSanitizer and
// UndefinedBehaviorSanitizer: out-of-bounds packing, leaks and UB fail here.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('native self-test under ASan + UBSan', () => {
  it('passes every GEMM, contraction and hash-attention kernel check with no sanitizer report', () => {
    const out = execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'build-asan.sh')], {
      timeout: 300_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    expect(out).toMatch(/(\d+)\/\1 gemm checks passed/);
    expect(out).toMatch(/(\d+)\/\1 hash checks passed/);
    expect(out).toMatch(/(\d+)\/\1 contract checks passed/);
  }, 300_000);
});
