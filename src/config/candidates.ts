/**
 * Looking up layer names a user wrote (skip lists, overrides, JSON keys) among the
 * graph's layer candidates, with the AMCT wording for what is wrong.
 */
import { ErrorCode } from '../errors';
import { LayerCandidate } from '../passes/layer-types';
import { LAYER_TYPES } from './ops';

export type CandidateIndex = ReadonlyMap<string, LayerCandidate>;

export function indexCandidates(layers: readonly LayerCandidate[]): CandidateIndex {
  return new Map(layers.map((c) => [c.name, c]));
}

export interface LayerProblem {
  code: Extract<ErrorCode, 'LAYER_NOT_FOUND' | 'LAYER_NOT_QUANTIZABLE'>;
  message: string;
  hint: string;
}

/**
 * What the name may stand for: a layer quantized as a layer, one named in a skip list
 * (any quantizable candidate, tensor-only ones included), a tensor_quantize target, or
 * any candidate (skip_fusion_layers).
 */
export type LayerUse = 'layer' | 'skip' | 'tensor' | 'any';

export function layerProblem(index: CandidateIndex, name: string, use: LayerUse): LayerProblem | undefined {
  const c = index.get(name);
  if (!c) {
    return {
      code: 'LAYER_NOT_FOUND',
      message: `Layer ${name} does not exist in the graph`,
      hint: `check the node name; quantizable layers are nodes of type ${LAYER_TYPES.filter((t) => !t.includes('Fused')).join(', ')}`,
    };
  }
  if (use === 'any') return undefined;
  const reason = c.reason ? `: ${c.reason}` : '';
  if (!c.quantizable) {
    return { code: 'LAYER_NOT_QUANTIZABLE', message: `Layer ${name} does not support quantization${reason}`, hint: 'remove it from the config' };
  }
  if (use === 'layer' && c.kind === 'tensor') {
    return {
      code: 'LAYER_NOT_QUANTIZABLE',
      message: `Layer ${name} does not support quantization as a layer (${c.op} takes tensor quantization only)`,
      hint: 'quantize its inputs through tensor_quantize with layer_name and input_index',
    };
  }
  if (use === 'tensor' && c.kind !== 'tensor') {
    return {
      code: 'LAYER_NOT_QUANTIZABLE',
      message: `Layer ${name} does not support tensor quantization (only MaxPool and Add inputs do)`,
      hint: 'configure it as a layer instead of in tensor_quantize',
    };
  }
  return undefined;
}

/** Layers listed as JSON keys, in name order. */
export function layerCandidatesSorted(layers: readonly LayerCandidate[]): LayerCandidate[] {
  return layers.filter((c) => c.quantizable && c.kind !== 'tensor').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
