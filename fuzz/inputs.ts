/** Input files of a case: written under the case folder, then checked byte for byte after the run. */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';

/** A case broke a promise other than "typed errors only": an input changed, a bound was passed. */
export class FuzzViolation extends Error {}

const digest = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export interface PlacedInputs {
  /** Absolute path of each named input. */
  paths: Record<string, string>;
  /** Throws FuzzViolation when an input file is gone or its bytes changed. */
  assertUntouched(): Promise<void>;
}

export async function placeInputs(dir: string, files: Record<string, Uint8Array | string>): Promise<PlacedInputs> {
  const paths: Record<string, string> = {};
  const sums = new Map<string, string>();
  for (const [name, bytes] of Object.entries(files)) {
    const file = path.join(dir, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
    paths[name] = file;
    sums.set(file, digest(bytes));
  }
  return {
    paths,
    async assertUntouched() {
      for (const [file, sum] of sums) {
        const now = await fs.readFile(file).catch(() => undefined);
        if (!now || digest(now) !== sum) throw new FuzzViolation(`input ${path.basename(file)} was ${now ? 'modified' : 'removed'}`);
      }
    },
  };
}

/** Runs `fn` and checks the inputs afterwards whether it threw or not (the error, if any, is rethrown). */
export async function withInputs(dir: string, files: Record<string, Uint8Array | string>, fn: (paths: Record<string, string>) => Promise<void>): Promise<void> {
  const placed = await placeInputs(dir, files);
  let failure: unknown;
  let failed = false;
  try {
    await fn(placed.paths);
  } catch (e) {
    failure = e;
    failed = true;
  }
  await placed.assertUntouched();
  if (failed) throw failure;
}
