// The compressed N:M weight. Its values and metadata live in native memory,
// validated once when made, so no later change from JavaScript can send a
// kernel out of bounds.
import { TensorfoldError } from '../errors';
import { native } from '../native';
import { Tensor } from '../tensor';
import { decodeNM, nmLayout, type NMLayout } from './layout';

const MAGIC = 'TFNM';
const FORMAT_VERSION = 1;

export interface NMSerialHeader {
  magic: 'TFNM';
  version: number;
  rows: number;
  k: number;
  n: number;
  m: number;
  bits: number;
  valueBytes: number;
  indexBytes: number;
}

export class NMSparseMatrix {
  /** [rows, k]: the product is x [.., k] · Wᵀ → [.., rows]. */
  readonly shape: readonly [number, number];
  readonly n: number;
  readonly m: number;
  /** @internal */
  readonly handle: unknown;
  /** @internal */
  readonly layout: NMLayout;

  /** @internal Use nmCompress() or NMSparseMatrix.deserialize(). */
  constructor(values: Float32Array, indices: Uint8Array, rows: number, k: number, n: number, m: number) {
    this.layout = nmLayout(rows, k, n, m);
    this.handle = native().nmCreate({ rows, k, n, m, values, indices });
    this.shape = Object.freeze([rows, k]) as readonly [number, number];
    this.n = n;
    this.m = m;
  }

  /** Kept fraction: n / m. */
  get density(): number {
    return this.n / this.m;
  }

  /** Bytes held: values (float32) plus index metadata (bits per kept value), padding rows included. */
  get bytes(): number {
    return this.layout.valueCount * 4 + this.layout.indexBytes;
  }

  /** Copies of the stored values and index records (docs/nm-format.md). */
  export(): { values: Float32Array; indices: Uint8Array } {
    const e = native().nmExport(this.handle);
    return { values: e.values, indices: e.indices };
  }

  toDense(): Tensor {
    const { values, indices } = this.export();
    return new Tensor(decodeNM(values, indices, this.layout), [this.layout.rows, this.layout.k]);
  }

  /** A self-describing blob: 4-byte header length, JSON header, values, index records. */
  serialize(): Uint8Array {
    const { values, indices } = this.export();
    const header: NMSerialHeader = {
      magic: MAGIC,
      version: FORMAT_VERSION,
      rows: this.layout.rows,
      k: this.layout.k,
      n: this.n,
      m: this.m,
      bits: this.layout.bits,
      valueBytes: values.byteLength,
      indexBytes: indices.byteLength,
    };
    const head = new TextEncoder().encode(JSON.stringify(header));
    const valueStart = Math.ceil((4 + head.length) / 4) * 4; // values 4-byte aligned
    const out = new Uint8Array(valueStart + values.byteLength + indices.byteLength);
    new DataView(out.buffer).setUint32(0, head.length, true);
    out.set(head, 4);
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), valueStart);
    out.set(indices, valueStart + values.byteLength);
    return out;
  }

  /** Reads a serialized matrix; a corrupt or truncated blob throws, never reads out of bounds. */
  static deserialize(bytes: Uint8Array): NMSparseMatrix {
    const fail = (why: string): never => {
      throw new TensorfoldError('NM_CORRUPT', `NMSparseMatrix.deserialize: ${why}`);
    };
    if (!(bytes instanceof Uint8Array)) throw new TypeError('NMSparseMatrix.deserialize: bytes must be a Uint8Array');
    if (bytes.length < 4) fail(`${bytes.length} bytes is too short for a header`);
    const headLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    if (4 + headLen > bytes.length) fail(`header length ${headLen} runs past the ${bytes.length}-byte blob`);
    let h: NMSerialHeader;
    try {
      h = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headLen)));
    } catch {
      return fail('header is not JSON');
    }
    if (h.magic !== MAGIC) fail(`magic is ${JSON.stringify(h.magic)}, expected "${MAGIC}"`);
    if (h.version !== FORMAT_VERSION) fail(`format version ${h.version} is not supported (this build reads ${FORMAT_VERSION})`);
    for (const f of ['rows', 'k', 'n', 'm', 'bits', 'valueBytes', 'indexBytes'] as const)
      if (!Number.isSafeInteger(h[f]) || h[f] < 0) fail(`header field ${f} = ${JSON.stringify(h[f])} is not a non-negative integer`);
    if (h.m < 2 || h.m > 16 || h.n < 1 || h.n >= h.m || h.k % h.m !== 0) fail(`pattern ${h.n}:${h.m} with k = ${h.k} is not valid`);
    const L = nmLayout(h.rows, h.k, h.n, h.m);
    if (h.bits !== L.bits || h.valueBytes !== L.valueCount * 4 || h.indexBytes !== L.indexBytes)
      fail(`sizes do not match the layout of a ${h.rows} x ${h.k} ${h.n}:${h.m} matrix`);
    const valueStart = Math.ceil((4 + headLen) / 4) * 4;
    if (valueStart + h.valueBytes + h.indexBytes !== bytes.length)
      fail(`blob is ${bytes.length} bytes, the header describes ${valueStart + h.valueBytes + h.indexBytes}`);
    const values = new Float32Array(h.valueBytes / 4);
    new Uint8Array(values.buffer).set(bytes.subarray(valueStart, valueStart + h.valueBytes));
    const indices = bytes.slice(valueStart + h.valueBytes);
    try {
      return new NMSparseMatrix(values, indices, h.rows, h.k, h.n, h.m);
    } catch (e) {
      return fail((e as Error).message);
    }
  }
}
