/** mulberry32 (fuzz/rng.ts): a small seeded PRNG giving the same numbers on every machine, so a failing case can be replayed. */
export { mulberry32 as rng } from '../../fuzz/rng';
