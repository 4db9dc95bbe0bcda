/** Fuzz target "model-json" (fuzz/targets): the CI budget of seeded cases. */
import { fuzzTest } from './campaign';

fuzzTest('model-json', 200);
