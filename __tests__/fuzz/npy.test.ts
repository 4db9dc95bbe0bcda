/** Fuzz target "npy" (fuzz/targets): the CI budget of seeded cases. */
import { fuzzTest } from './campaign';

fuzzTest('npy', 200);
