// Child-process tests run the compiled package (dist/, esm/): rebuild it when
// any lib/ source is newer, so they never test stale output.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const out = join(root, 'dist', 'index.js');
  if (existsSync(out) && existsSync(join(root, 'esm', 'index.mjs')) && statSync(out).mtimeMs >= newest(join(root, 'lib'))) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build-ts.mjs')], { stdio: 'inherit' });
}
