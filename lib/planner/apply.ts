// applyPlan: a plan and a model's dense weights to layers ready to run, each
// in the format the plan chose. Every argument is checked before any
// decomposition starts, so a bad call fails fast and names what to fix.
import { checkBool, checkInt, describe, checkOptions } from '../check';
import { TensorfoldError } from '../errors';
import { asTensor, Tensor, type TensorLike } from '../tensor';
import { parsePlan, type Plan } from './plan';
import { buildReadyLayer, type ReadyLayer } from './ready';

/** A layer's weight [out, in] (y = x·Wᵀ, torch Linear's layout) and optional bias [out]. */
export interface LayerWeights {
  weight: TensorLike | Float32Array;
  bias?: TensorLike | Float32Array;
}

export type PlanWeights = Record<string, TensorLike | Float32Array | LayerWeights> | Map<string, TensorLike | Float32Array | LayerWeights>;

export interface ApplyPlanOptions {
  /**
   * Activations [..., in] by layer name: those layers then report their
   * output error on them, and N:M layers (and N:M factors) prune by |w|·‖x_j‖ on them (as the
   * planner does) rather than by magnitude. Factorizations stay weight-only,
   * as planned.
   */
  calibration?: Record<string, TensorLike | Float32Array> | Map<string, TensorLike | Float32Array>;
  /** Threads each call may use (default: the plan's). */
  threads?: number;
  /** Time the factorized layers' contraction paths on the plan's batch, so forward runs the fastest (default true). */
  tune?: boolean;
}

const OPTION_NAMES = ['calibration', 'threads', 'tune'];
type PlanLayer = Plan['layers'][number];

function entriesOf(value: unknown, what: string): Map<string, unknown> {
  if (value instanceof Map) return value as Map<string, unknown>;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value))
    throw new TypeError(`${what} must be an object or a Map from layer name to weights, got ${describe(value)}`);
  return new Map(Object.entries(value));
}

/** A Float32Array is taken as [rows, cols] row-major; a tensor must have that shape (or hold rows·cols values in 1-D). */
function tensorOf(value: unknown, what: string, rows: number, cols: number, role: string): Tensor {
  const t = value instanceof Float32Array ? new Tensor(value, [value.length]) : asTensor(value, what);
  const exact = t.rank === 2 && t.shape[0] === rows && t.shape[1] === cols;
  const flat = t.rank === 1 && t.size === rows * cols;
  if (!exact && !flat) {
    const transposed = t.rank === 2 && t.shape[0] === cols && t.shape[1] === rows;
    throw new RangeError(
      `${what} must be ${role} = [${rows}, ${cols}] as the plan says, got shape [${t.shape.join(', ')}]` +
        (transposed ? ' (that is [in, out]: transpose it; the plan uses y = x·Wᵀ)' : ''),
    );
  }
  return exact ? t : new Tensor(t.data, [rows, cols]);
}

function weightsOf(entry: unknown, l: PlanLayer, fn: string): { weight: Tensor; bias: Tensor | null } {
  const what = `${fn}: weights['${l.name}']`;
  const split = entry !== null && typeof entry === 'object' && !ArrayBuffer.isView(entry) && 'weight' in entry;
  const w = split ? (entry as LayerWeights).weight : entry;
  const weight = tensorOf(w, split ? `${what}.weight` : what, l.out, l.in, '[out, in]');
  const b = split ? (entry as LayerWeights).bias : undefined;
  if (b === undefined) return { weight, bias: null };
  const bt = b instanceof Float32Array ? new Tensor(b, [b.length]) : asTensor(b, `${what}.bias`);
  if (bt.size !== l.out) throw new RangeError(`${what}.bias must hold the layer's ${l.out} output features, got shape [${bt.shape.join(', ')}]`);
  return { weight, bias: new Tensor(bt.data, [l.out]) };
}

function calibrationOf(value: unknown, l: PlanLayer, fn: string): Tensor {
  const what = `${fn}: options.calibration['${l.name}']`;
  const t = value instanceof Float32Array ? new Tensor(value, [value.length]) : asTensor(value, what);
  if (t.size === 0 || t.size % l.in !== 0 || (t.rank > 1 && t.shape[t.rank - 1] !== l.in))
    throw new RangeError(`${what} must be activations [..., ${l.in}] (the layer's input features), got shape [${t.shape.join(', ')}]`);
  return new Tensor(t.data, [t.size / l.in, l.in]);
}

