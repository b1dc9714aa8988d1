import { describe, expect, it } from 'vitest';
import { decomposeSync, FactorizedLinear, randn } from '../../lib/index';
import { SHAPE } from './helpers';

describe('serialization', () => {
  it.each(['lowrank', 'tt', 'tucker', 'cp'] as const)('%s round-trips through bytes and objects', (format) => {
    const w = randn([48, 60], 2);
    const layer = decomposeSync(w, { format, ranks: format === 'tucker' ? [6, 3, 2, 4] : 3, bias: randn([60], 3), iterations: 5, ...(format === 'lowrank' ? {} : { shape: SHAPE }) });
    const bytes = layer.serialize();
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('TFFL');
    const back = FactorizedLinear.deserialize(bytes);
    const x = randn([5, 48], 4);
    expect(back.forwardSync(x).data).toEqual(layer.forwardSync(x).data);
    expect(back.format).toBe(format);
    expect(back.ranks).toEqual(layer.ranks);
    expect(back.weightError).toBe(layer.weightError);
    expect(back.toDense().data).toEqual(layer.toDense().data);
    const obj = layer.toObject();
    const again = FactorizedLinear.fromObject(obj);
    expect(again.factors[0].tensor.data).toBe(obj.factors[0]); // shared, not copied
    expect(again.forwardSync(x).data).toEqual(layer.forwardSync(x).data);
    // error() needs the reference once the layer is deserialized.
    expect(() => back.error(x)).toThrow(/holds no reference weight/);
    expect(back.error(x, w)).toBeCloseTo(layer.error(x), 10);
  });

  it('rejects corrupt input with clear errors', () => {
    const layer = decomposeSync(randn([48, 60], 2), { format: 'tt', shape: SHAPE, ranks: 3 });
    const bytes = layer.serialize();
    expect(() => FactorizedLinear.deserialize(new Uint8Array([1, 2, 3]))).toThrow(/no TFFL magic/);
    expect(() => FactorizedLinear.deserialize(bytes.subarray(0, bytes.length - 4))).toThrow(/factor G2 needs floats/);
    const badVersion = Uint8Array.from(bytes);
    badVersion[4] = 9;
    expect(() => FactorizedLinear.deserialize(badVersion)).toThrow(/format version 9 is not supported/);
    const obj = layer.toObject();
    expect(() => FactorizedLinear.fromObject({ ...obj, factors: obj.factors.slice(1) })).toThrow(/factors must hold 2 Float32Arrays/);
    const nan = obj.factors.map((f) => Float32Array.from(f));
    nan[1][0] = NaN;
    expect(() => FactorizedLinear.fromObject({ ...obj, factors: nan })).toThrow(/factor G2 holds a non-finite value at 0/);
    const wrongShape = { ...obj.header, factors: [{ ...obj.header.factors[0], shape: [1, 6, 6, 4] }, obj.header.factors[1]] };
    const f0 = new Float32Array(144);
    expect(() => FactorizedLinear.fromObject({ header: wrongShape, factors: [f0, obj.factors[1]] })).toThrow(RangeError);
    expect(() => FactorizedLinear.fromObject({ header: { ...obj.header, format: 'svd' }, factors: obj.factors })).toThrow(/unknown format "svd"/);
  });
});
