// The models the planner knows by name, and the JSON config form for others:
// the linear layers (by shape, with how many the model has) and attention.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TensorfoldError } from '../errors';

export const linearSchema = z.object({
  name: z.string().min(1),
  in: z.number().int().positive(),
  out: z.number().int().positive(),
  /** How many layers of the model have this role and shape. */
  count: z.number().int().positive().default(1),
});

export const modelSchema = z.object({
  name: z.string().min(1),
  layers: z.array(linearSchema).min(1),
  attention: z
    .object({ heads: z.number().int().positive(), headDim: z.number().int().positive(), count: z.number().int().positive() })
    .optional(),
});

export type LinearLayerSpec = z.infer<typeof linearSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;

function encoder(name: string, hidden: number, ffn: number, blocks: number, heads: number, fusedQkv = false): ModelConfig {
  const layers: LinearLayerSpec[] = fusedQkv
    ? [{ name: 'attention.qkv', in: hidden, out: 3 * hidden, count: blocks }]
    : [
        { name: 'attention.query', in: hidden, out: hidden, count: blocks },
        { name: 'attention.key', in: hidden, out: hidden, count: blocks },
        { name: 'attention.value', in: hidden, out: hidden, count: blocks },
      ];
  layers.push(
    { name: 'attention.output', in: hidden, out: hidden, count: blocks },
    { name: 'ffn.up', in: hidden, out: ffn, count: blocks },
    { name: 'ffn.down', in: ffn, out: hidden, count: blocks },
  );
  return { name, layers, attention: { heads, headDim: hidden / heads, count: blocks } };
}

export const BUILTIN_MODELS: Record<string, ModelConfig> = {
  'bert-base': encoder('bert-base', 768, 3072, 12, 12),
  'bert-large': encoder('bert-large', 1024, 4096, 24, 16),
  distilbert: encoder('distilbert', 768, 3072, 6, 12),
  'vit-b16': encoder('vit-b16', 768, 3072, 12, 12),
  'gpt2-small': encoder('gpt2-small', 768, 3072, 12, 12, true),
};

/** A built-in name, a path to a JSON config, or a config object. */
export function resolveModel(model: string | ModelConfig): ModelConfig {
  if (typeof model !== 'string') return parseModel(model, 'model');
  if (model in BUILTIN_MODELS) return BUILTIN_MODELS[model];
  if (model.endsWith('.json')) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(model, 'utf8'));
    } catch (e) {
      throw new TensorfoldError('MODEL_CONFIG', `cannot read model config ${model}: ${(e as Error).message}`);
    }
    return parseModel(raw, model);
  }
  if (model.endsWith('.onnx'))
    throw new TensorfoldError('MODEL_UNSUPPORTED', `ONNX models are not supported by the planner yet (${model}); describe the layers in a JSON config`);
  throw new TensorfoldError('MODEL_UNKNOWN', `unknown model '${model}' (known: ${Object.keys(BUILTIN_MODELS).join(', ')}, or a .json config)`);
}

function parseModel(raw: unknown, source: string): ModelConfig {
  const r = modelSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TensorfoldError('MODEL_CONFIG', `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}
