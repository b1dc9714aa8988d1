// Decompositions are written once, as generators that yield each heavy
// native call (SVD, QR, float64 GEMM, Cholesky, triangular solve) instead of
// making it. A sync driver runs those calls on the calling thread; an async
// driver awaits their Promise forms on the compute pool, so `decompose` keeps
// the event loop free while `decomposeSync` stays simple.
import { native, type DgemmCall, type QrCall, type SvdCall, type TrsmCall } from '../native';

export type Op =
  | { readonly kind: 'svd'; readonly call: SvdCall }
  | { readonly kind: 'qr'; readonly call: QrCall }
  | { readonly kind: 'dgemm'; readonly call: DgemmCall }
  | { readonly kind: 'cholesky'; readonly call: { a: Float64Array; n: number } }
  | { readonly kind: 'trsm'; readonly call: TrsmCall };

/** An algorithm that yields native calls and returns T. */
export type Gen<T> = Generator<Op, T, unknown>;

export interface SvdStatus {
  sweeps: number;
  converged: boolean;
}

function execSync(op: Op): unknown {
  const nat = native();
  switch (op.kind) {
    case 'svd':
      return nat.svd(op.call);
    case 'qr':
      return nat.qr(op.call);
    case 'dgemm':
      return nat.dgemm(op.call);
    case 'cholesky':
      return nat.cholesky(op.call);
    default:
      return nat.trsm(op.call);
  }
}

function execAsync(op: Op): Promise<unknown> {
  const nat = native();
  switch (op.kind) {
    case 'svd':
      return nat.svdAsync(op.call);
    case 'qr':
      return nat.qrAsync(op.call);
    case 'dgemm':
      return nat.dgemmAsync(op.call);
    case 'cholesky':
      return nat.choleskyAsync(op.call);
    default:
      return nat.trsmAsync(op.call);
  }
}

export function runSync<T>(gen: Gen<T>): T {
  let r = gen.next();
  while (!r.done) r = gen.next(execSync(r.value));
  return r.value;
}

export async function runAsync<T>(gen: Gen<T>): Promise<T> {
  let r = gen.next();
  while (!r.done) r = gen.next(await execAsync(r.value));
  return r.value;
}

export function* svdOp(call: SvdCall): Gen<SvdStatus> {
  return (yield { kind: 'svd', call }) as SvdStatus;
}

export function* qrOp(call: QrCall): Gen<void> {
  yield { kind: 'qr', call };
}

export function* dgemmOp(call: DgemmCall): Gen<void> {
  yield { kind: 'dgemm', call };
}

/** -1 on success, else the column whose pivot was not positive. */
export function* choleskyOp(a: Float64Array, n: number): Gen<number> {
  return (yield { kind: 'cholesky', call: { a, n } }) as number;
}

export function* trsmOp(call: TrsmCall): Gen<boolean> {
  return (yield { kind: 'trsm', call }) as boolean;
}
