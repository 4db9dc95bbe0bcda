/**
 * File access for calibration data: reads that turn fs errors into typed errors naming the
 * file, and an atomic write (temp file in the same folder + rename) so an interrupted dump never
 * leaves a half-written file. Kept local because src/data must stay free of the graph and
 * tfjs layers; it matches the contract of src/io/atomic.ts (DEVELOPING.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import { FileFormatError, describe } from '../errors';

export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(tmp, bytes);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw new FileFormatError('FILE_WRITE_FAILED', `cannot write: ${describe(e)}`, {
      file,
      hint: 'check that the folder exists and is writable',
      cause: e,
    });
  }
}

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
