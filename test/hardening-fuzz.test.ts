/**
 * Seeded fuzzing of the three readers (issue 10): decodeSafetensors, loadModel and loadCheckpoint
 * each get FUZZ_COUNT mutations of valid files — bit flips, truncations and appended bytes, edits of
 * the 8-byte header length, edits of the header JSON (dtypes, shapes, data_offsets, names, huge and
 * ill-typed numbers, the metadata object) and of the metadata's values (config, vocabulary, trainer
 * options, step, PRNG state…). Metadata edits of checkpoints are re-signed and model files get their
 * CRCs recomputed or dropped, so that they reach the checks behind the checksums.
 *
 * Every mutation must load (and then hold what it says) or throw a BpttError; never another error,
 * never more than MAX_CALL_MS for one call, and the peak resident memory of the process may not grow
 * by more than 256 MiB over the whole suite. A failure names the seed and the mutation's index:
 * FUZZ_SEED=<seed> reproduces it, FUZZ_COUNT=<n> runs more.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpttError, CharTokenizer, Random, RNN, Trainer } from "../src/index.js";
import { decodeSafetensors, loadCheckpoint, loadModel, saveCheckpoint, saveModel } from "../src/io.js";
import { resigned, withMetadata } from "./helpers/files.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20240610);
const FUZZ_COUNT = Number(process.env.FUZZ_COUNT ?? 2000);
const MAX_CALL_MS = 2000;
const MAX_RSS_GROWTH = 256 * 2 ** 20;

/** mulberry32: a PRNG of the test's own, independent of the library's. */
class Draw {
  #a: number;
  constructor(seed: number) {
    this.#a = seed >>> 0;
  }
  next(): number {
    let t = (this.#a = (this.#a + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ------------------------------------------------------------------ the files mutated

const tokenizer = new CharTokenizer(["\n", "a", "b", "c", "d", "e"]);
const lstm = new RNN({ cell: "lstm", inputSize: 6, hiddenSize: 5, numLayers: 2, backend: "js", seed: 1, forgetBias: 1 });
const modelFile = saveModel(lstm, { tokenizer, metadata: { note: "fuzz" } });
const gru = new RNN({ cell: "gru", inputSize: 6, hiddenSize: 4, backend: "js", seed: 2 });
const trainer = new Trainer(gru, { optimizer: "adam", learningRate: 0.01, clipNorm: 1 });
const batch = { batchSize: 2, seqLen: 3, inputs: [1, 2, 3, 4, 5, 1], targets: [2, 3, 4, 5, 1, 2] };
trainer.step(batch, { carryState: true });
const random = new Random(9);
random.next();
const checkpointFile = saveCheckpoint(trainer, { tokenizer, random, data: { cursor: 17 } });
const torchFile = new Uint8Array(readFileSync(new URL("./fixtures/torch_lstm.safetensors", import.meta.url))); // F32, F64, F16, BF16

// ------------------------------------------------------------------ mutations

/** Values that break assumptions: huge, negative, fractional, ill-typed, at the 32- and 53-bit edges. */
const HOSTILE: unknown[] = [
  0, -1, 1, 2, 3, 7, 1.5, -0.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, -1e300, 1e-300,
  "3", "", "F32", null, true, false, [], [1], [0, 8], {}, { a: 1 },
];
const DTYPES = ["F32", "F64", "F16", "BF16", "I32", "U8", "F8_E4M3", "f32", ""];

interface Parsed {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function parse(bytes: Uint8Array): Parsed {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}

/** Serialise a header object (any JSON value) and a data buffer as safetensors, padding the header to 8 bytes. */
function serialise(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + data.length);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  out.set(data, 8 + n);
  return out;
}

const tensorNames = (header: Record<string, unknown>) => Object.keys(header).filter((k) => k !== "__metadata__");

/** One edit of a tensor entry or the header object: the kinds the reader must check. */
function editHeader(d: Draw, { header, data }: Parsed): Uint8Array {
  const names = tensorNames(header);
  const name = d.pick(names);
  const entry = header[name] as Record<string, unknown>;
  const shape = entry.shape as unknown[];
  const offsets = entry.data_offsets as unknown[];
  switch (d.int(14)) {
    case 0: entry.dtype = d.chance(0.8) ? d.pick(DTYPES) : d.pick(HOSTILE); break;
    case 1: if (shape.length > 0) shape[d.int(shape.length)] = d.pick(HOSTILE); else shape.push(d.pick(HOSTILE)); break;
    case 2: shape.push(d.chance(0.5) ? 1 : d.pick(HOSTILE)); break;
    case 3: if (shape.length > 0) shape[d.int(shape.length)] = (shape[0] as number) * 2; shape.reverse(); break;
    case 4: offsets[d.int(2)] = d.pick(HOSTILE); break;
    case 5: { const k = d.pick([1, 2, 4, 8, -4, -8]); entry.data_offsets = offsets.map((o) => (o as number) + k); break; }
    case 6: entry.data_offsets = d.pick([[offsets[1], offsets[0]], [offsets[0]], [...offsets, 0], [0, offsets[1]], "0-8", null]); break;
    case 7: delete entry[d.pick(["dtype", "shape", "data_offsets"])]; break;
    case 8: entry[d.pick(["shape", "dtype", "data_offsets"])] = d.pick(HOSTILE); break;
    case 9: {
      // rename: to another tensor's name (two entries become one), to the empty name, or to "__proto__"
      const to = d.pick([...names, "", "__proto__", "rnn.weight_ih_l9", "optim.exp_avg.head.bias", "carry.c"]);
      const value = header[name];
      delete header[name];
      Object.defineProperty(header, to, { value, enumerable: true, configurable: true, writable: true });
      break;
    }
    case 10: delete header[name]; break;
    case 11: header[`extra.${d.int(9)}`] = { dtype: d.pick(DTYPES), shape: [d.pick(HOSTILE)], data_offsets: [d.pick(HOSTILE), d.pick(HOSTILE)] }; break;
    case 12: header.__metadata__ = d.chance(0.5) ? d.pick(HOSTILE) : { ...(header.__metadata__ as object), [d.pick(["format", "config", "x"])]: d.pick(HOSTILE) }; break;
    default: return serialise(d.pick(HOSTILE), data);
  }
  return serialise(header, data);
}

/** Bytes flipped, cut, appended, or the 8-byte header length rewritten. */
function editBytes(d: Draw, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const headerEnd = 8 + view.getUint32(0, true);
  switch (d.int(6)) {
    case 0: // 1–4 bit flips anywhere
    case 1: {
      for (let k = 1 + d.int(4); k > 0; k--) out[d.int(out.length)] ^= 1 << d.int(8);
      return out;
    }
    case 2: // a bit flip inside the header JSON
      out[8 + d.int(headerEnd - 8)] ^= 1 << d.int(8);
      return out;
    case 3: // truncation: anywhere, or just around the end of the header
      return out.subarray(0, d.chance(0.5) ? d.int(out.length) : Math.max(0, headerEnd + d.int(17) - 8));
    case 4: { // bytes appended
      const tail = new Uint8Array(1 + d.int(64)).map(() => d.int(256));
      const longer = new Uint8Array(out.length + tail.length);
      longer.set(out);
      longer.set(tail, out.length);
      return longer;
    }
    default: { // the header length: off by a little, or huge (both words)
      const n = headerEnd - 8;
      const value = d.pick([n - 1, n + 1, n - 8, n + 8, 0, 1, out.length, 100_000_001, 2 ** 32 - 1]);
      view.setUint32(0, value >>> 0, true);
      if (d.chance(0.3)) view.setUint32(4, d.pick([1, 0xffffffff, 0x1fffff]), true);
      return out;
    }
  }
}

/** Set a key of a JSON object text to a hostile value, delete a key, or replace the text. */
function editJsonText(d: Draw, text: string | undefined, keys: readonly string[], values: readonly unknown[]): string {
  const replacement = () => d.pick(["", "{", "null", "[]", "7", '"x"', JSON.stringify(d.pick(HOSTILE))]);
  if (text === undefined || d.chance(0.1)) return replacement();
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text);
  } catch {
    return replacement(); // an earlier edit of this mutation broke it
  }
  if (value === null || typeof value !== "object") return replacement();
  if (d.chance(0.15)) delete value[d.pick(Object.keys(value).length > 0 ? Object.keys(value) : keys)];
  else value[d.pick(keys)] = d.chance(0.6) ? d.pick(values) : d.pick(HOSTILE);
  return JSON.stringify(value);
}

const CONFIG_KEYS = ["cell", "input", "inputSize", "hiddenSize", "outputSize", "numLayers", "nonlinearity", "bias", "forgetBias", "loss", "init", "seed", "dropout", "backend"];
const CONFIG_VALUES = ["lstm", "gru", "rnn", "dense", "tokens", "mse", "relu", "xavier", "orthogonal", 4, 5, 6, 1, 2, 100_000, 2 ** 28, 65_537];
const TRAINER_KEYS = ["optimizer", "learningRate", "betas", "eps", "weightDecay", "amsgrad", "momentum", "reduction", "clipNorm", "clipValue", "nesterov", "bogus"];
const TRAINER_VALUES = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "mean", 0.1, 0, 1, [0.9, 0.999], [1, 1]];

