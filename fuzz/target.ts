/** What a fuzz target is: one parser (or flow) driven by seeded, reproducible cases. */
export interface FuzzTarget {
  name: string;
  /** Build and run case `index` deterministically from `rng`; return normally or throw. Files only under `dir`. */
  runCase(rng: () => number, index: number, dir: string): Promise<void>;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}
