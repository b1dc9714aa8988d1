export { nmPrune, type NMPruneOptions, type NMPruneResult } from './prune';
export { nmCompress, type NMCompressOptions } from './compress';
export { NMSparseMatrix, type NMSerialHeader } from './matrix';
export { nmMatmul, nmMatmulSync, type NMMatmulOptions } from './matmul';
