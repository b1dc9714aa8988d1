import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { applyPlan, onnxWeights, parsePlan, resolveModel, tune, Wisdom } from '../../lib/index';
import { buildOnnxModel } from '../../lib/onnx/model';
import { readOnnxLinears } from '../../lib/onnx/read';
import { loadModel } from '../../lib/planner/models';

const dir = mkdtempSync(join(tmpdir(), 'tf-onnx-'));

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/** x [t, 48] -> MatMul W1 [48, 64] -> Gemm W2ᵀ (W2 [64, 64], transB) -> MatMul W3 [64, 64] -> y; plus q·kᵀ of two activations. */
function model() {
  const w1 = seeded(48 * 64, 1), w2 = seeded(64 * 64, 2), w3 = seeded(64 * 64, 3);
  const bytes = buildOnnxModel({
    inputs: [{ name: 'x', shape: ['t', 48] }],
    outputs: [{ name: 'y', shape: ['t', 64] }, { name: 's', shape: ['t', 't'] }],
    initializers: [
      { name: 'W1', shape: [48, 64], data: w1 },
      { name: 'W2', shape: [64, 64], data: w2 },
      { name: 'W3', shape: [64, 64], data: w3 },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['h1'] },
      { op: 'Gemm', inputs: ['h1', 'W2'], outputs: ['h2'], attributes: { transB: 1 } },
      { op: 'MatMul', inputs: ['h2', 'W3'], outputs: ['y'] },
      { op: 'Transpose', inputs: ['h2'], outputs: ['h2t'] },
      { op: 'MatMul', inputs: ['h2', 'h2t'], outputs: ['s'] },
    ],
  });
  return { bytes, w1, w2, w3 };
}

