/** Fuzz target "pb" (fuzz/targets): the CI budget of seeded cases. */
import { fuzzTest } from './campaign';

fuzzTest('pb', 200);
