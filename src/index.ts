/** amct-ts public API: see SPEC §1. */
export * from './errors';
export * from './ir';
export { setLoggingLevel } from './log';
