// Debian's python3-numpy (OpenBLAS, AVX-512 kernel forced) as a persistent
// worker per thread count. Uses /usr/bin/python3 on purpose: a python3 earlier
// on PATH may carry another NumPy/BLAS build.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchDir } from '../lib.mjs';

const PYTHON = '/usr/bin/python3';

export function numpyAvailable() {
  const r = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
  return r.status === 0;
}

// Which BLAS NumPy really runs: Debian's numpy links the libblas.so.3
// alternative, which is the slow reference BLAS unless OpenBLAS is installed.
const BLAS_PROBE = `
import numpy
a = numpy.ones((64, 64), numpy.float32); a @ a
libs = sorted({l.split()[-1].rsplit('/', 1)[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '/' in l})
print(numpy.__version__, ' '.join(libs))`;

/** "<version> (<BLAS libraries loaded>)", with a warning when the BLAS is not OpenBLAS. */
export function numpyBlasInfo() {
  const r = spawnSync(PYTHON, ['-c', BLAS_PROBE], { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: 'Cooperlake' } });
  const [version, ...libs] = r.stdout.trim().split(' ');
  const blas = libs.join(', ') || 'unknown BLAS';
  const warning = libs.some((l) => l.includes('openblas'))
    ? ''
    : ' -- NOT OpenBLAS: its figures are not the peer the targets name (apt-get install libopenblas0-pthread)';
  return `${version} (${blas})${warning}`;
}

export class NumpyPeer {
  constructor(threads) {
    this.proc = spawn(PYTHON, [join(benchDir, 'peers', 'numpy_worker.py')], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OPENBLAS_CORETYPE: 'Cooperlake', OMP_NUM_THREADS: String(threads) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async matmul(m, k, n, reps, warmup) {
    this.proc.stdin.write(`${JSON.stringify({ m, k, n, reps, warmup })}\n`);
    const { value } = await this.lines.next();
    return JSON.parse(value);
  }

  /** Seconds per np.einsum call on numpy's best path (optimize=('optimal', 1e10)), planned once. */
  async einsum(subscripts, shapes, reps, warmup) {
    return this.request({ op: 'einsum', subscripts, shapes, reps, warmup });
  }

  /** np.einsum_path: { path, cost (steps' FLOPs), printed (numpy's figure, cost + 1), seconds }. */
  async einsumPath(subscripts, shapes, optimize, timeout = 0) {
    return this.request({ op: 'einsum_path', subscripts, shapes, optimize, timeout });
  }

  async request(req) {
    this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('numpy worker exited');
    return JSON.parse(value);
  }

  close() {
    this.proc.stdin.end();
  }
}
