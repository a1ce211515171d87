import { describe, expect, it } from "vitest";
import { expectError } from "./helpers/errors.js";
import { CharTokenizer } from "../src/text/tokenizer.js";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz ";

describe("CharTokenizer.fromText", () => {
  it("builds the sorted distinct characters", () => {
    const tok = CharTokenizer.fromText("hello");
    expect(tok.chars).toEqual(["e", "h", "l", "o"]);
    expect(tok.vocabSize).toBe(4);
  });

  it("sorts by code point, so astral characters come after U+FFFD (UTF-16 order would not)", () => {
    // "😀" is U+1F600, stored as the surrogates D83D DE00, which compare below U+FFFD as code units
    const tok = CharTokenizer.fromText("z\uFFFDb😀a");
    expect(tok.chars).toEqual(["a", "b", "z", "\uFFFD", "😀"]);
  });

  it("treats an astral character as one character", () => {
    const tok = CharTokenizer.fromText("a😀b");
    expect(tok.vocabSize).toBe(3);
    expect(Array.from(tok.encode("😀ab😀"))).toEqual([2, 0, 1, 2]);
    expect(tok.decode([2, 0, 1, 2])).toBe("😀ab😀");
  });

  it("adds extra characters into the sorted vocabulary", () => {
    expect(CharTokenizer.fromText("ba", { extra: ["."] }).chars).toEqual([".", "a", "b"]);
    expect(CharTokenizer.fromText("ba", { extra: ["a"] }).chars).toEqual(["a", "b"]);
    expect(CharTokenizer.fromText("", { extra: ["\n"] }).chars).toEqual(["\n"]);
  });

  it("rejects extra entries that are not one character", () => {
    expectError(() => CharTokenizer.fromText("ab", { extra: ["<eos>"] }), "INVALID_ARGUMENT", 'options.extra[0] must be exactly one character; got "<eos>"');
    expectError(() => CharTokenizer.fromText("ab", { extra: [""] }), "INVALID_ARGUMENT", "options.extra[0] must be exactly one character");
    expectError(() => CharTokenizer.fromText(42 as unknown as string), "INVALID_ARGUMENT", "text must be a string; got 42");
  });

  it("rejects empty text without extras (no vocabulary)", () => {
    expectError(() => CharTokenizer.fromText(""), "INVALID_ARGUMENT", "at least one character");
  });
});

describe("CharTokenizer", () => {
  it("keeps the constructor's order: ids are positions", () => {
    const tok = new CharTokenizer(["b", "a", "😀"]);
    expect(Array.from(tok.encode("ab😀"))).toEqual([1, 0, 2]);
    expect(tok.decode(new Int32Array([2, 1, 0]))).toBe("😀ab");
  });

  it("returns a copy from .chars", () => {
    const tok = new CharTokenizer(["a", "b"]);
    tok.chars[0] = "x";
    expect(tok.chars).toEqual(["a", "b"]);
  });

  it("encodes to Int32Array and decodes back", () => {
    const tok = CharTokenizer.fromText(ALPHABET);
    const ids = tok.encode("hello world");
    expect(ids).toBeInstanceOf(Int32Array);
    // a=0 .. z=25, and " " (U+0020) sorts first, so every letter shifts by one
    expect(Array.from(ids)).toEqual([8, 5, 12, 12, 15, 0, 23, 15, 18, 12, 4]);
    expect(tok.decode(ids)).toBe("hello world");
    expect(tok.encode("").length).toBe(0);
    expect(tok.decode([])).toBe("");
  });

  it("names the unknown character, its index and the vocabulary size", () => {
    const tok = CharTokenizer.fromText(ALPHABET);
    expectError(() => tok.encode("café"), "INVALID_ARGUMENT", 'cannot encode "é" (U+00E9) at index 3: not in the vocabulary of 27 characters');
    expectError(() => tok.encode("café"), "INVALID_ARGUMENT", "options.extra");
    // the index counts characters, not UTF-16 units
    expectError(() => CharTokenizer.fromText("😀").encode("😀😀x"), "INVALID_ARGUMENT", 'cannot encode "x" (U+0078) at index 2');
    expectError(() => tok.encode("a\nb"), "INVALID_ARGUMENT", 'cannot encode "\\n" (U+000A) at index 1');
    expectError(() => tok.encode(["a"] as unknown as string), "INVALID_ARGUMENT", "encode expects a string");
  });

  it("rejects ids out of range or not integers", () => {
    const tok = new CharTokenizer(["a", "b", "c", "d"]);
    expectError(() => tok.decode([0, 4]), "INVALID_ARGUMENT", "cannot decode ids[1] = 4: expected an integer id in [0, 4)");
    expectError(() => tok.decode([-1]), "INVALID_ARGUMENT", "ids[0] = -1");
    expectError(() => tok.decode([1.5]), "INVALID_ARGUMENT", "ids[0] = 1.5");
    expectError(() => tok.decode([NaN]), "INVALID_ARGUMENT", "ids[0] = NaN");
    expectError(() => tok.decode("ab" as unknown as number[]), "INVALID_ARGUMENT", "decode expects an array of ids");
  });

  it("rejects bad vocabularies", () => {
    expectError(() => new CharTokenizer([]), "INVALID_ARGUMENT", "at least one character");
    expectError(() => new CharTokenizer(["a", "b", "a"]), "INVALID_ARGUMENT", 'chars[2] = "a" (U+0061) repeats chars[0]');
    expectError(() => new CharTokenizer(["ab"]), "INVALID_ARGUMENT", 'chars[0] must be exactly one character; got "ab" (U+0061) (2 characters)');
    expectError(() => new CharTokenizer([7 as unknown as string]), "INVALID_ARGUMENT", "chars[0] must be a single character; got 7");
  });
});

describe("CharTokenizer JSON", () => {
  it("round-trips through an object and through a JSON string", () => {
    const tok = CharTokenizer.fromText("hi 😀\n");
    expect(tok.toJSON()).toEqual({ type: "char", chars: ["\n", " ", "h", "i", "😀"] });
    const text = JSON.stringify(tok);
    expect(text).toBe('{"type":"char","chars":["\\n"," ","h","i","😀"]}');
    for (const restored of [CharTokenizer.fromJSON(text), CharTokenizer.fromJSON(JSON.parse(text))]) {
      expect(restored.chars).toEqual(tok.chars);
      expect(Array.from(restored.encode("hi😀"))).toEqual(Array.from(tok.encode("hi😀")));
    }
  });

  it("rejects malformed stored tokenizers with FORMAT", () => {
    expectError(() => CharTokenizer.fromJSON("{"), "FORMAT", "stored tokenizer is not valid JSON");
    expectError(() => CharTokenizer.fromJSON(null), "FORMAT", "must be an object");
    expectError(() => CharTokenizer.fromJSON({ type: "bpe", chars: ["a"] }), "FORMAT", 'type "bpe"; expected "char"');
    expectError(() => CharTokenizer.fromJSON({ type: "char", chars: "ab" }), "FORMAT", "chars must be an array");
    expectError(() => CharTokenizer.fromJSON({ type: "char", chars: ["a", "a"] }), "FORMAT", "stored tokenizer: chars[1]");
  });
});
