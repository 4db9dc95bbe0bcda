/**
 * loadGraph / saveGraph: the format follows the file name. `.pb` is a frozen GraphDef;
 * `.json` (model.json) is a TensorFlow.js graph model with weight shards beside it.
 */
import * as path from 'path';
import { AmctError, FileFormatError } from '../errors';
import type { Graph } from '../ir';
import { checkModelJson, graphFromArtifacts, graphToArtifacts } from './artifacts';
import { assertWritableTarget, writeFileAtomic, writeFilesAtomic } from './atomic';
import { decodeGraphDef, encodeGraphDef } from './graphdef';
import { readWholeFile } from './read';

export interface SaveOptions {
  /** Files the outputs must not replace, besides those the graph was loaded from. */
  inputs?: string[];
}

type Format = 'pb' | 'json';

function formatOf(file: string): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.pb') return 'pb';
  if (ext === '.json') return 'json';
  const hint =
    ext === '.pbtxt'
      ? 'text-format GraphDefs are not supported; write a binary one with tf.io.write_graph(..., as_text=False)'
      : 'use a frozen GraphDef (.pb) or a TensorFlow.js graph model (model.json)';
  throw new FileFormatError('UNSUPPORTED_FORMAT', `cannot tell the model format of ${file} from its extension "${ext}"`, { file, hint });
}

async function readFile(file: string, missingCode: 'FILE_NOT_FOUND' | 'WEIGHTS_MISSING' = 'FILE_NOT_FOUND', owner?: string): Promise<Buffer> {
  try {
    return await readWholeFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const what = missingCode === 'WEIGHTS_MISSING' ? `weight shard ${file} (listed in ${owner}) does not exist` : `${file} does not exist`;
      throw new FileFormatError(missingCode, what, {
        file: owner ?? file,
        hint: missingCode === 'WEIGHTS_MISSING' ? 'copy every shard named in weightsManifest next to model.json' : 'check the path (relative paths start at the current directory)',
        cause: e,
      });
    }
    const hint = code === 'EISDIR' ? 'give the model file, not its folder (a SavedModel folder must be frozen to a .pb first)' : 'check the file permissions';
    throw new FileFormatError('FILE_READ_FAILED', `cannot read ${file}: ${(e as Error).message}`, { file, hint, cause: e });
  }
}

/**
 * Reads a frozen GraphDef (.pb) or a TensorFlow.js graph model (model.json + shards), and
 * checks it the way Graph.validate() does (every input produced, no cycle), so a broken
 * file is reported at load, naming the file and node, rather than at first use.
 */
export async function loadGraph(file: string, options: LoadOptions = {}): Promise<Graph> {
  const graph = await readGraph(file, options);
  checkLoaded(graph, file);
  return graph;
}

export interface LoadOptions {
  /**
   * A .pb's tensor_content is copied out of the file's bytes only when first read, and
   * written back as it was when never read (DecodeOptions.deferContent). For a graph that
   * is read once and dropped, like saveModel's: a kept graph would keep the file's bytes
   * alive while any tensor is unread.
   */
  deferContent?: boolean;
}

async function readGraph(file: string, options: LoadOptions): Promise<Graph> {
  const format = formatOf(file);
  const abs = path.resolve(file);
  if (format === 'pb') {
    const bytes = await readFile(file);
    if (bytes.length === 0) {
      throw new FileFormatError('PROTOBUF_MALFORMED', `${file} is empty (0 bytes), not a GraphDef`, { file, hint: 'the file was truncated or never written; export the model again' });
    }
    const graph = decodeGraphDef(bytes, { file, deferContent: options.deferContent });
    graph.meta.sourceFiles = [abs];
    return graph;
  }
  const text = (await readFile(file)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError('MODEL_JSON_MALFORMED', `${file} is not valid JSON: ${(e as Error).message}`, { file, hint: 'the file is truncated or not a model.json', cause: e });
  }
  const shards = shardPaths(checkModelJson(json, { file }), file);
  const data = Buffer.concat(await Promise.all(shards.map((s) => readFile(s, 'WEIGHTS_MISSING', file))));
  const graph = graphFromArtifacts(json, data, { file, shards: shards.map((s) => path.basename(s)).join(', ') });
  graph.meta.sourceFiles = [abs, ...shards.map((s) => path.resolve(s))];
  return graph;
}

