// The package as consumers load it: CommonJS and ESM entry points, and the
// type declarations of both (checked by tsc as a consumer would).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

describe('package entry points', () => {
  it('CommonJS consumers get the API', () => {
    const out = execFileSync(process.execPath, ['-e', "const tf = require('tensorfold'); console.log(typeof tf.matmulSync, tf.matmulSync(tf.randn([2,3],1), tf.randn([3,2],2)).shape.join('x'))"], { cwd: root });
    expect(out.toString().trim()).toBe('function 2x2');
  });
  it('ESM consumers get named and default exports', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import tf, { matmulSync, randn } from 'tensorfold'; console.log(typeof tf.info, matmulSync(randn([2,3],1), randn([3,2],2)).shape.join('x'))"], { cwd: root });
    expect(out.toString().trim()).toBe('function 2x2');
  });
  it('type declarations check for CommonJS and ESM consumers', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(root, 'test', 'types', 'tsconfig.json')], { cwd: root, stdio: 'pipe' });
  });
});
