/**
 * Finding calibration files in a folder. The order is the byte order of the file names
 * (what AMCT's "ascending by name" and Python's sorted() give, independent of locale), so
 * the same folder always yields the same batches, and folders of a multi-input model
 * pair up file by file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FileFormatError, describe } from '../errors';

export type DataKind = 'image' | 'npy' | 'bin';

export const ALL_KINDS: DataKind[] = ['image', 'npy', 'bin'];

const EXTENSIONS: Record<DataKind, string[]> = {
  image: ['.jpg', '.jpeg', '.png'],
  npy: ['.npy'],
  bin: ['.bin'],
};

export function kindOf(file: string): DataKind | undefined {
  const ext = path.extname(file).toLowerCase();
  return ALL_KINDS.find((k) => EXTENSIONS[k].includes(ext));
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The files of the given kinds directly in `dir` (not recursive; hidden files skipped), sorted. */
export async function listCalibrationFiles(dir: string, kinds: readonly DataKind[] = ALL_KINDS): Promise<string[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'calibration data folder not found'
        : code === 'ENOTDIR' ? 'data path is not a folder'
          : `cannot list calibration data folder: ${describe(e)}`;
    throw new FileFormatError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ_FAILED', message, {
      file: dir,
      hint: 'give --data_dir a folder of .jpg/.png images, .npy or .bin files',
      cause: e,
    });
  }
  const names = entries
    .filter((d) => !d.name.startsWith('.') && (d.isFile() || d.isSymbolicLink()))
    .map((d) => d.name)
    .filter((n) => {
      const k = kindOf(n);
      return k !== undefined && kinds.includes(k);
    })
    .sort(byName);
  if (names.length === 0) {
    const exts = kinds.flatMap((k) => EXTENSIONS[k]).join(' ');
    throw new FileFormatError('CALIBRATION_DATA_INVALID', `no calibration files (${exts}) in the folder`, {
      file: dir,
      hint: 'put the calibration inputs in this folder, or point --data_dir at the folder that holds them',
    });
  }
  return names.map((n) => path.join(dir, n));
}

/** The one kind of data the files hold; a folder mixing images and arrays is refused. */
export function singleKind(files: readonly string[], dir: string): DataKind {
  const kinds = [...new Set(files.map(kindOf).filter((k): k is DataKind => k !== undefined))];
  if (kinds.length !== 1) {
    throw new FileFormatError('CALIBRATION_DATA_INVALID', `the folder mixes ${kinds.join(' and ')} files`, {
      file: dir,
      hint: 'keep one kind of calibration data per folder',
    });
  }
  return kinds[0];
}
