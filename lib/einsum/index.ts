// Public surface of einsum: the native executor, parsing, path planning and
// the float64 reference.

export { einsum, einsumSync, clearEinsumCache } from './einsum';
export type { EinsumOptions } from './einsum';
export { parseEinsum, LETTERS } from './parse';
export type { EinsumIndex, EinsumSpec } from './parse';
export { interleavedToSubscripts, ELLIPSIS } from './interleaved';
export type { SublistItem } from './interleaved';
export { contractPath, planPath, pathProblem, clearPathCache, OPTIMIZERS, AUTO_OPTIMAL_MAX, AUTO_DP_MAX } from './paths';
export type { ContractPathOptions, OptimizeOption, OptimizerName, ShapeLike } from './paths';
export { PathInfo, classifyStep } from './pathinfo';
export type { PathStep, StepKind } from './pathinfo';
export { flopCount } from './problem';
export type { Path, PathProblem } from './problem';
export { einsumReference } from './reference';
export type { ReferenceOperand, ReferenceResult } from './reference';
