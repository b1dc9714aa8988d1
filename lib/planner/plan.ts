// A plan: for each linear layer of a model, the format to run it in, with the
// measured latency and error that justified the choice. Versioned JSON,
// validated on load.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TensorfoldError } from '../errors';
import { writeFileAtomic } from './atomic';
import { modelSchema } from './models';

export const PLAN_FORMAT = 'tensorfold-plan';
export const PLAN_VERSION = 1;

export const formatSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dense') }),
  z.object({ kind: z.literal('lowrank'), rank: z.number().int().positive() }),
  z.object({ kind: z.literal('nm'), n: z.number().int().positive(), m: z.number().int().min(2).max(16) }),
]);

const choiceSchema = z.object({
  label: z.string(),
  format: formatSchema,
  error: z.number().nonnegative(),
  params: z.number().nonnegative(),
  ms: z.number().nonnegative(),
  measured: z.boolean(),
});

export const planSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  version: z.literal(PLAN_VERSION),
  createdAt: z.string(),
  model: modelSchema,
  host: z.object({ cpu: z.string(), tier: z.string(), threads: z.number(), version: z.string() }),
  batch: z.number().int().positive(),
  threads: z.number().int().positive(),
  budget: z.object({ maxError: z.number().optional(), maxParams: z.number().optional(), latencyTargetMs: z.number().optional() }),
  /** True when weights and activations were synthetic (no trained weights given). */
  synthetic: z.boolean(),
  layers: z.array(
    z.object({
      name: z.string(),
      in: z.number().int(),
      out: z.number().int(),
      count: z.number().int(),
      dense: choiceSchema,
      choice: choiceSchema,
      candidates: z.array(choiceSchema),
    }),
  ),
  total: z.object({ denseMs: z.number(), planMs: z.number(), speedup: z.number(), denseParams: z.number(), planParams: z.number(), maxError: z.number() }),
  pareto: z.array(z.object({ maxError: z.number(), ms: z.number(), speedup: z.number() })),
  budgets: z.array(z.object({ maxError: z.number(), ms: z.number(), speedup: z.number() })),
  predictor: z.object({ kendallTau: z.number().nullable(), meanRelativeError: z.number().nullable(), samples: z.number() }),
  measuring: z.object({ seconds: z.number(), measured: z.number(), fromWisdom: z.number(), predicted: z.number(), interrupted: z.boolean() }),
});

export type Plan = z.infer<typeof planSchema>;
export type PlanChoice = z.infer<typeof choiceSchema>;

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
  const r = planSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TensorfoldError('PLAN_INVALID', `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}
