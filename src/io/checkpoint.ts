/**
 * Checkpoints for exact resume: one safetensors file with everything a training run needs to go on
 * as if it had never stopped — bit for bit, on the same backend.
 *
 * Tensors (F32, in this order):
 *   <parameter name>                  every parameter under its PyTorch name (rnn.weight_ih_l0, …, head.bias)
 *   optim.<state>.<parameter name>    the optimizer's state, by PyTorch's state key (momentum_buffer,
 *                                     sum, square_avg, grad_avg, exp_avg, exp_avg_sq, max_exp_avg_sq)
 *   carry.h                           (L, B, H) the hidden state a following carryState step starts from, if any ((L, B, P) with projSize)
 *   carry.c                           (L, B, H) with carry.h for an LSTM: the carried cell state
 * `__metadata__` (strings):
 *   format "bptt-checkpoint", format_version, config (model, JSON), trainer (resolved optimizer,
 *   clipping and reduction options, JSON), schedule ("true" when the run had a learning-rate
 *   schedule), step (completed steps), rng_state (JSON, the 4 words of the given Random, if any),
 *   dropout_state (JSON, the 4 words of the model's dropout PRNG, when the model has dropout),
 *   data (the caller's data position, JSON, if any), vocabulary (JSON, if a tokenizer was given),
 *   checksum (CRC-32 of everything above and of every tensor's name, shape and bytes).
 *
 * A schedule is a function and cannot be saved: pass the same one to loadCheckpoint again.
 */
import { checkBackend, type BackendKind } from "../backends/index.js";
import { checkFiniteArray } from "../batch.js";
import { BpttError, describe, invalid } from "../errors.js";
import { RNN, type RNNOptions } from "../model.js";
import { optimizerStateNames, resolveOptimizer } from "../optimizers.js";
import { checkFileConfig, checkMaxParameters } from "./file-config.js";
import { Random } from "../random.js";
import { CharTokenizer } from "../text/tokenizer.js";
import { Trainer, type TrainerOptions } from "../trainer.js";
import { crc32Floats, crc32Json } from "./checksum.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "./safetensors.js";
import { checkTokenizer, readVocabulary, storedConfig } from "./model-file.js";

/** Version of the checkpoint layout; bumped when its meaning changes. */
export const CHECKPOINT_FORMAT_VERSION = "1";
const FORMAT_NAME = "bptt-checkpoint";
const CARRY = "carry.h";
const CARRY_CELL = "carry.c";
/** Prefix of the tensors of `bestWeights`: best.<parameter name>. */
const BEST = "best.";

export interface SaveCheckpointOptions {
  /** The caller's position in its data (any JSON value: cursors, epoch, …), returned as is by loadCheckpoint. */
  data?: unknown;
  /** The PRNG that draws randomness during training (e.g. the data sampler's); its state is saved. */
  random?: Random;
  /** Saved as the vocabulary, so that the resumed run (or a sampler) can encode and decode text. */
  tokenizer?: CharTokenizer;
  /**
   * Weights to keep beside the trainer's, one array per parameter in `model.parameters()` order (e.g.
   * early stopping's best so far), saved as tensors best.<name> and returned by loadCheckpoint.
   */
  bestWeights?: readonly ArrayLike<number>[];
}

export interface LoadCheckpointOptions {
  backend?: BackendKind;
  wasmModule?: WebAssembly.Module;
  /** The learning-rate schedule of the saved run: a function cannot be saved, so pass the same one again. */
  schedule?: TrainerOptions["schedule"];
  /** The most parameters the file may describe (default 2^28), checked before a model is built. */
  maxParameters?: number;
}

export interface LoadedCheckpoint {
  model: RNN;
  /** A trainer with the saved options, optimizer state, step count and carried state. */
  trainer: Trainer;
  /** The data position given to saveCheckpoint (undefined if none was). */
  data: unknown;
  /** A Random in the saved state (undefined if none was saved): hand it to the data sampler. */
  random?: Random;
  tokenizer?: CharTokenizer;
  /** The `bestWeights` given to saveCheckpoint, in `model.parameters()` order (undefined if none were). */
  bestWeights?: Float32Array[];
}

