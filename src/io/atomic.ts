/**
 * Atomic file writes: data goes to a temp file in the target's folder (same file system,
 * so rename is atomic), is flushed, then renamed over the target. A crash or error
 * leaves the old file untouched. Outputs that are one of the inputs are refused, since
 * SPEC §8 promises no input file is ever overwritten, and so are paths that hold
 * something other than a regular file (a device such as /dev/null, a FIFO, a socket, a
 * folder): rename would replace it. Temps a killed writer left behind (their pid is
 * dead) are removed on the next write to the same folder.
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

/** What a non-regular file is, in words. */
function kindOf(stat: import('fs').Stats): string {
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Throws unless `target` is absent or a regular file (a symlink counts as what it points
 * to): a folder is FILE_WRITE_FAILED, a device, FIFO or socket OUTPUT_NOT_REGULAR_FILE.
 * Writers call it for every output before writing any.
 */
export function assertWritableTarget(target: string, inputs: readonly string[] = []): void {
  assertNotInput(target, inputs);
  let stat: import('fs').Stats;
  try {
    stat = statSync(target);
  } catch {
    return; // absent (or unreadable: the write itself will say why)
  }
  if (stat.isDirectory()) throw writeError(target, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  if (!stat.isFile()) {
    throw new FileFormatError('OUTPUT_NOT_REGULAR_FILE', `refusing to write ${target}: it is ${kindOf(stat)}, and writing would replace it with a regular file`, {
      file: target,
      hint: 'give the path of a regular file (or of one that does not exist yet)',
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

/** `.<name>.<pid>.<12 hex>.tmp`: the temps this module makes, and only those. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function tempFor(target: string): string {
  return path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Removes temps of our naming whose writer is gone (killed mid-write). A live writer's
 * temps (another process, or this one) are left alone. Best effort: errors are ignored.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const file = path.join(dir, name);
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat?.isFile()) continue;
    if (await fs.unlink(file).then(() => true, () => false)) removed.push(file);
  }
  return removed;
}

/** Most bytes one write is given: a write's length must fit an int32. */
const MAX_WRITE = 2 ** 30;

/**
 * All of `bytes` in as few writes as the OS takes (one, for a regular file under 1 GiB):
 * FileHandle.writeFile writes 512 KiB per pool round trip, 10 of them for nsfwjs's
 * 4.65 MB INT8 .pb.
 */
async function writeAll(handle: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, at, Math.min(bytes.length - at, MAX_WRITE));
    if (bytesWritten === 0) throw Object.assign(new Error('the file system took 0 bytes of a write'), { code: 'EIO' });
    at += bytesWritten;
  }
}

/** Writes and flushes one temp beside `target`; returns its path. */
async function writeTemp(target: string, data: AtomicFile['data']): Promise<string> {
  // A promise (text that waits on a hash of another file of the same write) fails as itself, before any temp exists.
  // The target's mode (an existing file's is kept) is looked up meanwhile.
  const [content, mode] = await Promise.all([data, fs.stat(target).then((s) => s.mode & 0o777, () => 0o666)]);
  const temp = tempFor(target);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', mode);
    await writeAll(handle, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    await handle.sync(); // the data must be on disk before the rename makes it visible
    await handle.close();
    return temp;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw writeError(target, e);
  }
}

export interface AtomicFile {
  target: string;
  /** The contents, or their promise: the other files of the write start meanwhile. */
  data: string | Uint8Array | Promise<string | Uint8Array>;
}

/**
 * Writes several files as one step as far as a file system allows: every target is
 * checked first (nothing is written if one is refused), every temp is written and
 * flushed (all at once), then the temps are renamed in the order given; if any temp
 * fails, none is renamed and all are removed. A kill before the first
 * rename leaves all old files; between renames, the files renamed so far are new and
 * the rest old; order the list so that state is the one readers can detect.
 */
export async function writeFilesAtomic(files: readonly AtomicFile[], options: AtomicWriteOptions = {}): Promise<void> {
  // A promised content that fails while the checks below are awaited is reported by its own
  // writeTemp; until then it must not count as an unhandled rejection (which ends the process).
  for (const f of files) if (f.data instanceof Promise) f.data.catch(() => undefined);
  for (const f of files) assertWritableTarget(f.target, options.inputs);
  // Stale temps are removed while the new ones are written: those carry this live process's pid, so it leaves them be.
  const cleanup = Promise.all([...new Set(files.map((f) => path.dirname(path.resolve(f.target))))].map(removeStaleTemps)).catch(() => []); // best effort, as removeStaleTemps
  const temps: string[] = [];
  try {
    // All temps at once: their flushes overlap (one fsync waits ~7 ms on a virtual disk).
    const written = await Promise.allSettled(files.map((f) => writeTemp(f.target, f.data)));
    await cleanup;
    for (const w of written) temps.push(w.status === 'fulfilled' ? w.value : '');
    const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;
    for (let i = 0; i < files.length; i++) {
      await fs.rename(temps[i], files[i].target).catch((e) => {
        throw writeError(files[i].target, e);
      });
      temps[i] = '';
    }
  } finally {
    for (const t of temps) if (t) await fs.unlink(t).catch(() => undefined);
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFilesAtomic([{ target, data }], options);
}
