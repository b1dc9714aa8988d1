// npm's install step: use a prebuild or an existing build when one loads,
// otherwise compile the addon with node-gyp; then compile the TypeScript if
// dist/ is missing (a published package ships it). Nothing is downloaded:
// when Node's own headers are installed beside it, node-gyp is pointed there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function loads() {
  try {
    const file = require('node-gyp-build').path(root);
    // Load in a child: a binary that crashes on load must not take npm with it.
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
    return r.status === 0;
  } catch {
    return false;
  }
}

function nodeGypArgs() {
  const args = ['rebuild'];
  const prefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
    args.push(`--nodedir=${prefix}`);
  return args;
}

if (process.env.TENSORFOLD_FORCE_BUILD || !loads()) {
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp, ...nodeGypArgs()]] : ['node-gyp', nodeGypArgs()];
  console.log(`tensorfold: building the native addon (${[cmd, ...args].join(' ')})`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}
execFileSync(process.execPath, [join(root, 'scripts', 'build-ts.mjs'), '--if-missing'], { cwd: root, stdio: 'inherit' });
