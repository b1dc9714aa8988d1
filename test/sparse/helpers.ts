// Re-exports for the sparse tests, plus a seeded generator.
export { nmCompress, nmMatmul, nmMatmulSync, nmPrune, NMSparseMatrix, TensorfoldError } from '../../lib/index';
export { xoshiro128 as xoshiroForTests } from '../../lib/tensor';
