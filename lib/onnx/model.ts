// Writes small ONNX models from a plain description: the graphs the planner
// and bench/ hand to onnxruntime (peers, and checks of rewritten models).
import { onnx } from 'onnx-proto';

export interface OnnxValue {
  name: string;
  /** Dims; a string is a symbolic dim (e.g. 'batch'). */
  shape: (number | string)[];
}

export interface OnnxInitializer {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number | string | number[]>;
}

export interface OnnxGraph {
  name?: string;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers?: OnnxInitializer[];
  nodes: OnnxNode[];
  opset?: number;
}

function valueInfo(v: OnnxValue): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: number | string | number[]): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(value) };
  if (Array.isArray(value)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

/** Serialises a single-graph ONNX model (IR 8, default opset 17). */
export function buildOnnxModel(g: OnnxGraph): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tensorfold',
    opsetImport: [{ domain: '', version: g.opset ?? 17 }],
    graph: {
      name: g.name ?? 'graph',
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: (g.initializers ?? []).map((t) => ({
        name: t.name,
        dims: t.shape,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      node: g.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