function checkLoaded(graph: Graph, file: string): void {
  if (graph.size === 0) {
    throw new FileFormatError('INVALID_GRAPH', `${file} holds a graph with no nodes`, { file, hint: 'the file is truncated or is not a model; export the model again' });
  }
  try {
    graph.validate();
  } catch (e) {
    if (!(e instanceof AmctError)) throw e;
    throw new FileFormatError(e.code, e.detail, { file, node: e.node, hint: e.hint ?? 'the graph is inconsistent; export the model again', cause: e });
  }
}

/** tfjs writes manifest paths URL-encoded (`my%20shard.bin`); a name that is not valid encoding is taken as it is. */
function decodeShardName(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function shardPaths(modelJson: Record<string, unknown>, file: string): string[] {
  const manifest = modelJson.weightsManifest;
  if (manifest === undefined) return [];
  const bad = (why: string) => new FileFormatError('MODEL_JSON_MALFORMED', `weightsManifest ${why}`, { file, hint: 're-convert the model' });
  if (!Array.isArray(manifest)) throw bad('is not a list');
  return manifest.flatMap((g: { paths?: unknown }) => {
    if (!g || !Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string')) throw bad('has a group without a "paths" list of file names');
    return (g.paths as string[]).map((p) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
        throw new FileFormatError('UNSUPPORTED_FORMAT', `weight shard ${p} is a URL`, { file, hint: 'download the shards next to model.json and list them by file name' });
      }
      return path.resolve(path.dirname(file), decodeShardName(p));
    });
  });
}

/** Shard name for a saved graph model: tfjs's own for model.json, else `<name>.bin`. */
export function shardNameFor(file: string): string {
  const base = path.basename(file);
  return base.toLowerCase() === 'model.json' ? 'group1-shard1of1.bin' : `${base.slice(0, -path.extname(base).length)}.bin`;
}

/**
 * Writes the graph as a frozen GraphDef (.pb) or a graph model (.json: one shard
 * written first, then model.json, so a reader never sees a model.json without weights).
 */
export async function saveGraph(graph: Graph, file: string, options: SaveOptions = {}): Promise<void> {
  const format = formatOf(file);
  const inputs = [...(options.inputs ?? []), ...(graph.meta.sourceFiles ?? [])];
  if (format === 'pb') {
    assertWritableTarget(file, inputs);
    await writeFileAtomic(file, withFile(() => encodeGraphDef(graph), file), { inputs });
    return;
  }
  const shard = path.join(path.dirname(file), shardNameFor(file));
  assertWritableTarget(file, inputs);
  assertWritableTarget(shard, inputs);
  const artifacts = withFile(() => graphToArtifacts(graph), file);
  const { modelTopology, weightSpecs, weightData, format: fmt, generatedBy, convertedBy, ...extras } = artifacts;
  const modelJson = {
    format: fmt,
    generatedBy,
    convertedBy,
    ...extras,
    modelTopology,
    weightsManifest: [{ paths: [path.basename(shard)], weights: weightSpecs }],
  };
  // Both checked before either is written; the shard is renamed first, so a reader never sees a model.json without weights.
  await writeFilesAtomic([{ target: shard, data: new Uint8Array(weightData) }, { target: file, data: JSON.stringify(modelJson) }], { inputs });
}

/** Adds the output file to encoding errors, which only know the node. */
function withFile<T>(fn: () => T, file: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FileFormatError && e.file === undefined) {
      throw new FileFormatError(e.code, e.detail, { file, node: e.node, hint: e.hint, cause: e });
    }
    throw e;
  }
}
