/**
 * Issue 10, item 11: model files that bptt writes carry a CRC-32 of each part in
 * `__metadata__.crc32` (a JSON object: "__metadata__" for the other metadata, and one entry per
 * tensor), checked on load: a flipped bit is a FORMAT error naming the part that is corrupt. Files
 * without it (PyTorch's, or bptt's from before) still load. The CRCs are recomputed here bit by bit,
 * independently of the library's table-driven CRC.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CharTokenizer, RNN, type RNNOptions } from "../src/index.js";
import { decodeSafetensors, encodeSafetensors, loadModel, saveModel } from "../src/io.js";
import { expectError } from "./helpers/errors.js";
import { crc32, hex8 as hex } from "./helpers/files.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

const model = new RNN({ cell: "gru", inputSize: 4, hiddenSize: 3, numLayers: 2, backend: "js", seed: 11 });
const tokenizer = new CharTokenizer(["a", "b", "c", "d"]);
const bytes = saveModel(model, { tokenizer, metadata: { note: "x" } });
const file = decodeSafetensors(bytes);

/** The byte offset in `bytes` of a tensor's data (after the 8-byte length and the header). */
function dataOffset(source: Uint8Array, name: string): number {
  const view = new DataView(source.buffer, source.byteOffset);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(source.subarray(8, 8 + headerLength)));
  return 8 + headerLength + header[name].data_offsets[0];
}

/** The file re-encoded with its metadata edited (tensors unchanged). */
function withMetadata(edit: (meta: Record<string, string>) => void): Uint8Array {
  const meta = { ...file.metadata };
  edit(meta);
  return encodeSafetensors([...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), meta);
}

describe("saveModel writes a CRC-32 per part", () => {
  it("__metadata__.crc32 holds the CRC of the other metadata and of each tensor's name, shape and bytes", () => {
    const stored = JSON.parse(file.metadata.crc32) as Record<string, string>;
    expect(Object.keys(stored)).toEqual(["__metadata__", ...file.tensors.keys()]);
    const { crc32: _crc, ...rest } = file.metadata;
    const pairs = Object.keys(rest).sort().map((k) => [k, rest[k]]);
    expect(stored.__metadata__).toBe(hex(crc32(utf8(JSON.stringify(pairs)))));
    for (const [name, t] of file.tensors) {
      const crc = crc32(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), crc32(utf8(JSON.stringify([name, t.shape]))));
      expect(stored[name], name).toBe(hex(crc));
    }
  });

  it("crc32 is a reserved metadata key", () => {
    expectError(() => saveModel(model, { metadata: { crc32: "{}" } }), "INVALID_ARGUMENT", 'metadata key "crc32" is reserved');
  });
});

describe("a corrupt part is a FORMAT error naming it", () => {
  it.each([...file.tensors.keys()])("one bit flipped in the data of %s", (name) => {
    const corrupt = bytes.slice();
    corrupt[dataOffset(bytes, name) + 2] ^= 0x10;
    expectError(() => loadModel(corrupt, { backend: "js" }), "FORMAT", new RegExp(`^tensor "${name.replace(/\./g, "\\.")}" does not match its CRC-32 \\(stored [0-9a-f]{8}, computed [0-9a-f]{8}\\): the file is corrupt$`));
  });

  it("a changed metadata value (the configuration's seed, the vocabulary, a user key)", () => {
    for (const edit of [
      (m: Record<string, string>) => (m.config = m.config.replace('"seed":11', '"seed":12')),
      (m: Record<string, string>) => (m.vocabulary = m.vocabulary.replace('"d"', '"e"')),
      (m: Record<string, string>) => (m.note = "y"),
    ]) {
      expectError(() => loadModel(withMetadata(edit), { backend: "js" }), "FORMAT", /^__metadata__ does not match its CRC-32 \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\): the file is corrupt$/);
    }
  });

  it("a crc32 entry that is malformed, missing a tensor or naming one the file lacks", () => {
    const edit = (change: (stored: Record<string, unknown>) => void) => withMetadata((m) => {
      const stored = JSON.parse(m.crc32);
      change(stored);
      m.crc32 = JSON.stringify(stored);
    });
    expectError(() => loadModel(withMetadata((m) => (m.crc32 = "{")), { backend: "js" }), "FORMAT", /__metadata__\.crc32 must be a JSON object of 8-digit hex CRCs by part/);
    expectError(() => loadModel(edit((s) => (s["head.bias"] = 5)), { backend: "js" }), "FORMAT", /__metadata__\.crc32 must be a JSON object of 8-digit hex CRCs by part/);
    expectError(() => loadModel(edit((s) => delete s["head.bias"]), { backend: "js" }), "FORMAT", /^tensor "head\.bias" has no CRC-32 in __metadata__\.crc32$/);
    expectError(() => loadModel(edit((s) => (s["head.extra"] = "00000000")), { backend: "js" }), "FORMAT", /^__metadata__\.crc32 names "head\.extra", which the file does not hold$/);
  });

  it("the corrupt part is named before the configuration is read: a flipped bit in it is not a confusing config error", () => {
    const bad = withMetadata((m) => (m.config = m.config.replace('"hiddenSize":3', '"hiddenSize":7')));
    expectError(() => loadModel(bad, { backend: "js" }), "FORMAT", /^__metadata__ does not match its CRC-32/);
  });
});

describe("files without a CRC still load", () => {
  it("a bptt file with crc32 removed (as written before it existed) loads and gives the same outputs", () => {
    const { model: loaded, tokenizer: tok } = loadModel(withMetadata((m) => delete m.crc32), { backend: "js" });
    expect(tok?.chars).toEqual(tokenizer.chars);
    for (const t of model.parameters()) expect(loaded.getParameter(t.name)).toEqual(t.data);
    loaded.dispose();
  });

  it.each(["torch_rnn", "torch_lstm", "torch_gru"])("PyTorch's %s.safetensors (no crc32) loads with its config", (name) => {
    const interop = JSON.parse(readFileSync(new URL("./fixtures/interop.json", import.meta.url), "utf8")) as { pytorchToBptt: { file: string; config: RNNOptions }[] };
    const r = interop.pytorchToBptt.find((x) => x.file === `${name}.safetensors`)!;
    const torchBytes = readFileSync(new URL(`./fixtures/${r.file}`, import.meta.url));
    expect(decodeSafetensors(torchBytes).metadata.crc32).toBeUndefined();
    const { model: loaded } = loadModel(torchBytes, { config: r.config, backend: "js" });
    loaded.dispose();
  });

  it("a file written under other module names carries CRCs under those names and loads", () => {
    const renamed = saveModel(model, { names: { rnn: "gru", head: "fc" } });
    const stored = JSON.parse(decodeSafetensors(renamed).metadata.crc32);
    expect(Object.keys(stored)).toContain("gru.weight_hh_l1");
    loadModel(renamed, { backend: "js" }).model.dispose();
  });
});

describe("a vocabulary whose size is not the model's is a FORMAT error on load", () => {
  it("a file (without CRC, as an edited one would be) whose vocabulary has 3 characters for inputSize 4", () => {
    const bad = withMetadata((m) => {
      delete m.crc32;
      m.vocabulary = JSON.stringify({ type: "char", chars: ["a", "b", "c"] });
    });
    expectError(() => loadModel(bad, { backend: "js" }), "FORMAT", "tokenizer has 3 characters but the model's inputSize is 4");
  });
});