/** One edit of a metadata value: the configuration, vocabulary, format, and for checkpoints their own keys. */
function editMetadata(d: Draw, meta: Record<string, string>, checkpoint: boolean): void {
  const which = d.int(checkpoint ? 10 : 5);
  switch (which) {
    case 0: case 1: meta.config = editJsonText(d, meta.config, CONFIG_KEYS, CONFIG_VALUES); break;
    case 2: meta.vocabulary = d.pick([
      JSON.stringify({ type: "char", chars: ["a", "b"] }), JSON.stringify({ type: "char", chars: ["a", "a", "b", "c", "d", "e"] }),
      JSON.stringify({ type: "word", chars: [] }), JSON.stringify({ type: "char", chars: ["ab", "c", "d", "e", "f", "g"] }), "{", JSON.stringify(d.pick(HOSTILE)),
    ]); break;
    case 3: meta.format_version = d.pick(["0", "2", "", "1.0"]); break;
    case 4: if (d.chance(0.5)) delete meta[d.pick(Object.keys(meta))]; else meta.format = d.pick(["bptt", "bptt-checkpoint", "x"]); break;
    case 5: case 6: meta.trainer = editJsonText(d, meta.trainer, TRAINER_KEYS, TRAINER_VALUES); break;
    case 7: meta.step = d.pick(["-1", "1.5", "01", "1e3", "9007199254740993", "", "x", "0", "12"]); break;
    case 8: meta.rng_state = d.pick(["[0,0,0,0]", "[1,2,3]", "[1,2,3,-4]", "[1,2,3,4294967296]", "[1.5,2,3,4]", '"1,2,3,4"', "{", "[1,2,3,4]"]); break;
    default: if (d.chance(0.5)) meta.schedule = d.pick(["true", "maybe", ""]); else meta.data = d.pick(["{", "", "null", "[1,2]"]);
  }
}

