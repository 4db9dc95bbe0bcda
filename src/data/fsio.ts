/**
 * File access for calibration data: reads that turn fs errors into typed errors naming the
 * file. Writes go through src/io/atomic.ts (imported directly, so src/data stays free of
 * the graph codec and tfjs).
 */
import * as fs from 'fs';
import { FileFormatError, describe } from '../errors';

/** Reads a whole file; a missing or unreadable file becomes a FileFormatError naming it. */
export async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.promises.readFile(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new FileFormatError(missing ? 'FILE_NOT_FOUND' : 'FILE_READ_FAILED', missing ? 'file not found' : `cannot read: ${describe(e)}`, {
      file,
      hint: missing ? 'check the path' : 'check the file permissions',
      cause: e,
    });
  }
}

export { writeFileAtomic } from '../io/atomic';
