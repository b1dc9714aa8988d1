// A plan: for each linear layer of a model, the format to run it in, with the
// measured latency and error that justified the choice. Versioned JSON,
// validated on load.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TensorfoldError } from '../errors';
import { writeFileAtomic } from './atomic';
import { modelSchema } from './models';

export const PLAN_FORMAT = 'tensorfold-plan';
/** Version 2 added the tt and tucker formats, version 3 low rank with N:M factors and CP; older plans read unchanged (subsets). */
export const PLAN_VERSION = 3;
const READABLE_VERSIONS = [1, 2, 3];

const dims = z.array(z.number().int().positive()).min(1);

export const formatSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dense') }),
  z.object({ kind: z.literal('lowrank'), rank: z.number().int().positive() }),
  z.object({ kind: z.literal('nm'), n: z.number().int().positive(), m: z.number().int().min(2).max(16) }),
  /** Low rank whose two factors are each n:m-sparse along their reduction dim. */
  z.object({ kind: z.literal('lowrank-nm'), rank: z.number().int().positive(), n: z.number().int().positive(), m: z.number().int().min(2).max(16) }),
  /** Tensor train over the tensorization in -> out, with one rank per bond (d - 1). */
  z.object({ kind: z.literal('tt'), in: dims, out: dims, ranks: dims }),
  /** Tucker over in -> out, one rank per mode (outputs then inputs, 2d), refined by `iterations` HOOI sweeps. */
  z.object({ kind: z.literal('tucker'), in: dims, out: dims, ranks: dims, iterations: z.number().int().positive() }),
  /** CP over in -> out at rank ranks[0], from `iterations` ALS sweeps (seed 1). */
  z.object({ kind: z.literal('cp'), in: dims, out: dims, ranks: dims.length(1), iterations: z.number().int().positive() }),
]);

const attentionChoiceSchema = z.object({
  label: z.string(),
  format: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('softmax') }),
    z.object({ kind: z.literal('hash-linear'), bits: z.number().int().min(1).max(256) }),
    z.object({ kind: z.literal('hamming-softmax'), bits: z.number().int().min(1).max(256) }),
  ]),
  error: z.number().nonnegative(),
  ms: z.number().nonnegative(),
});

const attentionPlanSchema = z.object({
  heads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  count: z.number().int().positive(),
  seqLen: z.number().int().positive(),
  sequences: z.number().int().positive(),
  softmax: attentionChoiceSchema,
  choice: attentionChoiceSchema,
  candidates: z.array(attentionChoiceSchema),
  speedup: z.number(),
});

const choiceSchema = z.object({
  label: z.string(),
  format: formatSchema,
  error: z.number().nonnegative(),
  params: z.number().nonnegative(),
  ms: z.number().nonnegative(),
  measured: z.boolean(),
  /** Threads this layer runs on, where fewer than the plan's measured faster. */
  threads: z.number().int().positive().optional(),
});

export const planSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  version: z.number().int(),
  createdAt: z.string(),
  model: modelSchema,
  host: z.object({ cpu: z.string(), tier: z.string(), threads: z.number(), version: z.string() }),
  batch: z.number().int().positive(),
  threads: z.number().int().positive(),
  budget: z.object({ maxError: z.number().optional(), maxParams: z.number().optional(), latencyTargetMs: z.number().optional() }),
  /** True when weights and activations were synthetic; false when the weights came from the model (activations stay synthetic). */
  synthetic: z.boolean(),
  /** A model file's nodes with constant weights that were not planned, and why. */
  skipped: z.array(z.string()).optional(),
  layers: z.array(
    z.object({
      name: z.string(),
      in: z.number().int(),
      out: z.number().int(),
      count: z.number().int(),
      /** The model's own names of the layers this entry stands for (ONNX nodes). */
      members: z.array(z.string()).optional(),
      dense: choiceSchema,
      choice: choiceSchema,
      candidates: z.array(choiceSchema),
    }),
  ),
  total: z.object({ denseMs: z.number(), planMs: z.number(), speedup: z.number(), denseParams: z.number(), planParams: z.number(), maxError: z.number() }),
  pareto: z.array(z.object({ maxError: z.number(), ms: z.number(), speedup: z.number() })),
  budgets: z.array(z.object({ maxError: z.number(), ms: z.number(), speedup: z.number() })),
  predictor: z.object({
    kendallTau: z.number().nullable(),
    meanRelativeError: z.number().nullable(),
    samples: z.number(),
    /** Held-out candidates: predicted against measured ms. */
    points: z.array(z.object({ predicted: z.number(), measured: z.number() })).optional(),
  }),
  measuring: z.object({ seconds: z.number(), measured: z.number(), fromWisdom: z.number(), predicted: z.number(), interrupted: z.boolean() }),
  /**
   * Dense and the finalists (this plan's and each reported budget's choice) timed again after the search,
   * and chosen again on those times until every choice was re-timed: the plan's figures are these.
   */
  remeasured: z
    .object({
      denseMs: z.number(),
      planMs: z.number(),
      speedup: z.number(),
      budgets: z.array(z.object({ maxError: z.number(), ms: z.number(), speedup: z.number() })),
      /** Rounds of re-timing and choosing again, and the kernel calls timed afresh. */
      rounds: z.number().int().nonnegative().optional(),
      calls: z.number().int().nonnegative().optional(),
      /** The speedups the search's own figures gave, before the finalists were timed again. */
      searched: z.object({ speedup: z.number(), budgets: z.array(z.object({ maxError: z.number(), speedup: z.number() })) }).optional(),
    })
    .optional(),
  /** Candidates left out without decomposing: a proven lower bound on their error exceeds every budget weighed. */
  pruned: z.array(z.object({ layer: z.string(), label: z.string(), errorBound: z.number().nonnegative() })).optional(),
  /** The attention blocks: exact softmax or hash attention (absent when the model has none). */
  attention: attentionPlanSchema.optional(),
});

export type Plan = z.infer<typeof planSchema>;
export type PlanChoice = z.infer<typeof choiceSchema>;
export type PlanFormat = z.infer<typeof formatSchema>;

export function savePlan(plan: Plan, file: string): void {
  writeFileAtomic(file, `${JSON.stringify(plan, null, 2)}\n`);
}

/** Reads and validates a plan file; errors point at the offending field. */
export function loadPlan(file: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TensorfoldError('PLAN_INVALID', `cannot read plan ${file}: ${(e as Error).message}`);
  }
  return parsePlan(raw, file);
}

export function parsePlan(raw: unknown, source = 'plan'): Plan {
  const version = (raw as { version?: unknown } | null)?.version;
  if ((raw as { format?: unknown } | null)?.format === PLAN_FORMAT && typeof version === 'number' && !READABLE_VERSIONS.includes(version))
    throw new TensorfoldError(
      'PLAN_VERSION',
      `${source}: plan version ${version} is not supported (this build reads versions ${READABLE_VERSIONS.join(', ')}); make the plan again with this version's tensorfold tune`,
    );
  const r = planSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TensorfoldError('PLAN_INVALID', `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}