/** The trainer's model, optimizer state, step count and carried state, plus the caller's PRNG and data position, as safetensors bytes. */
export function saveCheckpoint(trainer: Trainer, options: SaveCheckpointOptions = {}): Uint8Array {
  if (!(trainer instanceof Trainer)) throw invalid(`saveCheckpoint needs a Trainer; got ${describe(trainer)}`);
  if (options === null || typeof options !== "object") throw invalid(`options must be an object { data?, random?, tokenizer? }; got ${describe(options)}`);
  const { model, options: settings } = trainer;
  const { arena } = model.internals();
  const metadata: Record<string, string> = {};
  const { schedule, ...saved } = settings;
  metadata.format = FORMAT_NAME;
  metadata.format_version = CHECKPOINT_FORMAT_VERSION;
  metadata.config = JSON.stringify(storedConfig(model));
  metadata.trainer = JSON.stringify(saved);
  metadata.schedule = schedule === undefined ? "false" : "true";
  metadata.step = String(trainer.stepCount);
  if (model.config.dropout > 0) metadata.dropout_state = JSON.stringify(model.getDropoutState());
  if (options.random !== undefined) {
    if (!(options.random instanceof Random)) throw invalid(`options.random must be a Random; got ${describe(options.random)}`);
    metadata.rng_state = JSON.stringify(options.random.getState());
  }
  if (options.data !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(options.data);
    } catch (error) {
      throw invalid(`options.data must be JSON-serialisable: ${(error as Error).message}`);
    }
    if (json === undefined) throw invalid(`options.data must be JSON-serialisable; got ${describe(options.data)}`);
    metadata.data = json;
  }
  if (options.tokenizer !== undefined) metadata.vocabulary = JSON.stringify(checkTokenizer(model.config, options.tokenizer, invalid).toJSON());

  const tensors: SafetensorsInput[] = model.parameters().map(({ name, shape, data }) => ({ name, shape, data: data.slice() }));
  const f = arena.f32();
  for (const state of optimizerStateNames(settings)) {
    const base = arena.block(`optim.${state}`) >>> 2;
    for (const t of model.layout.tensors) {
      tensors.push({ name: `optim.${state}.${t.name}`, shape: t.shape.slice(), data: f.slice(base + t.offset, base + t.offset + t.size) });
    }
  }
  if (options.bestWeights !== undefined) {
    const params = model.parameters(), best = options.bestWeights;
    if (!Array.isArray(best) || best.length !== params.length) {
      throw invalid(`options.bestWeights must hold one array per parameter (${params.length}); got ${describe(best)}`);
    }
    params.forEach(({ name, data }, i) => {
      const values = best[i];
      if (values === null || typeof values !== "object" || values.length !== data.length) {
        throw invalid(`options.bestWeights[${i}] (${name}) must hold ${data.length} numbers; got ${describe(values)}`);
      }
      checkFiniteArray(`options.bestWeights[${i}]`, values);
    });
    params.forEach(({ name, shape }, i) => tensors.push({ name: BEST + name, shape: shape.slice(), data: Float32Array.from(best[i]) }));
  }
  const carried = trainer.carriedState();
  if (carried !== null) {
    const { hiddenSize: H, projSize: P } = model.config, L = model.config.numLayers * (model.config.bidirectional ? 2 : 1);
    tensors.push({ name: CARRY, shape: [L, carried.batchSize, P > 0 ? P : H], data: carried.state });
    if (carried.cellState !== null) tensors.push({ name: CARRY_CELL, shape: [L, carried.batchSize, H], data: carried.cellState });
  }
  metadata.checksum = checksum(metadata, tensors);
  return encodeSafetensors(tensors, metadata);
}

/**
 * A model and trainer from checkpoint bytes, ready to continue. Everything is checked — format,
 * version, checksum, configuration, options, every tensor's name, shape and finiteness — before the
 * trainer is returned: a truncated or corrupted file throws BpttError "FORMAT", never a half-loaded trainer.
 */
