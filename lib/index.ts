// The public surface of tensorfold.
export { TensorfoldError } from './errors';
export { Tensor, tensor, zeros, randn, type Shape, type TensorLike, type OrtTensorLike, type TfjsTensorLike } from './tensor';
export { matmul, matmulSync, type MatmulOptions } from './matmul';
export { packWeight, PackedWeight, type PackWeightOptions } from './packed';
export { info, setThreads, getThreads, version, type Info } from './runtime';
export { measureKernel, type Measurement, type MeasureOptions, type MeasureSpec } from './measure';
export {
  einsum,
  einsumSync,
  contractPath,
  PathInfo,
  ELLIPSIS,
  type EinsumOptions,
  type ContractPathOptions,
  type OptimizeOption,
  type OptimizerName,
  type PathStep,
  type StepKind,
  type ShapeLike,
  type SublistItem,
} from './einsum';
export * from './sparse/index';
export * from './planner/index';
export { onnxWeights } from './onnx/read';
export * from './attention/index';
export * from './factorize/index';