describe('ONNX models for the planner', () => {
  it('reads MatMul and Gemm weights as [out, in], and skips products of two activations', () => {
    const { bytes, w1, w2, w3 } = model();
    const { linears, skipped } = readOnnxLinears(bytes, 'm.onnx');
    expect(skipped).toEqual([]);
    expect(linears.map((l) => [l.name, l.weight, l.in, l.out])).toEqual([
      ['MatMul_0', 'W1', 48, 64],
      ['Gemm_1', 'W2', 64, 64],
      ['MatMul_2', 'W3', 64, 64],
    ]);
    // MatMul's B is [in, out]: transposed. Gemm with transB holds [out, in] already.
    for (let o = 0; o < 64; o++) for (const i of [0, 17, 47]) expect(linears[0].data[o * 48 + i]).toBe(w1[i * 64 + o]);
    expect(Array.from(linears[1].data)).toEqual(Array.from(w2));
    for (let o = 0; o < 64; o++) for (const i of [0, 31, 63]) expect(linears[2].data[o * 64 + i]).toBe(w3[i * 64 + o]);

    // Nameless nodes are named by op and weight, uniquely.
    const m = onnx.ModelProto.decode(bytes);
    for (const n of m.graph!.node!) n.name = '';
    m.graph!.node![0].input![1] = 'W3';
    const unnamed = readOnnxLinears(onnx.ModelProto.encode(m).finish(), 'm.onnx').linears.map((l) => l.name);
    expect(unnamed).toEqual(['MatMul(W3)', 'Gemm(W2)', 'MatMul(W3)#2']);
  });

  it('groups layers by shape, and plans them on their own weights', async () => {
    const { bytes, w2, w3 } = model();
    const file = join(dir, 'small.onnx');
    writeFileSync(file, bytes);
    const loaded = loadModel(file);
    expect(loaded.config.name).toBe('small');
    expect(loaded.config.layers).toEqual([
      { name: 'MatMul_0', in: 48, out: 64, count: 1, members: ['MatMul_0'] },
      { name: 'Gemm_1', in: 64, out: 64, count: 2, members: ['Gemm_1', 'MatMul_2'] },
    ]);
    expect(Array.from(loaded.weights!.get('Gemm_1')!)).toEqual(Array.from(w2));
    expect(resolveModel(file)).toEqual(loaded.config);

    const plan = await tune(file, { batch: 16, calibrationTokens: 64, budgetSeconds: 30, maxError: 0.5, wisdom: Wisdom.memory() });
    expect(parsePlan(JSON.parse(JSON.stringify(plan)))).toBeTruthy();
    expect(plan.synthetic).toBe(false);
    expect(plan.layers.map((l) => [l.name, l.count, l.members])).toEqual([
      ['MatMul_0', 1, ['MatMul_0']],
      ['Gemm_1', 2, ['Gemm_1', 'MatMul_2']],
    ]);
    // Errors are measured on the model's weights: these uniform random ones have a flat
    // spectrum, so a low rank loses far more than on the synthetic σ_i = (1+i)^-0.5 of the same shape.
    const synthetic = await tune({ name: 'same-shape', layers: [{ name: 'l', in: 64, out: 64 }] }, { batch: 16, calibrationTokens: 64, budgetSeconds: 30, maxError: 0.5, wisdom: Wisdom.memory() });
    const rankError = (cs: typeof synthetic.layers[0]['candidates']) =>
      new Map(cs.flatMap((c) => (c.format.kind === 'lowrank' ? [[c.format.rank, c.error] as const] : [])));
    const given = rankError(plan.layers[1].candidates), drawn = rankError(synthetic.layers[0].candidates);
    const common = [...given.keys()].filter((r) => drawn.has(r));
    expect(common.length).toBeGreaterThan(0);
    for (const r of common) expect(given.get(r)!, `rank ${r}`).toBeGreaterThan(drawn.get(r)!);

    // The plan applies to every member, each from its own weight, read from the same file.
    const weights = onnxWeights(file);
    expect([...weights.keys()]).toEqual(['MatMul_0', 'Gemm_1', 'MatMul_2']);
    expect(weights.get('MatMul_0')!.shape).toEqual([64, 48]);
    const ready = await applyPlan(plan, weights, { tune: false });
    expect(Object.keys(ready)).toEqual(['MatMul_0', 'Gemm_1', 'MatMul_2']);
    // Each member runs its own weight: W3 [in, out] of the file, here as the layer's Ŵᵀ.
    const planned = plan.layers[1].choice;
    const w3hat = ready['MatMul_2'].toDense().data;
    let diff = 0, norm = 0;
    for (let o = 0; o < 64; o++)
      for (let i = 0; i < 64; i++) {
        diff += (w3hat[o * 64 + i] - w3[i * 64 + o]) ** 2;
        norm += w3[i * 64 + o] ** 2;
      }
    expect(ready['MatMul_2'].label).toBe(planned.label);
    expect(Math.sqrt(diff / norm)).toBeCloseTo(ready['MatMul_2'].weightError, 5);
    expect(Math.sqrt(diff / norm)).toBeLessThan(planned.format.kind === 'dense' ? 1e-7 : 1);
    weights.delete('MatMul_2');
    await expect(applyPlan(plan, weights)).rejects.toThrow(/no entry for plan layer 'MatMul_2' \(\[out, in\] = \[64, 64\], planned as 'Gemm_1'\)/);
  });

  it('says what is wrong with a file it cannot plan', () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(() => loadModel(bad)).toThrow(/bad\.onnx: not a readable ONNX model/);
    expect(() => loadModel(join(dir, 'missing.onnx'))).toThrow(/cannot read ONNX model .*missing\.onnx/);

    // Only an int8 weight and a 3-D one: nothing to plan, and the reasons listed.
    const g = onnx.ModelProto.decode(
      buildOnnxModel({
        inputs: [{ name: 'x', shape: [4, 8] }],
        outputs: [{ name: 'y', shape: [4, 8] }],
        initializers: [
          { name: 'Q', shape: [8, 8], data: new Float32Array(64) },
          { name: 'T', shape: [2, 8, 8], data: new Float32Array(128) },
        ],
        nodes: [
          { op: 'MatMul', inputs: ['x', 'Q'], outputs: ['h'] },
          { op: 'MatMul', inputs: ['h', 'T'], outputs: ['y'] },
        ],
      }),
    );
    const q = g.graph!.initializer!.find((t) => t.name === 'Q')!;
    q.dataType = onnx.TensorProto.DataType.INT8;
    q.rawData = new Uint8Array(64);
    const none = join(dir, 'none.onnx');
    writeFileSync(none, onnx.ModelProto.encode(g).finish());
    expect(() => loadModel(none)).toThrow(/no linear layers to plan.*weight Q is not float32.*weight T has dims \[2, 8, 8\]/);
  });
});
