/** Help of `amct-ts analyze`. */
export const ANALYZE_HELP = `Usage: amct-ts analyze --model MODEL --outputs NAMES --record_file RECORD
                       --input_shape SHAPES --data_dir DIRS --report FILE [options]

Runs analyzeAccuracy: compares the float model with the INT8 model that RECORD makes
(as saveModel would write it), layer by layer, on --batch_num batches from --data_dir.
Per quantized layer: the isolated error (only that layer quantized, fed the float
model's activations) and the cumulative error (its output in the whole INT8 model),
as cosine, SQNR (dB) and relative L2; the same for every output. Writes FILE and prints
the worst 10 layers by isolated error.

Required:
  --model PATH               the float model: frozen GraphDef .pb or TensorFlow.js model.json
  --outputs NAMES            output tensors, "node:index", several separated by ";"
  --record_file RECORD       the record the calibration wrote (e.g. PREFIX_record.txt)
  --input_shape SHAPES       "name:n,h,w,c", several inputs separated by ";"
  --data_dir DIRS            folder of input data per input, separated by ";"
                             (.jpg/.png images, .npy or .bin), read in file-name order
  --report FILE              FILE.html: one self-contained page (chart and sortable
                             table) to open in a browser; FILE.json: the numbers

Options:
  --batch_num N              batches to analyze (default 1)
  --batch_size N, --data_types TYPES, --resize H,W, --center_crop F, --flip,
  --channel_order RGB|BGR, --unit_range, --mean M, --std S
                             read the data as "amct-ts calibration" does (see its --help)
  --backend NAME             wasm, cpu, or tfjs-node
  --verbose                  info logs, and stack traces on errors
  -h, --help                 show this help

Exit status: 0 done, 1 the analysis failed, 2 bad command line.

Example:
  amct-ts analyze --model model/mobilenet_v2.pb --outputs "MobilenetV2/Predictions/Reshape_1:0" \\
    --record_file out/mobilenet_v2_record.txt --input_shape "input:8,224,224,3" \\
    --data_dir ./images --mean 127.5 --std 127.5 --batch_num 2 --report out/report.html
`;