export function loadCheckpoint(bytes: Uint8Array, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  if (options === null || typeof options !== "object") throw invalid(`options must be an object { backend?, wasmModule?, schedule? }; got ${describe(options)}`);
  if (options.schedule !== undefined && typeof options.schedule !== "function") {
    throw invalid(`options.schedule must be a function (step, baseLearningRate) => learningRate; got ${describe(options.schedule)}`);
  }
  const backend = checkBackend(options.backend);
  const maxParameters = checkMaxParameters(options.maxParameters);
  const file = decodeSafetensors(bytes);
  const meta = file.metadata;
  if (meta.format !== FORMAT_NAME) throw format(`__metadata__.format is ${describe(meta.format)}; a checkpoint has "${FORMAT_NAME}" (use loadModel for a model file)`);
  if (meta.format_version !== CHECKPOINT_FORMAT_VERSION) {
    throw format(`format_version ${describe(meta.format_version)} is not supported; this bptt reads version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  const tensors = [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  const { checksum: stored, ...rest } = meta;
  if (stored === undefined) throw format("__metadata__.checksum is missing");
  const actual = checksum(rest, tensors);
  if (stored !== actual) throw format(`checksum mismatch (stored ${stored}, computed ${actual}): the file is corrupted`);

  const config = parseJson<RNNOptions>("config", meta.config);
  const settings = parseJson<TrainerOptions>("trainer", meta.trainer);
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) throw format(`__metadata__.trainer must be a JSON object; got ${describe(settings)}`);
  if (meta.schedule !== "true" && meta.schedule !== "false") throw format(`__metadata__.schedule must be "true" or "false"; got ${describe(meta.schedule)}`);
  if (meta.schedule === "true" && options.schedule === undefined) {
    throw invalid("the checkpoint was trained with a learning-rate schedule, which cannot be saved: pass the same function as options.schedule");
  }
  const step = Number(meta.step);
  if (meta.step === undefined || !/^(0|[1-9][0-9]*)$/.test(meta.step) || !Number.isSafeInteger(step)) throw format(`__metadata__.step must be a non-negative integer; got ${describe(meta.step)}`);
  let random: Random | undefined;
  if (meta.rng_state !== undefined) {
    random = new Random();
    try {
      random.setState(parseJson<number[]>("rng_state", meta.rng_state));
    } catch (error) {
      throw asFormat("rng_state", error);
    }
  }
  const dropoutState = meta.dropout_state === undefined ? undefined : prngState("dropout_state", meta.dropout_state);
  const data = meta.data === undefined ? undefined : parseJson<unknown>("data", meta.data);
  const tokenizer = readVocabulary(meta, format);

  // the configuration and optimizer against the file before anything is allocated
  if (config === null || typeof config !== "object" || Array.isArray(config)) throw format(`__metadata__.config must be a JSON object; got ${describe(config)}`);
  const { config: resolved, layout } = checkFileConfig({ ...config, backend }, file.tensors, maxParameters, true, format);
  if (tokenizer !== undefined) checkTokenizer(resolved, tokenizer, format);
  let states: string[];
  try {
    states = optimizerStateNames(resolveOptimizer(settings));
  } catch (error) {
    throw asFormat("trainer", error);
  }
  const expected = new Map<string, readonly number[]>();
  for (const t of layout.tensors) expected.set(t.name, t.shape);
  for (const state of states) for (const t of layout.tensors) expected.set(`optim.${state}.${t.name}`, t.shape);
  const hasBest = [...file.tensors.keys()].some((name) => name.startsWith(BEST));
  if (hasBest) for (const t of layout.tensors) expected.set(BEST + t.name, t.shape); // all of them, or the file is refused
  const carry = file.tensors.get(CARRY);
  const { hiddenSize: H, projSize: P } = resolved;
  const R = P > 0 ? P : H, L = resolved.numLayers * (resolved.bidirectional ? 2 : 1); // state slices: layer-major then direction
  if (carry !== undefined) {
    if (carry.shape.length !== 3 || carry.shape[0] !== L || carry.shape[2] !== R || carry.shape[1] < 1) {
      throw format(`tensor "${CARRY}" has shape [${carry.shape.join(", ")}]; expected [${resolved.bidirectional ? "2 × numLayers" : "numLayers"}, batchSize, ${P > 0 ? "projSize" : "hiddenSize"}] = [${L}, B ≥ 1, ${R}]`);
    }
    expected.set(CARRY, carry.shape);
    if (resolved.cell === "lstm") expected.set(CARRY_CELL, [L, carry.shape[1], H]);
  }
  if ((resolved.dropout > 0) !== (dropoutState !== undefined)) {
    throw format(resolved.dropout > 0 ? "__metadata__.dropout_state is missing: the model has dropout" : "__metadata__.dropout_state is given but the model has no dropout");
  }
  const optimizerName = (settings as { optimizer?: unknown }).optimizer ?? "sgd";
  for (const name of file.tensors.keys()) {
    if (!expected.has(name)) throw format(`unexpected tensor ${JSON.stringify(name)}; a ${optimizerName} checkpoint of this model holds ${[...expected.keys()].join(", ")}`);
  }
  for (const [name, shape] of expected) {
    const tensor = file.tensors.get(name);
    if (tensor === undefined) throw format(`tensor ${JSON.stringify(name)} is missing`);
    if (tensor.dtype !== "F32") throw format(`tensor ${JSON.stringify(name)} is ${tensor.dtype}; a checkpoint stores F32 (exact resume)`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw format(`tensor ${JSON.stringify(name)} has shape [${tensor.shape.join(", ")}]; expected [${shape.join(", ")}]`);
    }
    if (!tensor.data.every(Number.isFinite)) throw format(`tensor ${JSON.stringify(name)} holds a non-finite value`);
  }
  let model: RNN;
  try {
    model = new RNN({ ...config, backend, wasmModule: options.wasmModule });
  } catch (error) {
    throw asFormat("config", error);
  }
  try {
    let trainer: Trainer;
    try {
      trainer = new Trainer(model, { ...settings, schedule: options.schedule });
    } catch (error) {
      throw asFormat("trainer", error);
    }
    // everything checked: write the state in
    for (const t of model.layout.tensors) model.setParameter(t.name, file.tensors.get(t.name)!.data);
    const { arena } = model.internals();
    for (const state of states) {
      const base = arena.block(`optim.${state}`) >>> 2;
      for (const t of model.layout.tensors) arena.f32().set(file.tensors.get(`optim.${state}.${t.name}`)!.data, base + t.offset);
    }
    trainer.stepCount = step;
    if (dropoutState !== undefined) model.setDropoutState(dropoutState);
    const cellState = carry !== undefined && model.hasCellState ? file.tensors.get(CARRY_CELL)!.data : null;
    trainer.restoreCarriedState(carry === undefined ? null : { batchSize: carry.shape[1], state: carry.data, cellState });
    const bestWeights = hasBest ? model.layout.tensors.map((t) => file.tensors.get(BEST + t.name)!.data) : undefined;
    return { model, trainer, data, random, tokenizer, bestWeights };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** A xoshiro128** state in metadata: 4 unsigned 32-bit words, not all 0. */
function prngState(key: string, text: string): number[] {
  const words = parseJson<unknown>(key, text);
  if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) || words.every((w) => w === 0)) {
    throw format(`__metadata__.${key} must be 4 unsigned 32-bit words, not all 0; got ${text}`);
  }
  return words as number[];
}

function parseJson<T>(key: string, text: string | undefined): T {
  if (text === undefined) throw format(`__metadata__.${key} is missing`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw format(`__metadata__.${key} is not valid JSON`);
  }
}

/** A configuration or option the library rejects, found in a file: a FORMAT error saying where. */
function asFormat(key: string, error: unknown): unknown {
  if (error instanceof BpttError && error.code === "INVALID_ARGUMENT") return format(`__metadata__.${key} is invalid: ${error.message}`);
  return error;
}

function format(message: string): BpttError {
  return new BpttError("FORMAT", `checkpoint: ${message}`);
}

/**
 * "crc32:" + 8 hex digits: CRC-32 (IEEE) over the metadata (keys sorted, as JSON) and, in order, each
 * tensor's name, shape and float32 bytes (little-endian bit patterns).
 */
function checksum(metadata: Record<string, string>, tensors: readonly { name: string; shape: readonly number[]; data: Float32Array }[]): string {
  const keys = Object.keys(metadata).sort();
  let crc = crc32Json([keys.map((k) => [k, metadata[k]]), tensors.map((t) => [t.name, t.shape])]);
  for (const t of tensors) crc = crc32Floats(t.data, crc);
  return `crc32:${crc.toString(16).padStart(8, "0")}`;
}
