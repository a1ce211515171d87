/**
 * A character-level tokenizer: one id per Unicode character (code point), ids are positions
 * in the vocabulary. Astral characters (emoji, U+10000 and above) are single characters,
 * never two UTF-16 halves: every walk over text goes through `for..of`.
 */
import { BpttError, describe, invalid } from "../errors.js";

/** The stored form, e.g. `JSON.stringify(tokenizer)` in safetensors `__metadata__`. */
export interface CharTokenizerJSON {
  type: "char";
  chars: string[];
}

export class CharTokenizer {
  readonly #vocab: readonly string[];
  readonly #ids: Map<string, number>;

  /**
   * Build a vocabulary from every distinct character of `text` (plus `options.extra`, e.g. a
   * boundary character the text lacks), sorted by Unicode code point.
   */
  static fromText(text: string, options: { extra?: string[] } = {}): CharTokenizer {
    if (typeof text !== "string") throw invalid(`text must be a string; got ${describe(text)}`);
    const extra = options.extra ?? [];
    if (!Array.isArray(extra)) throw invalid(`options.extra must be an array of single characters; got ${describe(extra)}`);
    const distinct = new Set<string>();
    for (const ch of text) distinct.add(ch);
    extra.forEach((ch, i) => {
      checkCharacter(`options.extra[${i}]`, ch);
      distinct.add(ch);
    });
    return new CharTokenizer([...distinct].sort(byCodePoint));
  }

  /** `chars[id]` is the character of id `id`; each must be one character and appear once. */
  constructor(chars: string[]) {
    if (!Array.isArray(chars)) throw invalid(`chars must be an array of single characters; got ${describe(chars)}`);
    if (chars.length === 0) throw invalid("chars must hold at least one character; got an empty array");
    const ids = new Map<string, number>();
    chars.forEach((ch, i) => {
      checkCharacter(`chars[${i}]`, ch);
      const earlier = ids.get(ch);
      if (earlier !== undefined) throw invalid(`chars[${i}] = ${show(ch)} repeats chars[${earlier}]; each character may appear once`);
      ids.set(ch, i);
    });
    this.#vocab = chars.slice();
    this.#ids = ids;
  }

  get vocabSize(): number {
    return this.#vocab.length;
  }

  /** The vocabulary in id order (a copy). */
  get chars(): string[] {
    return this.#vocab.slice();
  }

  /** One id per character of `text`. */
  encode(text: string): Int32Array {
    if (typeof text !== "string") throw invalid(`encode expects a string; got ${describe(text)}`);
    const out = new Int32Array(text.length); // an upper bound: astral characters take two code units
    let n = 0;
    for (const ch of text) {
      const id = this.#ids.get(ch);
      if (id === undefined) {
        throw invalid(
          `cannot encode ${show(ch)} at index ${n}: not in the vocabulary of ${this.#vocab.length} characters` +
            ` (build the tokenizer from text that contains it, or pass it in options.extra)`,
        );
      }
      out[n++] = id;
    }
    return out.slice(0, n);
  }

  /** The text of `ids`; every id must be an integer in [0, vocabSize). */
  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") {
      throw invalid(`decode expects an array of ids; got ${describe(ids)}`);
    }
    let text = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.#vocab.length) {
        throw invalid(`cannot decode ids[${i}] = ${describe(id)}: expected an integer id in [0, ${this.#vocab.length})`);
      }
      text += this.#vocab[id];
    }
    return text;
  }

  toJSON(): CharTokenizerJSON {
    return { type: "char", chars: this.#vocab.slice() };
  }

  /** Restore from `toJSON()`'s object or its JSON string; a malformed value throws `FORMAT`. */
  static fromJSON(json: unknown): CharTokenizer {
    let value = json;
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch (e) {
        throw new BpttError("FORMAT", `stored tokenizer is not valid JSON: ${(e as Error).message}`);
      }
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new BpttError("FORMAT", `stored tokenizer must be an object { type: "char", chars: [...] }; got ${describe(value)}`);
    }
    const { type, chars } = value as Record<string, unknown>;
    if (type !== "char") throw new BpttError("FORMAT", `stored tokenizer has type ${describe(type)}; expected "char"`);
    if (!Array.isArray(chars)) throw new BpttError("FORMAT", `stored tokenizer's chars must be an array; got ${describe(chars)}`);
    try {
      return new CharTokenizer(chars as string[]);
    } catch (e) {
      if (e instanceof BpttError) throw new BpttError("FORMAT", `stored tokenizer: ${e.message}`);
      throw e;
    }
  }
}

/** Order by code point; `Array#sort`'s default compares UTF-16 units, which misorders astral characters. */
function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

function checkCharacter(name: string, ch: unknown): void {
  if (typeof ch !== "string") throw invalid(`${name} must be a single character; got ${describe(ch)}`);
  let count = 0;
  for (const _ of ch) count++;
  if (count !== 1) throw invalid(`${name} must be exactly one character; got ${show(ch)} (${count} characters)`);
}

/** A character for a message: quoted and escaped, with its code point. */
function show(ch: string): string {
  if (ch.length === 0) return '""';
  const cp = ch.codePointAt(0)!;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, "0")})`;
}
