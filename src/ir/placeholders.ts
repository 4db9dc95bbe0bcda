/**
 * Graph inputs: the placeholder ops a caller feeds. Internal (not re-exported by the
 * package root); one definition for the runtime, the CLI, inspectModel and the accuracy tools.
 */
import type { NodeDef } from './types';

/** Placeholders that must be fed (PlaceholderWithDefault may be). */
export const REQUIRED_INPUT_OPS: ReadonlySet<string> = new Set(['Placeholder', 'PlaceholderV2']);
/** Every op a feed may name as a graph input. */
export const INPUT_OPS: ReadonlySet<string> = new Set([...REQUIRED_INPUT_OPS, 'PlaceholderWithDefault']);

/** A placeholder that must be fed. */
export function isRequiredInput(node: NodeDef): boolean {
  return REQUIRED_INPUT_OPS.has(node.op);
}

/** Any placeholder, PlaceholderWithDefault included. */
export function isGraphInput(node: NodeDef): boolean {
  return INPUT_OPS.has(node.op);
}
