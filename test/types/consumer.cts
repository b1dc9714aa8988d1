// Type-checks the CommonJS face of the package as a consumer sees it.
import tf = require('tensorfold');

const a: tf.Tensor = tf.randn([2, 3], 1);
const c: tf.Tensor = tf.matmulSync(a, tf.zeros([3, 4]), { transB: false, threads: 1 });
const p: Promise<tf.Tensor> = tf.matmul(a, c, { transB: true });
const i: tf.Info = tf.info();
const tier: 'generic' | 'avx2' | 'avx512' = i.tier;
tf.setThreads(2);
const m: Promise<tf.Measurement> = tf.measureKernel({ kernel: 'gemm', m: 1, n: 1, k: 1 }, { minReps: 3 });
const e = new tf.TensorfoldError('X', 'y');
const code: string = e.code;
const s: tf.Tensor = tf.einsumSync('ij,jk->ik', a, c, { optimize: 'greedy', threads: 1 });
const q: Promise<tf.Tensor> = tf.einsum(a, [0, 1], c, [1, 2], [0, 2]);
const plan: tf.PathInfo = tf.contractPath('ij,jk->ik', [2, 3], [3, 4]);
const opts: tf.EinsumOptions = { memoryLimit: 'maxInput', optimize: [[0, 1]] };
tf.einsumSync(a, [tf.ELLIPSIS, 0], [tf.ELLIPSIS], opts);
// @ts-expect-error options are objects, never positional flags
tf.matmulSync(a, c, true);
void [p, tier, m, code, s, q, plan];
