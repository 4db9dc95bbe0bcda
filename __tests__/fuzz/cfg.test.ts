/** Fuzz target "cfg" (fuzz/targets): the CI budget of seeded cases. */
import { fuzzTest } from './campaign';

fuzzTest('cfg', 200);
