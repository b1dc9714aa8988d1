// Einsum expressions shared by the tests and the benchmarks: the execution
// cases of einsum.test.ts, and the expressions paths.test.ts plans (with the
// shapes it gives them). bench/suites/einsum-paths.mjs compares the FLOPs of
// our paths on all of them with NumPy's einsum_path. Plain JavaScript so
// that both vitest and the benchmarks (which run without a TypeScript
// loader) can import it.

/** Expressions einsum.test.ts runs against the float64 reference, by group: { sub, shapes }. */
export const EXECUTE_CASES = {
  'matrix products': [
    { sub: 'ij,jk->ik', shapes: [[7, 9], [9, 5]] },
    { sub: 'ij,jk', shapes: [[7, 9], [9, 5]] },
    { sub: 'ij,jk->ki', shapes: [[7, 9], [9, 5]] },
    { sub: 'ji,jk->ik', shapes: [[9, 7], [9, 5]] },
    { sub: 'ij,kj->ik', shapes: [[7, 9], [5, 9]] },
    { sub: 'ji,kj->ki', shapes: [[9, 7], [5, 9]] },
    { sub: 'ik,kj->ij', shapes: [[64, 130], [130, 33]] },
    { sub: 'ijk,jkl->il', shapes: [[4, 3, 5], [3, 5, 6]] },
    { sub: 'ijk,kjl->il', shapes: [[4, 3, 5], [5, 3, 6]] },
    { sub: 'ijk,jlk->li', shapes: [[4, 3, 5], [3, 6, 5]] },
    { sub: 'AbC,bCd->dA', shapes: [[3, 4, 2], [4, 2, 5]] },
  ],
  'batched products': [
    { sub: 'bij,bjk->bik', shapes: [[3, 6, 7], [3, 7, 5]] },
    { sub: 'ibj,bjk->bik', shapes: [[6, 3, 7], [3, 7, 5]] },
    { sub: 'bij,bkj->bik', shapes: [[3, 6, 7], [3, 5, 7]] },
    { sub: 'bji,bjk->ibk', shapes: [[3, 7, 6], [3, 7, 5]] },
    { sub: 'bij,bjk->kib', shapes: [[3, 6, 7], [3, 7, 5]] },
    { sub: 'bhqd,bhkd->bhqk', shapes: [[2, 3, 5, 8], [2, 3, 6, 8]] },
    { sub: 'bhqk,bhkd->bqhd', shapes: [[2, 3, 5, 6], [2, 3, 6, 8]] },
    { sub: 'bik,kj->bij', shapes: [[4, 5, 6], [6, 3]] },
    { sub: 'abij,bajk->abik', shapes: [[2, 3, 4, 5], [3, 2, 5, 2]] },
  ],
  'vectors, dots and elementwise products': [
    { sub: 'i,i', shapes: [[11], [11]] },
    { sub: 'i,i->', shapes: [[11], [11]] },
    { sub: 'i,i->i', shapes: [[11], [11]] },
    { sub: 'i,j->ij', shapes: [[4], [6]] },
    { sub: 'i,j->ji', shapes: [[4], [6]] },
    { sub: 'i,j,k->kij', shapes: [[2], [3], [4]] },
    { sub: 'ij,ij->ij', shapes: [[5, 6], [5, 6]] },
    { sub: 'ij,ji->ij', shapes: [[5, 6], [6, 5]] },
    { sub: 'ij,ij->', shapes: [[5, 6], [5, 6]] },
    { sub: 'bi,bi->b', shapes: [[7, 9], [7, 9]] },
    { sub: 'ib,bi->b', shapes: [[9, 7], [7, 9]] },
    { sub: 'ij,j->i', shapes: [[8, 5], [5]] },
    { sub: 'j,ij->i', shapes: [[5], [8, 5]] },
    { sub: 'i,ij->j', shapes: [[8], [8, 5]] },
    { sub: 'bk,bkn->bn', shapes: [[3, 7], [3, 7, 6]] },
    { sub: 'bij,bj->bi', shapes: [[3, 4, 7], [3, 7]] },
    { sub: 'ij,kl->ijkl', shapes: [[2, 3], [4, 2]] },
    { sub: 'ij,kl->', shapes: [[2, 3], [4, 2]] },
  ],
  'diagonals and traces': [
    { sub: 'ii', shapes: [[6, 6]] },
    { sub: 'ii->', shapes: [[6, 6]] },
    { sub: 'ii->i', shapes: [[6, 6]] },
    { sub: 'iij->j', shapes: [[3, 3, 4]] },
    { sub: 'iij->ij', shapes: [[3, 3, 4]] },
    { sub: 'ijij->ij', shapes: [[3, 4, 3, 4]] },
    { sub: 'iii->i', shapes: [[3, 3, 3]] },
    { sub: 'ii,ij->j', shapes: [[4, 4], [4, 5]] },
    { sub: 'ij,jj->i', shapes: [[3, 4], [4, 4]] },
    { sub: 'bii,bij->bj', shapes: [[2, 4, 4], [2, 4, 3]] },
  ],
  'single operand: permutes and reductions': [
    { sub: 'ij', shapes: [[3, 4]] },
    { sub: 'ij->ij', shapes: [[3, 4]] },
    { sub: 'ij->ji', shapes: [[37, 45]] },
    { sub: 'ji', shapes: [[3, 4]] },
    { sub: 'ijk->kji', shapes: [[3, 4, 5]] },
    { sub: 'ijk->jki', shapes: [[3, 4, 5]] },
    { sub: 'ij->i', shapes: [[6, 7]] },
    { sub: 'ij->j', shapes: [[6, 7]] },
    { sub: 'ijk->j', shapes: [[3, 4, 5]] },
    { sub: 'ijk->ki', shapes: [[3, 4, 5]] },
    { sub: 'ij->', shapes: [[6, 7]] },
    { sub: 'i->', shapes: [[1000]] },
  ],
  'one side summed, mixed kinds': [
    { sub: 'ij,jk->i', shapes: [[3, 4], [4, 5]] },
    { sub: 'ij,kl->il', shapes: [[3, 4], [5, 6]] },
    { sub: 'ijk,jl->il', shapes: [[3, 4, 5], [4, 6]] },
    { sub: 'ij,jk->ijk', shapes: [[3, 4], [4, 5]] },
    { sub: 'ij,ik->ijk', shapes: [[3, 4], [3, 5]] },
    { sub: 'bij,bjk->bij', shapes: [[2, 3, 4], [2, 4, 5]] },
  ],
  scalars: [
    { sub: '->', shapes: [[]] },
    { sub: ',->', shapes: [[], []] },
    { sub: ',', shapes: [[], []] },
    { sub: 'i,->i', shapes: [[5], []] },
    { sub: ',ij->ji', shapes: [[], [3, 4]] },
    { sub: 'ij,,jk->ik', shapes: [[3, 4], [], [4, 2]] },
  ],
  'ellipsis broadcasting': [
    { sub: '...ij,...jk->...ik', shapes: [[2, 3, 4, 5], [2, 3, 5, 6]] },
    { sub: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [5, 4, 2]] },
    { sub: '...ij,...jk', shapes: [[3, 4, 5], [5, 6]] },
    { sub: '...ii->...i', shapes: [[2, 3, 4, 4]] },
    { sub: 'i...->...', shapes: [[3, 4, 5]] },
    { sub: '...,...->...', shapes: [[3, 1], [1, 4]] },
    { sub: '...i,...i->...', shapes: [[2, 3, 6], [3, 6]] },
    { sub: 'i...j,j...k->...ik', shapes: [[3, 2, 4], [4, 2, 5]] },
    { sub: '...->...', shapes: [[]] },
    { sub: 'ij...,jk...->ik...', shapes: [[3, 4], [4, 5]] },
  ],
  'size-1 broadcasting': [
    { sub: 'ij,ij->ij', shapes: [[3, 1], [1, 4]] },
    { sub: 'ij,jk->ik', shapes: [[3, 1], [5, 4]] },
    { sub: 'ij,jk->ik', shapes: [[3, 5], [1, 4]] },
    { sub: 'bij,bjk->bik', shapes: [[1, 3, 4], [5, 4, 2]] },
    { sub: 'bij,bjk->bik', shapes: [[5, 3, 4], [1, 4, 2]] },
    { sub: 'ij,i->ij', shapes: [[4, 5], [1]] },
    { sub: 'ii->i', shapes: [[1, 1]] },
    { sub: 'i,i->', shapes: [[1], [7]] },
  ],
  'chains and networks': [
    { sub: 'ij,jk,kl->il', shapes: [[5, 6], [6, 7], [7, 4]] },
    { sub: 'ij,jk,kl,lm->mi', shapes: [[3, 4], [4, 5], [5, 6], [6, 2]] },
    { sub: 'bi,iaj,jck,kdl->bacdl', shapes: [[6, 4], [4, 2, 5], [5, 3, 4], [4, 2, 3]] },
    { sub: 'ab,bc,cd,da->', shapes: [[3, 4], [4, 5], [5, 6], [6, 3]] },
    { sub: 'abc,cde,efa->bdf', shapes: [[2, 3, 4], [4, 3, 2], [2, 3, 2]] },
    { sub: 'ea,fb,abcd,gc,hd->efgh', shapes: [[3, 2], [3, 3], [2, 3, 4, 2], [2, 4], [3, 2]] },
    { sub: 'ij,ij,ij->ij', shapes: [[3, 4], [3, 4], [3, 4]] },
    { sub: 'i,ij,j->', shapes: [[4], [4, 5], [5]] },
    { sub: 'a,b,c,d,e->', shapes: [[2], [3], [2], [3], [2]] },
    // A tensor-train layer: its last step writes the narrow output through a transposed intermediate.
    { sub: 'bijk,iap,pjcq,qkd->bacd', shapes: [[4, 2, 2, 3], [2, 2, 3], [3, 2, 2, 3], [3, 3, 5]] },
  ],
  // Index groups that no single stride walks, read by the GEMM's packing
  // through offset tables (offset-tables.test.ts checks that they are): the
  // weight on the right with its columns in runs of 17, few rows, and past
  // the 256-deep k and 1024-wide column blocks; A on the right after a swap,
  // on the left, and batched.
  'operands read through offset tables': [
    { sub: 'bijk,jciakd->bacd', shapes: [[5, 2, 3, 4], [3, 7, 2, 5, 4, 17]] },
    { sub: 'bijk,jciakd->bacd', shapes: [[2, 2, 3, 4], [3, 7, 2, 5, 4, 17]] },
    { sub: 'bijk,jciakd->bacd', shapes: [[13, 4, 8, 9], [8, 7, 4, 3, 9, 50]] },
    { sub: 'xiyj,xyn->nij', shapes: [[5, 24, 6, 17], [5, 6, 29]] },
    { sub: 'xiyj,xyn->ijn', shapes: [[6, 9, 6, 40], [6, 6, 37]] },
    { sub: 'bxiyj,bxyn->bijn', shapes: [[2, 5, 9, 6, 40], [2, 5, 6, 37]] },
  ],
  'zero-size dimensions': [
    { sub: 'ij,jk->ik', shapes: [[3, 0], [0, 4]] },
    { sub: 'ij,jk->ik', shapes: [[0, 3], [3, 4]] },
    { sub: 'ij->', shapes: [[0, 3]] },
    { sub: 'i,i->i', shapes: [[0], [1]] },
  ],
};

