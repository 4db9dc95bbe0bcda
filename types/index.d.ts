/**
 * Public type definitions of amct-ts: the package's "types" entry. The declarations are
 * generated from src/ into dist/ by `npm run build`, so they never drift from the code;
 * this file is the one stable place editors and `tsc` look for them.
 */
export * from '../dist/index';