/** A hand-made or edited plan's format must fit its layer. */
function checkFormat(l: PlanLayer, fn: string): void {
  const f = l.choice.format;
  const where = `${fn}: plan layer '${l.name}' (${l.out}x${l.in}) chooses ${l.choice.label}`;
  if (f.kind === 'lowrank' && f.rank > Math.min(l.in, l.out)) throw new RangeError(`${where}: rank ${f.rank} exceeds min(out, in) = ${Math.min(l.in, l.out)}`);
  if (f.kind === 'nm' || f.kind === 'lowrank-nm') {
    if (f.n >= f.m) throw new RangeError(`${where}: n = ${f.n} must be below m = ${f.m}`);
    if (l.in % f.m) throw new RangeError(`${where}: the ${l.in} input features are not a multiple of m = ${f.m}`);
  }
  if (f.kind === 'lowrank-nm') {
    if (f.rank > Math.min(l.in, l.out)) throw new RangeError(`${where}: rank ${f.rank} exceeds min(out, in) = ${Math.min(l.in, l.out)}`);
    if (f.rank % f.m) throw new RangeError(`${where}: rank ${f.rank} is not a multiple of m = ${f.m}`);
  }
  if (f.kind === 'tt' || f.kind === 'tucker' || f.kind === 'cp') {
    const prod = (a: number[]) => a.reduce((p, x) => p * x, 1);
    if (prod(f.in) !== l.in) throw new RangeError(`${where}: shape in [${f.in.join(', ')}] multiplies to ${prod(f.in)}, the layer has ${l.in} input features`);
    if (prod(f.out) !== l.out) throw new RangeError(`${where}: shape out [${f.out.join(', ')}] multiplies to ${prod(f.out)}, the layer has ${l.out} output features`);
    if (f.in.length !== f.out.length) throw new RangeError(`${where}: shape in and out need as many factors, got ${f.in.length} and ${f.out.length}`);
    const want = f.kind === 'tt' ? f.in.length - 1 : f.kind === 'cp' ? 1 : 2 * f.in.length;
    const what = f.kind === 'tt' ? 'one per bond' : f.kind === 'cp' ? 'the CP rank' : 'one per mode, outputs then inputs';
    if (f.ranks.length !== want) throw new RangeError(`${where}: ${f.kind} needs ${want} rank${want > 1 ? 's' : ''} (${what}), got ${f.ranks.length}`);
  }
}

/**
 * Builds every layer of `plan` from its dense weight: `weights` maps each plan
 * layer's name to its weight [out, in] (or `{ weight, bias }`); a plan layer
 * with `members` (planned from an ONNX model) needs each member's, by the
 * member's name (`onnxWeights(file)` reads them all). Resolves to the ready
 * layers by name, in plan order.
 */
export async function applyPlan(plan: Plan | unknown, weights: PlanWeights, options?: ApplyPlanOptions): Promise<Record<string, ReadyLayer>> {
  const fn = 'applyPlan';
  const p = parsePlan(plan, `${fn}: plan`);
  const o = checkOptions(options, fn, OPTION_NAMES) as ApplyPlanOptions;
  // A thread count given here overrides the plan's, including per-layer ones.
  const threads = o.threads === undefined ? undefined : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
  const tune = o.tune === undefined ? true : checkBool(o.tune, `${fn}: options.tune`);
  const given = entriesOf(weights, `${fn}: weights`);
  const calibration = o.calibration === undefined ? new Map<string, unknown>() : entriesOf(o.calibration, `${fn}: options.calibration`);

  // A plan layer that stands for several of the model's layers (an ONNX
  // model's nodes of one shape) is built once for each of them, by its own name.
  const layers = p.layers.flatMap((l) => (l.members ?? [l.name]).map((name) => ({ ...l, name, of: l.members ? l.name : undefined })));
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) throw new RangeError(`${fn}: the plan names layer '${l.name}' twice; layer names must be unique`);
    names.add(l.name);
  }
  const missing = layers.filter((l) => !given.has(l.name));
  if (missing.length)
    throw new TensorfoldError(
      'PLAN_WEIGHT_MISSING',
      `${fn}: weights has no entry for plan layer${missing.length > 1 ? 's' : ''} ${missing
        .map((l) => `'${l.name}' ([out, in] = [${l.out}, ${l.in}]${l.of && l.of !== l.name ? `, planned as '${l.of}'` : ''})`)
        .join(', ')}`,
    );
  for (const k of calibration.keys())
    if (!names.has(k)) throw new RangeError(`${fn}: options.calibration['${k}'] names no plan layer (plan layers: ${[...names].map((n) => `'${n}'`).join(', ')})`);
  const inputs = layers.map((l) => {
    checkFormat(l, fn);
    const c = calibration.get(l.name);
    return { l, ...weightsOf(given.get(l.name), l, fn), calibration: c === undefined ? undefined : calibrationOf(c, l, fn) };
  });

  const out: Record<string, ReadyLayer> = {};
  for (const { l, weight, bias, calibration: x } of inputs)
    out[l.name] = await buildReadyLayer({
      name: l.name,
      label: l.choice.label,
      format: l.choice.format,
      weight,
      bias,
      calibration: x,
      threads: threads ?? l.choice.threads ?? p.threads,
      tuneBatch: tune ? p.batch : 0,
    });
  return out;
}