// opt_einsum's test sizes (opt_einsum.testing), as paths.test.ts uses them.
const DEFAULT_DIMS = Object.fromEntries([...'abcdefghijklmopqABC'].map((c, i) => [c, [2, 3, 4, 5, 4, 3, 2, 6, 5, 4, 3, 2, 5, 7, 4, 3, 2, 3, 4][i]]));
const dims = (sub, size = (c) => DEFAULT_DIMS[c]) => sub.split('->')[0].split(',').map((t) => [...t].map(size));
const all20 = (sub) => dims(sub, () => 20);
const C10 = [10, 10];

/** Expressions paths.test.ts plans, with its shapes: { sub, shapes }. */
export const PATH_CASES = [
  { sub: 'ij,jk,kl->il', shapes: [[2, 2], [2, 5], [5, 2]] },
  { sub: 'ij,jk,kl->il', shapes: [[3, 4], [4, 5], [5, 6]] },
  { sub: 'ea,fb,abcd,gc,hd->efgh', shapes: [C10, C10, [10, 10, 10, 10], C10, C10] },
  { sub: 'bgk,bkd,bk->bgd', shapes: [[64, 8, 4096], [64, 4096, 128], [64, 4096]] },
  ...['eb,cb,fb->cef', 'dd,fb,be,cdb->cef', 'bca,cdb,dbf,afc->', 'dcc,fce,ea,dbf->ab', 'abc,bdef,fghj,cem,mhk,ljk->adgl'].map((sub) => ({ sub, shapes: dims(sub) })),
  ...['a,ac,ab,ad,cd,bd,bc->', 'abc,cfd,dbe,efa'].map((sub) => ({ sub, shapes: all20(sub) })),
  { sub: 'abd,ac,bdc->', shapes: [[1, 2, 4], [1, 3], [2, 4, 3]] },
  { sub: 'ab,cd,ef,fg', shapes: [C10, C10, C10, [10, 2]] },
  { sub: 'a,b,abc->c', shapes: [[2], [2], [2, 2, 3]] },
  { sub: 'nlp,nlq,pl->n', shapes: [[1, 1, 1], [1, 1, 1], [1, 1]] },
  { sub: 'a,bcd,efg->', shapes: [[2], [2, 2, 2], [2, 2, 2]] },
  ...['a,->a', 'ab,->ab', ',a,->a', ',,a,->a', ',,->'].map((sub) => ({ sub, shapes: dims(sub) })),
  { sub: '...ij,...jk,...kl->...il', shapes: [[2, 1, 2, 3], [3, 3, 4], [1, 4, 2]] },
  { sub: '...ij,...jk,...kl', shapes: [[2, 3], [5, 3, 4], [4, 2]] },
  { sub: 'ii,ij,jk->k', shapes: [[3, 3], [1, 4], [4, 2]] },
  { sub: 'bij,bjk,bkl,b->bil', shapes: [[2, 2, 3], [1, 3, 4], [2, 4, 2], [2]] },
  { sub: 'i...,...j,j->...', shapes: [[2, 3, 1], [3, 1, 4], [4]] },
  { sub: ',ij,,jk->ik', shapes: [[], [2, 3], [], [3, 2]] },
];
