// The async einsum runs on the compute pool: the event loop keeps turning
// while it works, and einsums in flight at once do not share intermediates.
import { describe, expect, it } from 'vitest';
import { einsum, einsumSync } from '../../lib/index';
import { boundRatio, operands } from './bound';

describe('einsum (async)', () => {
  it('does not block the event loop', async () => {
    const ops = operands([[64, 96], [96, 200], [200, 160], [160, 96]], 1);
    let ticks = 0;
    let running = true;
    const spin = () => {
      ticks++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const pending = einsum('ij,jk,kl,lm->im', ...ops);
    const before = ticks;
    const r = await pending.finally(() => (running = false));
    // Returning the promise ran no step; the loop turned while steps ran.
    expect(before).toBe(0);
    expect(ticks).toBeGreaterThan(0);
    // (Too large for the reference's full loop; the sync form is checked against it elsewhere.)
    expect(Array.from(r.data)).toEqual(Array.from(einsumSync('ij,jk,kl,lm->im', ...ops).data));
  });

  it('runs several einsums at once, each with its own intermediates', async () => {
    const subs = ['ij,jk,kl->il', 'bij,bjk->bik', 'ii,ij,jk->k', 'ab,bc,cd,da->'];
    const shapes = [
      [[20, 30], [30, 40], [40, 10]],
      [[3, 20, 30], [3, 30, 10]],
      [[20, 20], [20, 30], [30, 5]],
      [[10, 20], [20, 30], [30, 40], [40, 10]],
    ];
    const inputs = shapes.map((s, i) => operands(s, 40 + i));
    const results = await Promise.all(subs.flatMap((sub, i) => [einsum(sub, ...inputs[i]), einsum(sub, ...inputs[i], { threads: 1 })]));
    subs.forEach((sub, i) => {
      const want = einsumSync(sub, ...inputs[i]);
      for (const r of [results[2 * i], results[2 * i + 1]]) {
        expect(r.shape).toEqual(want.shape);
        expect(boundRatio(sub, inputs[i], r.data).ratio).toBeLessThanOrEqual(1);
      }
    });
  });
});
