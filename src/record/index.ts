/** ScaleOffsetRecord text files (SPEC §5). */
export { formatFloat32 } from './float-format';
export { escapeProtoString, formatRecord } from './format';
export { readRecord, requireLayer, writeRecord } from './io';
export { parseRecord } from './parse';
export type { KeyedLayerRecord, LayerRecord, ReadRecordOptions, RecordLayerInfo } from './types';
export { RecordMap, tensorRecordKey } from './types';
export { checkLayerRecord } from './validate';
export { assertRecordFresh, clearMarker, markerPath, newCalibrationId, notifyRecordWritten, onRecordWritten, readMarker, writeMarker, CALIBRATION_ID_ATTR, MARKER_SUFFIX } from './calibration-mark';
export type { CalibrationMarker, RecordWrittenEvent } from './calibration-mark';
