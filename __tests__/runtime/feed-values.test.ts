/**
 * Raw feeds of the wrong kind are typed errors naming the placeholder (issue 11, items 4
 * and 7): strings are a dtype problem (not NaNs found later by calibration), "x:1" of a
 * Placeholder is FEED_UNKNOWN (not EXECUTION_FAILED wrapping a TypeError). A Float64Array
 * is converted to float32 and gives the Float32Array's result.
 */
import { SessionError } from '../../src/errors';
import { Session } from '../../src/runtime';
import { matMulGraph } from './tiny-graphs';
import { rejectionOf } from '../helpers/errors';

const errorOf = (p: Promise<unknown>) => rejectionOf(p, SessionError);

describe('raw feed values', () => {
  let session: Session;
  beforeAll(async () => {
    session = await Session.create(matMulGraph(), { backend: 'cpu' });
  });
  afterAll(() => session.dispose());

  test('a Float64Array is converted to float32: same result as the Float32Array', async () => {
    const values = [0.1, 1 / 3];
    const f64 = await session.run('y', { x: { data: Float64Array.from(values), shape: [1, 2] } });
    const f32 = await session.run('y', { x: { data: Float32Array.from(values), shape: [1, 2] } });
    expect(f64.dtype).toBe('float32');
    expect(Array.from(f64.data as Float32Array)).toEqual(Array.from(f32.data as Float32Array));
  });

  test.each([
    ['strings', { data: ['1', '2'], shape: [1, 2] }, /holds strings.*placeholder x is float32/],
    ['a string', { data: '12', shape: [1, 2] }, /holds a string as its data/],
    ['mixed elements', { data: [1, '2'], shape: [1, 2] }, /value 1 is the string "2" among numbers/],
    ['null elements', { data: [1, null], shape: [1, 2] }, /value 1 is null/],
    ['an object', { data: { 0: 1, 1: 2, length: 2 }, shape: [1, 2] }, /not an array of values/],
    ['an unknown dtype', { data: [1, 2], shape: [1, 2], dtype: 'float64' }, /dtype "float64", which TensorFlow.js does not have/],
  ])('%s: FEED_DTYPE_MISMATCH naming the placeholder', async (_, value, message) => {
    const e = await errorOf(session.run('y', { x: value as never }));
    expect(e.code).toBe('FEED_DTYPE_MISMATCH');
    expect(e.node).toBe('x');
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  test.each([
    ['no shape', { data: [1, 2] }],
    ['a fractional dimension', { data: [1, 2], shape: [1, 2.5] }],
    ['not an object', 42],
  ])('%s: FEED_SHAPE_MISMATCH', async (_, value) => {
    const e = await errorOf(session.run('y', { x: value as never }));
    expect(e.code).toBe('FEED_SHAPE_MISMATCH');
    expect(e.node).toBe('x');
  });

  test('"x:1" of a Placeholder is FEED_UNKNOWN saying it has only output 0', async () => {
    const e = await errorOf(session.run('y', { 'x:1': { data: [1, 1], shape: [1, 2] } }));
    expect(e.code).toBe('FEED_UNKNOWN');
    expect(e.node).toBe('x');
    expect(e.message).toMatch(/only output 0/);
    expect((await session.run('y', { 'x:0': { data: [1, 1], shape: [1, 2] } })).data).toEqual(Float32Array.from([5.5, 0, 10]));
  });

  test('feeds that are not an object are INVALID_ARGUMENT', async () => {
    expect((await errorOf(session.run('y', [] as never))).code).toBe('INVALID_ARGUMENT');
    expect((await errorOf(session.run('y', 'x' as never))).code).toBe('INVALID_ARGUMENT');
  });
});
