// Reads the linear layers of an ONNX model for the planner: MatMul and Gemm
// nodes whose weight (second input) is a 2-D float32 initializer. Products
// of two activations (attention scores) and other ops are not layers.
import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { TensorfoldError } from '../errors';
import { Tensor } from '../tensor';

export interface OnnxLinear {
  /** The node's name, or its op and weight when it has none (unique in the model). */
  name: string;
  /** The initializer that holds the weight. */
  weight: string;
  in: number;
  out: number;
  /** The weight as [out, in], row-major (torch's Linear layout), whatever the node's own. */
  data: Float32Array;
}

export interface OnnxLinears {
  linears: OnnxLinear[];
  /** Nodes with a constant weight that are not read, and why. */
  skipped: string[];
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

function weightData(t: onnx.ITensorProto, count: number): Float32Array | string {
  if (t.dataType !== FLOAT) return `is not float32 (ONNX data type ${t.dataType})`;
  if (t.dataLocation === EXTERNAL) return 'is stored outside the model file (external data)';
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== 4 * count) return `holds ${raw.length} bytes where its dims need ${4 * count}`;
    // A copy (raw is a view, at any offset, of the file's buffer). ONNX stores little-endian, as this host does.
    return new Float32Array(new Uint8Array(raw).buffer);
  }
  const floats = t.floatData ?? [];
  if (floats.length !== count) return `holds ${floats.length} values where its dims need ${count}`;
  return Float32Array.from(floats);
}

function transposed(b: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(b.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = b[i * cols + j];
  return t;
}

function intAttribute(node: onnx.INodeProto, name: string): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? 0 : Number(a.i);
}

/** The linear layers of an ONNX model's bytes; `source` names the file in errors. */
export function readOnnxLinears(bytes: Uint8Array, source: string): OnnxLinears {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new TensorfoldError('MODEL_ONNX', `${source}: not a readable ONNX model (${(e as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new TensorfoldError('MODEL_ONNX', `${source}: the ONNX model has no graph`);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const linears: OnnxLinear[] = [];
  const skipped: string[] = [];
  const names = new Set<string>();
  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    if (op !== 'MatMul' && op !== 'Gemm') continue;
    const weight = node.input?.[1] ?? '';
    const init = initializers.get(weight);
    if (!init) continue;  // two activations: not a layer
    let name = node.name || `${op}(${weight})`;
    for (let i = 2; names.has(name); i++) name = `${node.name || `${op}(${weight})`}#${i}`;
    const dims = (init.dims ?? []).map(Number);
    if (dims.length !== 2 || dims.some((d) => !(d > 0))) {
      skipped.push(`${name}: weight ${weight} has dims [${dims.join(', ')}], not a matrix`);
      continue;
    }
    const data = weightData(init, dims[0] * dims[1]);
    if (typeof data === 'string') {
      skipped.push(`${name}: weight ${weight} ${data}`);
      continue;
    }
    names.add(name);
    // MatMul and Gemm without transB multiply by B = [in, out]; Gemm with transB by Bᵀ, B = [out, in].
    const asOutIn = op === 'Gemm' && intAttribute(node, 'transB') !== 0;
    const [inF, outF] = asOutIn ? [dims[1], dims[0]] : dims;
    linears.push({ name, weight, in: inF, out: outF, data: asOutIn ? data : transposed(data, dims[0], dims[1]) });
  }
  return { linears, skipped };
}

/** readOnnxLinears on a file. */
export function readOnnxFile(file: string): OnnxLinears {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new TensorfoldError('MODEL_CONFIG', `cannot read ONNX model ${file}: ${(e as Error).message}`);
  }
  return readOnnxLinears(bytes, file);
}

/** An ONNX file's linear layers' weights as [out, in] tensors, by layer name: what applyPlan takes for a plan made from that file. */
export function onnxWeights(file: string): Map<string, Tensor> {
  return new Map(readOnnxFile(file).linears.map((l) => [l.name, new Tensor(l.data, [l.out, l.in])]));
}
