export { hostFingerprint, fingerprintId, type HostFingerprint } from './fingerprint';
export { Wisdom, defaultWisdomPath, wisdomStatus, type WisdomMeasurement, type WisdomFile, type WisdomStatus } from './wisdom';
export { measureWithWisdom, specKey } from './measure';
export { tune, REPORT_BUDGETS, type TuneOptions, type TuneProgress } from './tune';
export { loadPlan, savePlan, parsePlan, type Plan, type PlanChoice, type PlanFormat } from './plan';
export { BUILTIN_MODELS, resolveModel, type ModelConfig, type LinearLayerSpec } from './models';
export { kendallTau } from './predictor';
export { applyPlan, type ApplyPlanOptions, type PlanWeights, type LayerWeights } from './apply';
export type { ReadyLayer } from './ready';
