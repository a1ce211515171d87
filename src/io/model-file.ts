import { checkBackend, type BackendKind } from "../backends/index.js";
import { BpttError, describe, invalid } from "../errors.js";
import { RNN, type RNNConfig, type RNNOptions } from "../model.js";
import { checkFileConfig, checkMaxParameters } from "./file-config.js";
import { CharTokenizer } from "../text/tokenizer.js";
import { checkPartChecksums, CRC_KEY, partChecksums } from "./checksum.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";

/** Version of the `__metadata__` written by saveModel; bumped when its meaning changes. */
export const MODEL_FORMAT_VERSION = "1";

export interface SaveOptions {
  /** Stored as `__metadata__.vocabulary` so that a loaded model can encode and decode text. */
  tokenizer?: CharTokenizer;
  /** Extra string metadata (keys `format`, `format_version`, `config`, `vocabulary`, `crc32` are reserved). */
  metadata?: Record<string, string>;
  /**
   * The state_dict prefixes to write the recurrent layers, the head and the embedding under (default
   * "rnn", "head" and "embedding"), to match a PyTorch module's attribute names, e.g. `{ rnn: "lstm", head: "fc" }`.
   */
  names?: { rnn?: string; head?: string; embedding?: string };
}

type ModuleNames = { rnn: string; head: string; embedding: string };

/** bptt's tensor name ("rnn.weight_ih_l0", "head.weight") under the given module prefixes ("" for none). */
function nameInFile(name: string, names: ModuleNames): string {
  const [module, rest] = name.split(/\.(.*)/, 2);
  const prefix = module === "rnn" ? names.rnn : module === "embedding" ? names.embedding : names.head;
  return prefix === "" ? rest : `${prefix}.${rest}`;
}

function checkNames(names: unknown): void {
  if (names === undefined) return;
  if (names === null || typeof names !== "object") throw new BpttError("INVALID_ARGUMENT", `options.names must be an object { rnn?, head?, embedding? }; got ${describe(names)}`);
  for (const key of ["rnn", "head", "embedding"] as const) {
    const value = (names as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== "string") throw new BpttError("INVALID_ARGUMENT", `options.names.${key} must be a string (a state_dict prefix, "" for none); got ${describe(value)}`);
  }
}

export interface LoadOptions {
  backend?: BackendKind;
  wasmModule?: WebAssembly.Module;
  /** The architecture, for files without bptt metadata (e.g. written from PyTorch). */
  config?: RNNOptions;
  /**
   * The attribute names of the recurrent module and of the linear head in the file's state_dict:
   * by default "rnn" and "head" (bptt's own names), or else found in the file when that is
   * unambiguous (one module with weight_ih_l0, one other with weight and bias), e.g.
   * `{ rnn: "lstm", head: "fc" }` for `self.lstm = nn.LSTM(…)`, `self.fc = nn.Linear(…)`; "" for none.
   * A model with `embeddingSize` reads its nn.Embedding under `embedding`, else the one module with a
   * weight and no bias, preferring "embedding", "embed" and "encoder" when several have one.
   */
  names?: { rnn?: string; head?: string; embedding?: string };
  /**
   * The most parameters a file may describe (default 2^28, 1 GiB of float32): checked against the
   * configuration before a model is built, so a file cannot make the reader allocate more.
   */
  maxParameters?: number;
}

export interface LoadedModel {
  model: RNN;
  tokenizer?: CharTokenizer;
  metadata: Record<string, string>;
}

/**
 * The model as a safetensors file: every parameter as F32 under its PyTorch name
 * (rnn.weight_ih_l0, …, head.weight, head.bias), and in `__metadata__` the format, its
 * version, the configuration (JSON), when given the vocabulary (JSON), and `crc32`: a CRC-32 per
 * part (src/io/checksum.ts), which loadModel checks when it is there.
 */
