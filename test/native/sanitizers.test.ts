// The kernels' standalone self-test, built with AddressSanitizer and
// UndefinedBehaviorSanitizer: out-of-bounds packing, leaks and UB fail here.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('native self-test under ASan + UBSan', () => {
  // Asynchronous: a minute-long build must not block the test worker's event
  // loop, which reports progress to the runner.
  it('passes every GEMM, contraction and hash-attention kernel check with no sanitizer report', async () => {
    const { stdout: out } = await promisify(execFile)('bash', [join(__dirname, '..', '..', 'scripts', 'build-asan.sh')], {
      timeout: 300_000,
      maxBuffer: 1 << 24,
    });
    expect(out).toMatch(/(\d+)\/\1 gemm checks passed/);
    expect(out).toMatch(/(\d+)\/\1 hash checks passed/);
    expect(out).toMatch(/(\d+)\/\1 contract checks passed/);
  }, 300_000);
});
