// Lowers a planned einsum to a program. The planner's path fixes which
// operands each step combines; this decides how: views instead of copies
// where strides allow, one kernel per step kind, intermediates in one arena,
// and the last step writing into the output wherever its layout permits.

import { Consumer } from './layout';
import { EinsumSpec } from './parse';
import { PathInfo } from './pathinfo';
import { contractPair, freshFor } from './pairwise';
import { Program, ProgramBuilder } from './program';
import { View, operandView, outputView } from './view';

/** A step over one operand: a view when nothing is summed, else a reduce-sum. */
function single(b: ProgramBuilder, v: View, result: readonly number[], dst: View | null, next: Consumer | null): View {
  if (v.ids.every((id) => result.includes(id))) return v;
  const target = dst ?? freshFor(b, result, [v], next);
  b.sumProduct([v], target);
  b.release(v);
  return target;
}

/** A step over three or more operands (no path, or a memory limit): one loop over all their indices. */
function several(b: ProgramBuilder, views: readonly View[], result: readonly number[], dst: View | null, next: Consumer | null): View {
  const target = dst ?? freshFor(b, result, views, next);
  b.sumProduct(views, target);
  for (const v of views) b.release(v);
  return target;
}

export function lower(spec: EinsumSpec, info: PathInfo): Program {
  const sizes = spec.indices.map((x) => x.size);
  const b = new ProgramBuilder(sizes);
  // An index of size 0 empties the output, or sums nothing into it: zeros
  // either way, and a fresh output array already holds them.
  if (sizes.includes(0)) return b.finish(spec.outputShape);

  const output = outputView(spec.output, sizes);
  const n = spec.inputs.length;
  const lastStep = info.steps.length - 1;
  const live = (ids: readonly number[]) => [...new Set(ids)].filter((id) => sizes[id] !== 1);

  // Operands by handle: inputs are 0..n-1, the result of step s is n + s.
  // A first pass finds, for each handle, the step that consumes it and the
  // handles it meets there.
  const consumedBy = new Map<number, { step: number; others: number[] }>();
  const order = Array.from({ length: n }, (_, i) => i);
  info.steps.forEach((step, s) => {
    const taken = step.operands.map((pos) => order.splice(pos, 1)[0]);
    for (const h of taken) consumedBy.set(h, { step: s, others: taken.filter((x) => x !== h) });
    order.push(n + s);
  });
  const views = new Map<number, View>();
  const consumerOf = (h: number): Consumer | null => {
    const use = consumedBy.get(h);
    if (!use) return null;
    const known = use.others.map((o) => views.get(o) ?? null);
    const others = use.others.map((o, i) => known[i]?.ids ?? live(o < n ? spec.inputs[o] : info.steps[o - n].result));
    const result = live(info.steps[use.step].result);
    return { others, known, result, output: use.step === lastStep ? output.ids : null };
  };

  const current: number[] = Array.from({ length: n }, (_, i) => i);
  spec.inputs.forEach((ids, k) => views.set(k, operandView(k, spec.shapes[k], ids)));
  info.steps.forEach((step, s) => {
    // Same bookkeeping as PathInfo: positions highest first, result appended.
    const takenHandles = step.operands.map((pos) => current.splice(pos, 1)[0]);
    const taken = takenHandles.map((h) => views.get(h)!);
    for (const h of takenHandles) views.delete(h);
    const last = s === lastStep;
    const needed = new Set(output.ids);
    for (const h of current) for (const id of views.get(h)!.ids) needed.add(id);
    const span: number[] = [];
    for (const v of taken) for (const id of v.ids) if (!span.includes(id)) span.push(id);
    const result = span.filter((id) => needed.has(id));
    const dst = last ? output : null;
    const next = last ? null : consumerOf(n + s);
    let made: View;
    if (taken.length === 1) made = single(b, taken[0], result, dst, next);
    else if (taken.length === 2) made = contractPair(b, taken[0], taken[1], result, dst, next);
    else made = several(b, taken, result, dst, next);
    current.push(n + s);
    views.set(n + s, made);
  });
  const final = views.get(current[0])!;
  if (final.buf.kind !== 'output') {
    b.permute(final, output);
    b.release(final);
  }
  return b.finish(spec.outputShape);
}
