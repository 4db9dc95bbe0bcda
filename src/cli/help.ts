/** Help text. Option names follow AMCT's amct_tensorflow command line where it has one. */

export const MAIN_HELP = `Usage: amct-ts <command> [options]

Post-training INT8 quantization of TensorFlow graphs for Ascend (AMCT-TF compatible).

Commands:
  calibration   calibrate a frozen graph on sample inputs and save the quantized model
  inspect       list a model's inputs, outputs and quantizable layers (find the names
                --input_shape and --outputs need)
  analyze       compare the float and INT8 models layer by layer; write an HTML/JSON report

Options:
  -h, --help    show this help; "amct-ts <command> --help" for a command's options
  --version     print the version
`;

export const CALIBRATION_HELP = `Usage: amct-ts calibration --model MODEL --outputs NAMES --input_shape SHAPES
                           --data_dir DIRS --save_path PREFIX [options]
       amct-ts calibration --model MODEL --outputs NAMES --save_path PREFIX
                           --evaluator FILE.js [--strategy S] [--no_balancer] [--batch_num N]

Runs: load the model, write a quantization config, insert calibration nodes, feed
--batch_num batches from --data_dir, then save the deployable INT8 model.
Options take "--name value" or "--name=value" (use "=" for values starting with "-").

Required (find the input and output names with "amct-ts inspect --model MODEL"):
  --model PATH               frozen GraphDef .pb, or a TensorFlow.js model.json
  --outputs NAMES            output tensors, "node:index", several separated by ";"
  --input_shape SHAPES       "name:n,h,w,c", several inputs separated by ";"
                             (-1 marks a dimension taken from --batch_size/--resize)
  --data_dir DIRS            folder of calibration data per input, separated by ";":
                             .jpg/.jpeg/.png images, .npy arrays or raw .bin files,
                             read in file-name order
  --save_path PREFIX         output prefix: writes PREFIX_quantized.pb, PREFIX_quant.json,
                             PREFIX_config.json and PREFIX_record.txt

Calibration:
  --calibration_config CFG   simplified config (.cfg, AMCTConfig text format)
  --batch_num N              batches to calibrate on (default 1, or the .cfg's batch_num)
  --batch_size N             samples per batch (default: the batch dim of --input_shape)
  --data_types TYPES         element type of .bin files, per input separated by ";":
                             float32 (default), float64, int32, int64, uint8, int8,
                             uint16, int16
  --backend NAME             wasm, cpu, or tfjs-node (needs @tensorflow/tfjs-node);
                             default: AMCT_BACKEND, else tfjs-node if installed, else wasm

Images (decoded to RGB, 0..255, batched NHWC):
  --resize H,W               bilinear resize, as tf.image.resize (half-pixel centres);
                             default: h,w of --input_shape
  --center_crop FRACTION     tf.image.central_crop before resizing, e.g. 0.875
  --flip                     mirror every image left-right (augmentation)
  --channel_order RGB|BGR    channel order the model expects (default RGB)
  --unit_range               divide pixels by 255 before --mean/--std
  --mean M[,M,M]             subtract per channel (in --channel_order)
  --std S[,S,S]              then divide per channel; e.g. --mean 127.5 --std 127.5
                             maps pixels to [-1, 1]

Accuracy-based auto calibration (accuracyBasedAutoCalibration):
  --evaluator FILE.js        a module (CommonJS or ESM) exporting your evaluator, as the
                             default export, as "evaluator", or as its own functions:
                             calibration(graph, outputs), evaluate(graph, outputs) → number,
                             metricEval(original, current) → [ok, loss]; each may be async.
                             It brings its own data: --input_shape, --data_dir and the
                             image options are not used. Leaves the fewest most sensitive
                             layers in float that metricEval accepts; also writes
                             accuracy_based_auto_calibration_final_config.json and
                             accuracy_based_auto_calibration_ranking_information.json
                             next to PREFIX. One progress line per evaluation on stderr.
  --strategy S               BinarySearch (default; at most ceil(log2 L) + 3 evaluations
                             for L layers, the DMQ balancer step included), Sequential, or
                             BinarySearchRefine (fewer float layers, more evaluations)
  --no_balancer              skip the step that tries the DMQ balancer before leaving
                             layers in float (ours; without it the search is AMCT's)

Other:
  --verbose                  info logs, and stack traces on errors
  -h, --help                 show this help

Exit status: 0 done, 1 calibration failed (or no model met the evaluator's target),
2 bad command line.

Example:
  amct-ts calibration --model model/mobilenet_v2.pb --outputs "MobilenetV2/Predictions/Reshape_1:0" \\
    --input_shape "input:8,224,224,3" --data_dir ./images --mean 127.5 --std 127.5 \\
    --batch_num 2 --save_path ./out/mobilenet_v2
`;