// ------------------------------------------------------------------ the harness

interface Tally {
  loaded: number;
  errors: Map<string, number>;
  slowestMs: number;
  /** The message of every BpttError, in order. */
  messages: string[];
}

/** The mutated file's header, for the failure message (its metadata shows an edit of it). */
function shown(bytes: Uint8Array): string {
  try {
    return `its header: ${JSON.stringify(parse(bytes).header, (key, value) => (key === "data_offsets" ? undefined : value)).slice(0, 1500)}`;
  } catch {
    return `${bytes.length} bytes, no readable header`;
  }
}

/**
 * Run `count` mutations through `read`: each must return (then `verify` its result) or throw a
 * BpttError, within MAX_CALL_MS. The first error of any other type fails the test, naming the seed
 * and index that reproduce it.
 */
function fuzz(label: string, count: number, mutate: (d: Draw, k: number) => Uint8Array, read: (bytes: Uint8Array, k: number) => unknown, verify: (result: unknown) => void): Tally {
  const tally: Tally = { loaded: 0, errors: new Map(), slowestMs: 0, messages: [] };
  for (let k = 0; k < count; k++) {
    const d = new Draw(SEED * 7919 + k);
    let bytes: Uint8Array;
    try {
      bytes = mutate(d, k);
    } catch (error) {
      throw new Error(`${label}: making mutation ${k} (seed ${SEED}) failed: ${error}`);
    }
    const started = performance.now();
    let result: unknown;
    let caught: unknown;
    try {
      result = read(bytes, k);
    } catch (error) {
      caught = error;
    }
    const ms = performance.now() - started;
    tally.slowestMs = Math.max(tally.slowestMs, ms);
    if (ms > MAX_CALL_MS) expect.fail(`${label}: mutation ${k} (FUZZ_SEED=${SEED}) took ${ms.toFixed(0)} ms; ${shown(bytes)}`);
    if (caught === undefined) {
      tally.loaded++;
      verify(result);
      continue;
    }
    if (!(caught instanceof BpttError)) {
      expect.fail(`${label}: mutation ${k} (FUZZ_SEED=${SEED}) threw ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}; ${shown(bytes)}\n${(caught as Error)?.stack}`);
    }
    tally.errors.set(caught.code, (tally.errors.get(caught.code) ?? 0) + 1);
    tally.messages.push(caught.message);
  }
  const codes = [...tally.errors].map(([code, n]) => `${code} ${n}`).join(", ");
  console.log(`fuzz ${label}: ${count} mutations (FUZZ_SEED=${SEED}): loaded ${tally.loaded}; ${codes}; slowest call ${tally.slowestMs.toFixed(1)} ms`);
  return tally;
}

