// The models the planner knows by name, and the JSON config form for others:
// the linear layers (by shape, with how many the model has) and attention.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { TensorfoldError } from '../errors';
import { readOnnxFile } from '../onnx/read';

export const linearSchema = z.object({
  name: z.string().min(1),
  in: z.number().int().positive(),
  out: z.number().int().positive(),
  /** How many layers of the model have this role and shape. */
  count: z.number().int().positive().default(1),
  /** The model's own names of those layers (an ONNX model's nodes), where known. */
  members: z.array(z.string()).optional(),
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
  if (model.endsWith('.onnx')) return loadModel(model).config;
  throw new TensorfoldError('MODEL_UNKNOWN', `unknown model '${model}' (known: ${Object.keys(BUILTIN_MODELS).join(', ')}, or a .json config, or an .onnx model)`);
}

function parseModel(raw: unknown, source: string): ModelConfig {
  const r = modelSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TensorfoldError('MODEL_CONFIG', `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

/** A model's layers, and for a model file with weights (ONNX) each layer's weight as [out, in]. */
export interface LoadedModel {
  config: ModelConfig;
  weights?: Map<string, Float32Array>;
  /** Nodes of the file that are not planned, and why. */
  skipped?: string[];
}

/**
 * resolveModel, plus the weights an ONNX model carries. Its MatMul and Gemm
 * layers are grouped by shape, in the order they first appear: one planned
 * layer per shape, named after its first member and measured for error on
 * that member's weight, standing for all of them (`members`). Attention
 * blocks are not read from ONNX graphs.
 */
export function loadModel(model: string | ModelConfig): LoadedModel {
  if (typeof model !== 'string' || !model.endsWith('.onnx')) return { config: resolveModel(model) };
  const { linears, skipped } = readOnnxFile(model);
  if (linears.length === 0)
    throw new TensorfoldError(
      'MODEL_ONNX',
      `${model}: no linear layers to plan (MatMul or Gemm nodes with a 2-D float32 initializer as weight)${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}`,
    );
  const groups = new Map<string, typeof linears>();
  for (const l of linears) {
    const key = `${l.in}x${l.out}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const layers: LinearLayerSpec[] = [...groups.values()].map((g) => ({ name: g[0].name, in: g[0].in, out: g[0].out, count: g.length, members: g.map((l) => l.name) }));
  const weights = new Map([...groups.values()].map((g) => [g[0].name, g[0].data]));
  return { config: { name: basename(model, '.onnx'), layers }, weights, skipped };
}
