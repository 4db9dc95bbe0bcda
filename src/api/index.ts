/** The AMCT-compatible entry points (SPEC §1). */
export { createQuantConfig } from './create-quant-config';
export type { CreateQuantConfigOptions, CreateQuantConfigResult, ConfigLayerInfo } from './create-quant-config';
export { quantizeModel } from './quantize-model';
export type { QuantizeModelOptions, QuantizeModelResult } from './quantize-model';
export { saveModel, convertModel } from './save-model';
export type { SaveModelResult } from './save-model';
export { inspectModel } from './inspect-model';
export type { InspectOptions, ModelInspection, InspectedTensor, SignatureTensor, InspectedLayer, SkippedLayer } from './inspect-model';
export type { RecordWrittenEvent } from '../record';
export { setDmqBalancerParam } from './dmq-balancer-config';