export function saveModel(model: RNN, options: SaveOptions = {}): Uint8Array {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (["format", "format_version", "config", "vocabulary", CRC_KEY].includes(key)) throw new BpttError("INVALID_ARGUMENT", `metadata key ${JSON.stringify(key)} is reserved`);
    if (typeof value !== "string") throw new BpttError("INVALID_ARGUMENT", `metadata[${JSON.stringify(key)}] must be a string; got ${describe(value)}`);
    metadata[key] = value;
  }
  metadata.format = "bptt";
  metadata.format_version = MODEL_FORMAT_VERSION;
  metadata.config = JSON.stringify(storedConfig(model));
  if (options.tokenizer !== undefined) metadata.vocabulary = JSON.stringify(checkTokenizer(model.config, options.tokenizer, invalid).toJSON());
  checkNames(options.names);
  const names = { rnn: options.names?.rnn ?? "rnn", head: options.names?.head ?? "head", embedding: options.names?.embedding ?? "embedding" };
  const tensors = model.parameters().map(({ name, shape, data }) => ({ name: nameInFile(name, names), shape, data: data.slice() }));
  metadata[CRC_KEY] = partChecksums(metadata, tensors.map((t) => [t.name, t] as const));
  return encodeSafetensors(tensors, metadata);
}

/**
 * The model's configuration as stored in files: without the backend, and with only the options
 * that apply to its cell, so that it loads back as it is.
 */
export function storedConfig(model: RNN): Omit<RNNOptions, "backend" | "wasmModule"> {
  const { backend: _backend, ...all } = model.config;
  const config: Partial<typeof all> = { ...all };
  if (all.cell !== "rnn") delete config.nonlinearity;
  if (all.forgetBias === null) delete config.forgetBias;
  if (all.bias) delete config.bias;
  if (all.embeddingSize === 0) delete config.embeddingSize;
  if (all.dropout === 0) delete config.dropout;
  if (all.projSize === 0) delete config.projSize;
  if (!all.bidirectional) delete config.bidirectional;
  return config as Omit<RNNOptions, "backend" | "wasmModule">;
}

/**
 * Read a model from safetensors bytes. Every tensor's name and shape is checked against the
 * configuration before a model is built, so a bad file never yields a half-loaded model.
 */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): LoadedModel {
  if (options === null || typeof options !== "object") throw new BpttError("INVALID_ARGUMENT", `options must be an object { backend?, config?, names?, maxParameters? }; got ${describe(options)}`);
  const backend = checkBackend(options.backend);
  const maxParameters = checkMaxParameters(options.maxParameters);
  const file = decodeSafetensors(bytes);
  const meta = file.metadata;
  // corruption first, so that a flipped bit is named as such and not as the odd value it makes
  if (meta[CRC_KEY] !== undefined) checkPartChecksums(meta, file.tensors, format);
  let config: RNNOptions;
  if (options.config !== undefined) config = options.config;
  else if (meta.format === "bptt" && meta.config !== undefined) {
    if (meta.format_version !== MODEL_FORMAT_VERSION) throw format(`format_version ${JSON.stringify(meta.format_version)} is not supported; this bptt reads version ${MODEL_FORMAT_VERSION}`);
    try {
      config = JSON.parse(meta.config) as RNNOptions;
    } catch {
      throw format("__metadata__.config is not valid JSON");
    }
    if (config === null || typeof config !== "object" || Array.isArray(config)) throw format(`__metadata__.config must be a JSON object; got ${describe(config)}`);
  } else if (meta.format === "bptt-checkpoint") {
    throw format("this is a bptt checkpoint, not a model file: read it with loadCheckpoint (its model is the checkpoint's `model`)");
  } else {
    throw format("the file has no bptt configuration in __metadata__; pass options.config to describe the architecture");
  }
  const tokenizer = readVocabulary(meta, format);
  // the configuration against the file before anything is allocated: names, shapes, finiteness
  const { config: resolved, layout } = checkFileConfig({ ...config, backend }, file.tensors, maxParameters, options.config === undefined, format);
  if (tokenizer !== undefined) checkTokenizer(resolved, tokenizer, format);
  const prefixes = modulePrefixes([...file.tensors.keys()], options.names, layout.embedding !== null);
  const inFile = (name: string) => nameInFile(name, prefixes);
  const names = new Set(layout.tensors.map((t) => inFile(t.name)));
  for (const name of file.tensors.keys()) {
    if (!names.has(name) && name.endsWith("_reverse") && layout.directions === 1) throw format(`unexpected tensor ${JSON.stringify(name)}: the file holds a bidirectional model; pass bidirectional: true in options.config`);
    if (!names.has(name)) throw format(`unexpected tensor ${JSON.stringify(name)}; the model's tensors are ${[...names].join(", ")}`);
  }
  for (const slot of layout.tensors) {
    const tensor = file.tensors.get(inFile(slot.name));
    if (tensor === undefined) throw format(`tensor ${JSON.stringify(inFile(slot.name))} is missing`);
    if (tensor.shape.length !== slot.shape.length || tensor.shape.some((d, i) => d !== slot.shape[i])) {
      throw format(`tensor ${JSON.stringify(inFile(slot.name))} has shape [${tensor.shape.join(", ")}]; expected [${slot.shape.join(", ")}]`);
    }
    if (!tensor.data.every(Number.isFinite)) throw format(`tensor ${JSON.stringify(inFile(slot.name))} holds a non-finite value`);
  }
  const model = new RNN({ ...config, backend, wasmModule: options.wasmModule });
  try {
    for (const slot of layout.tensors) model.setParameter(slot.name, file.tensors.get(inFile(slot.name))!.data);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, tokenizer, metadata: meta };
}

