/** analysis/: the accuracy tools of SPEC §9, above api/ (they measure what saveModel deploys). */
export { rankLayerSensitivity } from './sensitivity';
export type { LayerSensitivity, SensitivityOptions } from './sensitivity';
export type { ErrorMetrics } from './metrics';
export type { ProgressCallback } from './run-batches';
export { analyzeAccuracy } from './analyze';
export type { AccuracyReport, AnalyzeOptions, LayerAccuracy, OutputAccuracy } from './analyze';
// accuracyBasedAutoCalibration (AMCT's accuracy_based_auto_calibration)
export { accuracyBasedAutoCalibration } from './auto-calibration';
export type { AutoCalibrationOptions, AutoCalibrationResult, AutoCalibrationTrial } from './auto-calibration';
export type { AutoCalibrationEvaluator } from './auto-calibration-evaluator';
export type { SensitivityRanker, SensitivityOption } from './auto-calibration-ranking';
export type { StrategyName } from './auto-calibration-search';