/** A file is structurally mutated (bytes or header) with probability `structural`, else its metadata edited. */
function mutateFile(base: Uint8Array, checkpoint: boolean, structural: number) {
  return (d: Draw): Uint8Array => {
    if (d.chance(structural)) return d.chance(0.5) ? editBytes(d, base) : editHeader(d, parse(base));
    const edit = (meta: Record<string, string>) => {
      for (let n = 1 + d.int(2); n > 0; n--) editMetadata(d, meta, checkpoint);
    };
    return checkpoint ? resigned(base, edit) : withMetadata(base, edit, d.chance(0.5) ? "recompute" : "drop");
  };
}

/** Every tenth read on the wasm backend (a model per load costs a module instance), the others on js. */
const backendFor = (k: number) => (k % 10 === 0 ? "wasm" : "js");

function disposeLoaded(result: unknown): void {
  (result as { model: RNN }).model.dispose();
}

const peakBefore = process.resourceUsage().maxRSS * 1024;

describe(`seeded fuzzing of the readers (${FUZZ_COUNT} mutations each)`, () => {
  it("decodeSafetensors: a tensor it returns holds product(shape) floats and the metadata only strings", () => {
    const bases = [modelFile, checkpointFile, torchFile];
    const tally = fuzz("decodeSafetensors", FUZZ_COUNT, (d) => {
      const base = d.pick(bases);
      return d.chance(0.5) ? editBytes(d, base) : editHeader(d, parse(base));
    }, decodeSafetensors, (result) => {
      const file = result as ReturnType<typeof decodeSafetensors>;
      for (const [name, t] of file.tensors) expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
      for (const value of Object.values(file.metadata)) expect(typeof value).toBe("string");
    });
    expect(tally.errors.get("FORMAT") ?? 0).toBeGreaterThan(FUZZ_COUNT / 2);
    expect([...tally.errors.keys()]).toEqual(["FORMAT"]);
  });

  it("loadModel: a model it returns has the tensors of its configuration", () => {
    const tally = fuzz("loadModel", FUZZ_COUNT, mutateFile(modelFile, false, 0.5), (bytes, k) => loadModel(bytes, { backend: backendFor(k) }), (result) => {
      const { model } = result as { model: RNN };
      expect(model.parameters().every((t) => t.data.every(Number.isFinite))).toBe(true);
      disposeLoaded(result);
    });
    // the mutations reach past the CRCs and the safetensors layer into the configuration checks
    const deep = tally.messages.filter((m) => !m.startsWith("safetensors:") && !m.includes("CRC-32")).length;
    expect(deep, "errors from the configuration and tensor checks").toBeGreaterThan(FUZZ_COUNT / 5);
  });

  it("loadCheckpoint: a trainer it returns continues training", () => {
    const tally = fuzz("loadCheckpoint", FUZZ_COUNT, mutateFile(checkpointFile, true, 0.4), (bytes, k) => loadCheckpoint(bytes, { backend: backendFor(k) }), (result) => {
      const { trainer: loaded } = result as { trainer: Trainer };
      const B = loaded.carriedState()?.batchSize ?? 2;
      const c = loaded.model.config; // a re-signed edit may have made another valid model: train it when the batch fits
      if (c.input === "tokens" && c.loss === "cross-entropy" && c.inputSize >= 6 && c.outputSize >= 6) {
        expect(Number.isFinite(loaded.step({ ...batch, batchSize: B, inputs: batch.inputs.slice(0, 3 * B), targets: batch.targets.slice(0, 3 * B) }).loss)).toBe(true);
      }
      disposeLoaded(result);
    });
    // INVALID_ARGUMENT only where the caller must act: a run with a schedule needs it passed again
    for (const m of tally.messages.filter((m) => !m.startsWith("checkpoint:") && !m.startsWith("safetensors:"))) expect(m).toMatch(/^the checkpoint was trained with a learning-rate schedule/);
    const deep = tally.messages.filter((m) => !m.startsWith("safetensors:") && !m.includes("checksum")).length;
    expect(deep, "errors from the checks behind the checksum").toBeGreaterThan(FUZZ_COUNT / 5);
  });

  it("the process's peak resident memory grew by less than 256 MiB over the whole suite", () => {
    expect(process.resourceUsage().maxRSS * 1024 - peakBefore).toBeLessThan(MAX_RSS_GROWTH);
  });
});
