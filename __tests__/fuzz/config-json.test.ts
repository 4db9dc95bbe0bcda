/** Fuzz target "config-json" (fuzz/targets): the CI budget of seeded cases. */
import { fuzzTest } from './campaign';

fuzzTest('config-json', 200);
