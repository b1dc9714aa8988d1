// Factorized linear layers: low rank, tensor train, Tucker and CP.
export { decompose, decomposeSync, type DecomposeOptions } from './decompose';
export { FactorizedLinear, type ForwardOptions, type FactorTensor } from './layer';
export { tensorizations, type TensorizationOptions } from './tensorize';
export { FORMATS, type Format } from './network';
export type { ForwardPlan } from './plan';
export type { LoweredStep } from './chain';
export type { LayerHeader } from './serialize';
export type { TuneResult, TuneTiming } from './tune';
