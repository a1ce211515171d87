import { CharTokenizer } from "../text/tokenizer.js";
import { Random } from "../random.js";
import { IGNORE_INDEX, type Batch } from "../batch.js";
import { invalid } from "../errors.js";

/** Text prepared for training: one example per line (each framed by a boundary character), or running text. */
export interface Corpus {
  tokenizer: CharTokenizer;
  kind: "lines" | "text";
  /** lines: one id sequence per example, boundary at both ends; text: the whole text as one sequence. */
  train: Int32Array[];
  heldOut: Int32Array[];
  boundaryId: number;
}

export const BOUNDARY = "\n";

export function linesCorpus(train: string[], heldOut: string[]): Corpus {
  const tokenizer = CharTokenizer.fromText(train.join("") + heldOut.join(""), { extra: [BOUNDARY] });
  const boundaryId = tokenizer.encode(BOUNDARY)[0];
  const frame = (line: string) => tokenizer.encode(BOUNDARY + line + BOUNDARY);
  return { tokenizer, kind: "lines", train: train.map(frame), heldOut: heldOut.map(frame), boundaryId };
}

/**
 * Running text: the last `heldOutFraction` of the characters, but at most `maxHeldOut`, are held out
 * (evaluating a long text is as slow as training on it; a few hundred thousand characters measure
 * the loss to about 0.01 nats).
 */
export function textCorpus(text: string, heldOutFraction: number, maxHeldOut = Infinity): Corpus {
  const tokenizer = CharTokenizer.fromText(text);
  const ids = tokenizer.encode(text);
  const cut = ids.length - Math.min(Math.floor(ids.length * heldOutFraction), maxHeldOut);
  return { tokenizer, kind: "text", train: [ids.subarray(0, cut)], heldOut: [ids.subarray(cut)], boundaryId: -1 };
}

/** Running text with held-out text of its own (at most its first `maxHeldOut` characters); the vocabulary covers both. */
export function textCorpusWithHeldOut(text: string, heldOut: string, maxHeldOut = Infinity): Corpus {
  const tokenizer = CharTokenizer.fromText(text + heldOut);
  const scored = tokenizer.encode(heldOut);
  return { tokenizer, kind: "text", train: [tokenizer.encode(text)], heldOut: [scored.subarray(0, Math.min(scored.length, maxHeldOut))], boundaryId: -1 };
}

/**
 * Fills training batches into buffers allocated once: for lines, B random examples padded to the
 * longest (padded steps have no target); for text, B parallel streams advancing T tokens per batch
 * (the trainer carries the hidden state across them: truncated BPTT).
 */
export class BatchSource {
  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;
  private readonly cursors: number[] = [];
  private readonly rng: Random;

  constructor(private readonly sequences: Int32Array[], private readonly kind: "lines" | "text", readonly batchSize: number, readonly seqLen: number, seed: number) {
    const longest = kind === "lines" ? longestTransitions(sequences) : seqLen;
    this.inputs = new Int32Array(batchSize * longest);
    this.targets = new Int32Array(batchSize * longest);
    this.rng = new Random(seed);
    if (kind === "text") {
      const stride = Math.floor((sequences[0].length - 1) / batchSize);
      for (let b = 0; b < batchSize; b++) this.cursors.push(b * stride);
    }
  }

  /** The PRNG that picks the examples of a lines batch: save its state in a checkpoint. */
  get random(): Random {
    return this.rng;
  }

  /** Where the text streams are (JSON, for a checkpoint's data position); the lines order lives in `random`. */
  position(): { cursors: number[] } {
    return { cursors: this.cursors.slice() };
  }

  /** Continue from a `position()`. */
  seek(position: { cursors: number[] }): void {
    const cursors = position?.cursors;
    if (!Array.isArray(cursors) || cursors.length !== this.cursors.length || !cursors.every((c) => Number.isInteger(c) && c >= 0)) {
      throw invalid(`data position must be { cursors } with ${this.cursors.length} non-negative integers; got ${JSON.stringify(position)}`);
    }
    this.cursors.splice(0, this.cursors.length, ...cursors);
  }

  /** Whether a batch continues the previous one (text streams: carry the state). */
  get continuous(): boolean {
    return this.kind === "text";
  }

  next(): Batch {
    return this.kind === "lines" ? this.nextLines() : this.nextText();
  }

  private nextLines(): Batch {
    const B = this.batchSize;
    const picks: Int32Array[] = [];
    let T = 1;
    for (let b = 0; b < B; b++) {
      const seq = this.sequences[this.rng.int(this.sequences.length)];
      picks.push(seq);
      T = Math.max(T, seq.length - 1);
    }
    return fillPadded(picks, T, this.inputs, this.targets);
  }

  private nextText(): Batch {
    const B = this.batchSize, T = this.seqLen, ids = this.sequences[0];
    const stride = Math.floor((ids.length - 1) / B);
    for (let b = 0; b < B; b++) {
      if (this.cursors[b] + T > (b + 1) * stride) this.cursors[b] = b * stride; // wrap within the stream
      const at = this.cursors[b];
      for (let t = 0; t < T; t++) {
        this.inputs[b * T + t] = ids[at + t];
        this.targets[b * T + t] = ids[at + t + 1];
      }
      this.cursors[b] = at + T;
    }
    return { batchSize: B, seqLen: T, inputs: this.inputs.subarray(0, B * T), targets: this.targets.subarray(0, B * T) };
  }
}

/** The most next-token pairs in any of `sequences` (a loop: a spread of a large corpus overflows the stack). */
export function longestTransitions(sequences: Int32Array[]): number {
  let longest = 0;
  for (const s of sequences) longest = Math.max(longest, s.length - 1);
  return longest;
}

/** Batch-first padded batch of next-token pairs from `sequences`, written into the given buffers. */
export function fillPadded(sequences: Int32Array[], T: number, inputs: Int32Array, targets: Int32Array): Batch {
  const B = sequences.length;
  for (let b = 0; b < B; b++) {
    const seq = sequences[b];
    for (let t = 0; t < T; t++) {
      const real = t + 1 < seq.length;
      inputs[b * T + t] = real ? seq[t] : 0;
      targets[b * T + t] = real ? seq[t + 1] : IGNORE_INDEX;
    }
  }
  return { batchSize: B, seqLen: T, inputs: inputs.subarray(0, B * T), targets: targets.subarray(0, B * T) };
}