/**
 * The state_dict prefixes of the recurrent module and the head: given, bptt's own ("rnn", "head"),
 * or the only candidates in the file — one prefix with weight_ih_l0, one other with weight and bias.
 */
function modulePrefixes(fileNames: string[], given: LoadOptions["names"], embedded: boolean): ModuleNames {
  checkNames(given);
  const prefixOf = (name: string, suffix: string) => (name === suffix ? "" : name.endsWith(`.${suffix}`) ? name.slice(0, -suffix.length - 1) : null);
  const found = (suffix: string) => [...new Set(fileNames.map((n) => prefixOf(n, suffix)).filter((p): p is string => p !== null))];
  const pick = (what: string, candidates: string[], fallback: string) => {
    if (candidates.includes(fallback)) return fallback;
    if (candidates.length === 1) return candidates[0];
    throw format(`cannot tell which tensors are the ${what}: ${candidates.length === 0 ? "none fits" : `candidates ${candidates.map((c) => JSON.stringify(c)).join(", ")}`}; pass options.names = { rnn, head } with the state_dict prefixes`);
  };
  const rnn = given?.rnn ?? pick("recurrent layers (…weight_ih_l0)", found("weight_ih_l0"), "rnn");
  const heads = found("weight").filter((p) => p !== rnn && fileNames.includes(p === "" ? "bias" : `${p}.bias`));
  const head = given?.head ?? pick("linear head (…weight and …bias)", heads, "head");
  let embedding = given?.embedding ?? "embedding";
  if (embedded && given?.embedding === undefined) {
    // nn.Embedding: a weight without a bias; by name when several modules look like one
    const tables = found("weight").filter((p) => p !== rnn && p !== head && !fileNames.includes(p === "" ? "bias" : `${p}.bias`));
    const named = tables.filter((p) => ["embedding", "embed", "encoder"].includes(p));
    embedding = pick("embedding (…weight without a bias)", named.length > 0 ? named : tables, "embedding");
  }
  return { rnn, head, embedding };
}

/**
 * `tokenizer` if it is a CharTokenizer with one character per token id of the model (its inputSize,
 * or the classes of a dense-input model); else the error `fail` makes.
 */
export function checkTokenizer(config: RNNConfig, tokenizer: unknown, fail: (message: string) => BpttError): CharTokenizer {
  if (!(tokenizer instanceof CharTokenizer)) throw fail(`tokenizer must be a CharTokenizer; got ${describe(tokenizer)}`);
  const key = config.input === "tokens" ? "inputSize" : "outputSize";
  if (tokenizer.vocabSize !== config[key]) throw fail(`tokenizer has ${tokenizer.vocabSize} characters but the model's ${key} is ${config[key]}`);
  return tokenizer;
}

/** The tokenizer stored as `__metadata__.vocabulary`, if any; a malformed one is a FORMAT error made by `fail`. */
export function readVocabulary(meta: Record<string, string>, fail: (message: string) => BpttError): CharTokenizer | undefined {
  if (meta.vocabulary === undefined) return undefined;
  try {
    return CharTokenizer.fromJSON(JSON.parse(meta.vocabulary));
  } catch (error) {
    throw fail(`__metadata__.vocabulary is not a valid vocabulary: ${(error as Error).message}`);
  }
}

function format(message: string): BpttError {
  return new BpttError("FORMAT", message);
}
