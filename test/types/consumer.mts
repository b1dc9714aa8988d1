// Type-checks the ESM face, default and named imports.
import tf, { matmulSync, randn, type Tensor } from 'tensorfold';

const a: Tensor = randn([2, 2], 0);
const b: Tensor = matmulSync(a, a);
const t: Tensor = tf.zeros([1]);
// @ts-expect-error shapes are number arrays
randn('2x2');
void [b, t];
