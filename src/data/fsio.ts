/**
 * File access for calibration data: reads that turn fs errors into typed errors naming the
 * file. Writes go through src/io/atomic.ts (imported directly, so src/data stays free of
 * the graph codec and tfjs).
 */
import { readBinaryInput } from '../io/read';

/** Reads a whole calibration input; a missing or unreadable file is a FileFormatError naming it. */
export function readBytes(file: string): Promise<Uint8Array> {
  return readBinaryInput(file, { what: 'calibration input', missingHint: 'check the path' });
}

export { writeFileAtomic } from '../io/atomic';
