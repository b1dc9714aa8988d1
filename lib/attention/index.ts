// Binarized hash attention: codes, hash functions, the two attention modes,
// streaming decode, exact softmax attention and the operation accounting.
export { HashCodes, packCodes, unpackCodes, hammingDistances, type HammingDistances } from './codes';
export {
  simhash,
  hashCodes,
  hashCodesAsync,
  type HashFunction,
  type HashKind,
  type SimHashFunction,
  type KernelHashFunction,
  type SimhashOptions,
  type HashCodesOptions,
} from './hash';
export { fitHash, type FitHashOptions, type FitHashResult } from './fit';
export { hashQuality, type HashQuality, type HashQualityOptions } from './quality';
export {
  hashAttention,
  hashAttentionSync,
  type HashAttentionOptions,
  type HashAttentionResult,
  type HashAttentionMode,
} from './hash-attention';
export { softmaxAttention, softmaxAttentionSync, type SoftmaxAttentionOptions, type SoftmaxAttentionResult } from './softmax';
export { HashAttentionState, type HashAttentionStateOptions } from './state';
export type { LinearVariant } from './linear';
export type { AttentionError } from './compare';
export { ENERGY_MODEL, type OpCounts } from './ops-accounting';
export { structuredAttentionInputs, type StructuredOptions, type StructuredInputs } from './synthetic';
