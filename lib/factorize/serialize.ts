// A layer as bytes: "TFFL", a uint32 format version and a uint32 header
// length (little-endian), the JSON header, zero padding to a multiple of 8,
// then the float32 blob: every factor (in header order) and the bias, each
// at the offset the header gives. In memory the same header pairs with the
// Float32Arrays themselves.
import { FORMATS, Format } from './network';

export const MAGIC = 'TFFL';
export const VERSION = 1;

export interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Float32 offset into the blob. */
  readonly offset: number;
}

export interface LayerHeader {
  readonly format: Format;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly shape: { readonly in: readonly number[]; readonly out: readonly number[] };
  readonly ranks: readonly number[];
  /** The weight this came from was [N_out, N_in] (torch Linear, ONNX Gemm transB). */
  readonly transpose: boolean;
  readonly factors: readonly TensorEntry[];
  readonly bias: { readonly offset: number } | null;
  readonly weightError: number;
  readonly outputError: number | null;
  readonly report: Record<string, unknown>;
}

export interface LayerData {
  readonly header: LayerHeader;
  /** One per header.factors entry. */
  readonly factors: readonly Float32Array[];
  readonly bias: Float32Array | null;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

export function encode(d: LayerData): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(d.header));
  const head = 12 + json.length;
  const pad = (8 - (head % 8)) % 8;
  const floats = d.factors.reduce((p, f) => p + f.length, 0) + (d.bias ? d.bias.length : 0);
  const out = new Uint8Array(head + pad + floats * 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  const base = head + pad;
  const write = (arr: Float32Array, offset: number) => {
    for (let i = 0; i < arr.length; i++) view.setFloat32(base + (offset + i) * 4, arr[i], true);
  };
  d.header.factors.forEach((e, i) => write(d.factors[i], e.offset));
  if (d.bias && d.header.bias) write(d.bias, d.header.bias.offset);
  return out;
}

function fail(msg: string): never {
  throw new RangeError(`FactorizedLinear.deserialize: ${msg}`);
}

function isDims(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => Number.isInteger(v) && v >= 1);
}

/** Checks a header's structure; sizes against the blob are checked by the caller. */
export function checkHeader(h: unknown): LayerHeader {
  if (h === null || typeof h !== 'object') fail('the header is not an object');
  const o = h as Record<string, unknown>;
  if (!FORMATS.includes(o.format as Format)) fail(`unknown format ${JSON.stringify(o.format)} (known: ${FORMATS.join(', ')})`);
  if (!Number.isInteger(o.inFeatures) || (o.inFeatures as number) < 1) fail('inFeatures must be a positive integer');
  if (!Number.isInteger(o.outFeatures) || (o.outFeatures as number) < 1) fail('outFeatures must be a positive integer');
  const shape = o.shape as { in?: unknown; out?: unknown } | undefined;
  if (!shape || !isDims(shape.in) || !isDims(shape.out) || shape.in.length !== shape.out.length)
    fail('shape must be { in, out }: equally long lists of positive integers');
  if (sizeOf(shape.in) !== o.inFeatures || sizeOf(shape.out) !== o.outFeatures) fail('shape does not multiply to inFeatures and outFeatures');
  if (!isDims(o.ranks)) fail('ranks must be a list of positive integers');
  if (typeof o.transpose !== 'boolean') fail('transpose must be a boolean');
  if (!Array.isArray(o.factors) || o.factors.length === 0) fail('factors must be a non-empty list');
  for (const f of o.factors as unknown[]) {
    const e = f as Record<string, unknown>;
    if (typeof e?.name !== 'string' || !isDims(e.shape) || !Number.isInteger(e.offset) || (e.offset as number) < 0)
      fail('each factor needs a name, a shape of positive integers and an offset');
  }
  if (o.bias !== null && (typeof o.bias !== 'object' || !Number.isInteger((o.bias as { offset?: unknown }).offset)))
    fail('bias must be null or { offset }');
  if (typeof o.weightError !== 'number') fail('weightError must be a number');
  if (o.outputError !== null && typeof o.outputError !== 'number') fail('outputError must be a number or null');
  if (o.report === null || typeof o.report !== 'object') fail('report must be an object');
  return o as unknown as LayerHeader;
}

export function decode(bytes: Uint8Array): LayerData {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('FactorizedLinear.deserialize: bytes must be a Uint8Array');
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) fail('not a serialized factorized layer (no TFFL magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) fail(`format version ${version} is not supported (this build reads ${VERSION})`);
  const len = view.getUint32(8, true);
  if (12 + len > bytes.length) fail(`the header claims ${len} bytes but only ${bytes.length - 12} follow`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
  } catch {
    fail('the header is not valid JSON');
  }
  const header = checkHeader(parsed);
  const head = 12 + len;
  const base = head + ((8 - (head % 8)) % 8);
  const floats = Math.floor((bytes.length - base) / 4);
  const read = (offset: number, count: number, what: string) => {
    if (offset + count > floats) fail(`${what} needs floats [${offset}, ${offset + count}) but the blob holds ${floats}`);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(base + (offset + i) * 4, true);
    return out;
  };
  const factors = header.factors.map((e) => read(e.offset, sizeOf(e.shape), `factor ${e.name}`));
  const bias = header.bias ? read(header.bias.offset, header.outFeatures, 'the bias') : null;
  return { header, factors, bias };
}
