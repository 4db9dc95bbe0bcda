/**
 * Atomic file writes: data goes to a temp file in the target's folder (same file system,
 * so rename is atomic), is flushed, then renamed over the target. A crash or error
 * leaves the old file untouched. Outputs that are one of the inputs are refused, since
 * SPEC §8 promises no input file is ever overwritten.
 */
import { randomBytes } from 'crypto';
import { promises as fs, statSync } from 'fs';
import * as path from 'path';
import { FileFormatError } from '../errors';

export interface AtomicWriteOptions {
  /** Files the output must not replace (compared by path, and by inode when both exist). */
  inputs?: readonly string[];
}

function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino; // symlinks, hard links, case-insensitive names
  } catch {
    return false;
  }
}

/** Throws OUTPUT_WOULD_OVERWRITE_INPUT when `target` is one of `inputs`. */
export function assertNotInput(target: string, inputs: readonly string[] = []): void {
  const input = inputs.find((i) => sameFile(target, i));
  if (input !== undefined) {
    throw new FileFormatError('OUTPUT_WOULD_OVERWRITE_INPUT', `refusing to write ${target}: it is the input file ${input}`, {
      file: target,
      hint: 'choose an output path different from the model and files you read',
    });
  }
}

function writeError(target: string, e: unknown): FileFormatError {
  const code = (e as NodeJS.ErrnoException).code;
  const dir = path.dirname(path.resolve(target));
  const hints: Record<string, string> = {
    ENOENT: `the folder ${dir} does not exist; create it first`,
    ENOTDIR: `a part of ${dir} is a file, not a folder`,
    EACCES: `no permission to write in ${dir}`,
    EPERM: `no permission to write in ${dir}`,
    EROFS: `${dir} is on a read-only file system`,
    ENOSPC: 'the disk is full',
    EISDIR: `${target} is a folder; give a file name`,
  };
  return new FileFormatError('FILE_WRITE_FAILED', `cannot write ${target}: ${(e as Error).message}`, {
    file: target,
    hint: (code && hints[code]) ?? 'check the output path',
    cause: e,
  });
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  assertNotInput(target, options.inputs);
  const stat = await fs.stat(target).catch(() => undefined);
  if (stat?.isDirectory()) throw writeError(target, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', stat ? stat.mode & 0o777 : 0o666);
    await handle.writeFile(data);
    await handle.sync(); // the data must be on disk before the rename makes it visible
    await handle.close();
    handle = undefined;
    await fs.rename(temp, target);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw writeError(target, e);
  }
}
