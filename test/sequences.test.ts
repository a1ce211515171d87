import { describe, expect, it } from "vitest";
import { namesToSequences, packBatch, textWindows } from "../src/data/sequences.js";
import { BpttError } from "../src/errors.js";
import { CharTokenizer } from "../src/text/tokenizer.js";

const arrays = (xs: Int32Array[]): number[][] => xs.map((x) => Array.from(x));
const i32 = (xs: number[]): Int32Array => new Int32Array(xs);

function expectInvalid(fn: () => unknown, message: string): void {
  expect(fn).toThrow(BpttError);
  expect(fn).toThrow(message);
  try {
    fn();
  } catch (e) {
    expect((e as BpttError).code).toBe("INVALID_ARGUMENT");
  }
}

// "." = 0, "a" = 1, "b" = 2, "c" = 3
const tok = CharTokenizer.fromText("abc", { extra: ["."] });

describe("namesToSequences", () => {
  it("frames each encoded name with the boundary id", () => {
    expect(tok.chars).toEqual([".", "a", "b", "c"]);
    const seqs = namesToSequences(["ab", "c", "cab"], tok, ".");
    expect(seqs.every((s) => s instanceof Int32Array)).toBe(true);
    expect(arrays(seqs)).toEqual([
      [0, 1, 2, 0],
      [0, 3, 0],
      [0, 3, 1, 2, 0],
    ]);
    expect(namesToSequences([], tok, ".")).toEqual([]);
  });

  it("works with a boundary that is not the lowest id", () => {
    expect(arrays(namesToSequences(["ba"], tok, "c"))).toEqual([[3, 2, 1, 3]]);
  });

  it("rejects a bad boundary or name, naming the name", () => {
    expectInvalid(() => namesToSequences(["a"], tok, ".."), 'boundary must be exactly one character; got ".." (2 characters)');
    expectInvalid(() => namesToSequences(["a"], tok, "#"), 'cannot encode "#" (U+0023) at index 0');
    expectInvalid(() => namesToSequences(["ab", "a.b"], tok, "."), 'names[1] = "a.b" contains the boundary character "." at index 1');
    expectInvalid(() => namesToSequences(["ab", "abd"], tok, "."), 'names[1] = "abd": cannot encode "d" (U+0064) at index 2');
    expectInvalid(() => namesToSequences(["a", ""], tok, "."), "names[1] is empty");
    expectInvalid(() => namesToSequences([3 as unknown as string], tok, "."), "names[0] must be a string; got 3");
  });
});

describe("packBatch", () => {
  const seqs = [i32([0, 1, 2, 0]), i32([0, 3, 0])];

  it("shifts by one, pads to the longest with input 0 and target ignoreIndex, batch-first", () => {
    const batch = packBatch(seqs, 2);
    expect(batch.batchSize).toBe(2);
    expect(batch.seqLen).toBe(3);
    // row 0: .ab. → inputs . a b, targets a b .;  row 1: .c. → inputs . c (pad), targets c . (ignore)
    expect(Array.from(batch.inputs)).toEqual([0, 1, 2, /**/ 0, 3, 0]);
    expect(Array.from(batch.targets)).toEqual([1, 2, 0, /**/ 3, 0, -100]);
    expect(batch.inputs).toBeInstanceOf(Int32Array);
    expect(batch.targets).toBeInstanceOf(Int32Array);
  });

  it("fills rows beyond the sequences with padding, keeping the batch shape", () => {
    const batch = packBatch(seqs, 3, -1);
    expect(Array.from(batch.inputs)).toEqual([0, 1, 2, /**/ 0, 3, 0, /**/ 0, 0, 0]);
    expect(Array.from(batch.targets)).toEqual([1, 2, 0, /**/ 3, 0, -1, /**/ -1, -1, -1]);
  });

  it("counts one target per predicted character", () => {
    const batch = packBatch([i32([0, 1, 0]), i32([0, 2, 3, 1, 0]), i32([0, 3, 3, 0])], 4);
    expect(batch.seqLen).toBe(4);
    expect(batch.targets.filter((t) => t !== -100).length).toBe(2 + 4 + 3);
    // element (b, t) at b·seqLen + t: row 1, step 2 predicts seq[3] = 1 from seq[2] = 3
    expect(batch.inputs[1 * 4 + 2]).toBe(3);
    expect(batch.targets[1 * 4 + 2]).toBe(1);
  });

  it("allows a non-negative ignoreIndex only when no target equals it", () => {
    expect(Array.from(packBatch([i32([0, 1, 2]), i32([0, 1])], 2, 0).targets)).toEqual([1, 2, 1, 0]);
    expectInvalid(() => packBatch([i32([1, 2, 0])], 1, 0), "sequences[0][2] = 0 equals ignoreIndex");
  });

  it("rejects bad batches", () => {
    expectInvalid(() => packBatch([], 2), "sequences has 0 entries; expected 1 to batchSize = 2");
    expectInvalid(() => packBatch(seqs, 1), "sequences has 2 entries; expected 1 to batchSize = 1");
    expectInvalid(() => packBatch([i32([0])], 1), "sequences[0] has length 1; expected at least 2 ids");
    expectInvalid(() => packBatch([i32([0, -5])], 1), "sequences[0][1] = -5; expected a token id ≥ 0");
    expectInvalid(() => packBatch([[0, 1] as never], 1), "sequences[0] must be an Int32Array; got array of length 2");
    expectInvalid(() => packBatch(seqs, 0), "batchSize must be a positive integer; got 0");
    expectInvalid(() => packBatch(seqs, 2, 1.5), "ignoreIndex must be an integer; got 1.5");
  });
});

describe("textWindows", () => {
  it("cuts text into consecutive windows whose targets are the inputs shifted by one", () => {
    const ids = i32([10, 11, 12, 13, 14, 15, 16]); // 6 targets = 2 windows of 3
    const windows = textWindows(ids, 3);
    expect(windows.map((w) => [Array.from(w.inputs), Array.from(w.targets)])).toEqual([
      [[10, 11, 12], [11, 12, 13]],
      [[13, 14, 15], [14, 15, 16]],
    ]);
  });

  it("ends with a shorter window rather than dropping the tail", () => {
    const windows = textWindows(i32([10, 11, 12, 13, 14, 15, 16, 17]), 3);
    expect(windows.map((w) => [Array.from(w.inputs), Array.from(w.targets)])).toEqual([
      [[10, 11, 12], [11, 12, 13]],
      [[13, 14, 15], [14, 15, 16]],
      [[16], [17]],
    ]);
    expect(textWindows(i32([1, 2]), 5).map((w) => [Array.from(w.inputs), Array.from(w.targets)])).toEqual([[[1], [2]]]);
  });

  it("returns views into the ids, not copies", () => {
    const ids = i32([1, 2, 3, 4, 5]);
    const [first] = textWindows(ids, 2);
    expect(first.inputs.buffer).toBe(ids.buffer);
    ids[1] = 9;
    expect(Array.from(first.inputs)).toEqual([1, 9]);
    expect(Array.from(first.targets)).toEqual([9, 3]);
  });

  it("rejects too little text or a bad window length", () => {
    expectInvalid(() => textWindows(i32([1]), 3), "ids has length 1; expected at least 2");
    expectInvalid(() => textWindows(i32([1, 2]), 0), "seqLen must be a positive integer; got 0");
    expectInvalid(() => textWindows([1, 2] as never, 1), "ids must be an Int32Array; got array of length 2");
  });
});
