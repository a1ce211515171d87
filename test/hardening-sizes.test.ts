/**
 * Sizes never wrap: every size is computed in float64 and checked against what the backend can
 * address (Wasm: 4 GiB; js: 2 GiB, its kernels' byte offsets are signed 32-bit) before anything is
 * allocated. Too large a configuration, window, stream or optimizer state throws a BpttError that
 * names the option and the bytes needed, fast, and leaves the model as it was. Nothing here
 * allocates more than a few MB: each case must be refused before its memory exists.
 */
import { describe, expect, it } from "vitest";
import { Arena } from "../src/arena.js";
import type { Backend } from "../src/backend.js";
import { BpttError, RNN } from "../src/index.js";
import { train } from "../src/cli/train.js";
import { gruCell } from "../src/cells/gru.js";
import { lstmCell } from "../src/cells/lstm.js";
import { rnnCell } from "../src/cells/rnn.js";
import { parameterLayout } from "../src/layout.js";
import { lstmProjCell } from "../src/cells/lstmp.js";
import { parameterCountOf, parameterSpan } from "../src/limits.js";
import { expectError } from "./helpers/errors.js";

/** The BpttError `fn` throws, and how long it took to throw. */
function refusal(fn: () => unknown): { error: BpttError; ms: number } {
  const started = performance.now();
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BpttError);
    return { error: error as BpttError, ms: performance.now() - started };
  }
  return expect.fail("expected a BpttError");
}

describe("model sizes are computed in float64 and checked before anything is allocated", () => {
  it.each(["wasm", "js"] as const)("inputSize 2^30 (a 2^30-float weight_ih_l0) is refused on %s, naming inputSize and the bytes", (backend) => {
    const { error, ms } = refusal(() => new RNN({ inputSize: 2 ** 30, hiddenSize: 1, outputSize: 2, backend }));
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(/inputSize/);
    // parameters and gradients alone: 2 × 4 × (2^30 + a few) bytes
    expect(error.message).toMatch(/8,589,9\d\d,\d\d\d bytes/);
    expect(error.message).toContain(backend === "wasm" ? "4 GiB" : "2 GiB");
    expect(ms).toBeLessThan(500);
  });

  it("js: inputSize 2^29 and hiddenSize 23171 (W_hh of 536,895,241 floats) are refused, not a NaN loss or an empty W_hh", () => {
    expectError(() => new RNN({ inputSize: 2 ** 29, hiddenSize: 1, outputSize: 2, backend: "js" }), "INVALID_ARGUMENT", /inputSize.*2 GiB/s);
    expectError(() => new RNN({ inputSize: 2, hiddenSize: 23171, backend: "js" }), "INVALID_ARGUMENT", /hiddenSize.*4,29\d,\d\d\d,\d\d\d bytes/s);
  });

  it("an LSTM with H = 16384 (4.3 GB of parameters) is refused when built, not with a RuntimeError in the trainer", () => {
    expectError(() => new RNN({ cell: "lstm", inputSize: 14, hiddenSize: 16384 }), "INVALID_ARGUMENT", /hiddenSize/);
  });

  it("numLayers 2^28 is refused at once (no layout of 2^28 layers is built)", () => {
    const { error, ms } = refusal(() => new RNN({ inputSize: 2, hiddenSize: 1, numLayers: 2 ** 28 }));
    expect(error.message).toMatch(/numLayers/);
    expect(ms).toBeLessThan(500);
  });

  it("a window too large for the memory is refused before staging, and the model keeps working", () => {
    // 2^20 classes: each row of logits and their gradient is 8 MiB, so 32 × 32 rows need 8 GiB
    const model = new RNN({ inputSize: 2, hiddenSize: 1, outputSize: 2 ** 20, backend: "wasm" });
    const small = { batchSize: 1, seqLen: 1, inputs: [1], targets: [5] };
    const before = model.forward(small).loss;
    const bytes = model.memoryBytes;
    const huge = { batchSize: 32, seqLen: 32, inputs: new Int32Array(1024), targets: new Int32Array(1024) };
    expectError(() => model.forward(huge), "INVALID_ARGUMENT", /batchSize × seqLen = 32 × 32.*bytes.*4 GiB/s);
    expect(model.memoryBytes).toBe(bytes);
    expect(model.forward(small).loss).toBe(before);
    expectError(() => model.resetState(1024), "INVALID_ARGUMENT", /batchSize 1024.*bytes/s);
    model.resetState(1);
    model.dispose();
  });

  it("an arena refuses a block that would pass its limit, naming the bytes, and stays as it was", () => {
    let reserved = 0;
    const backend = { heapBase: 16, buffer: new ArrayBuffer(1 << 16), reserve: (n: number) => (reserved = Math.max(reserved, n)) } as unknown as Backend;
    const arena = new Arena(backend, 1 << 20, "the test limit");
    arena.define("a", 1000);
    const end = arena.end();
    expectError(() => arena.define("b", 2 ** 32), "INVALID_ARGUMENT", /4,294,967,296 bytes/);
    expectError(() => arena.define("a", 2 ** 20), "INVALID_ARGUMENT", /block "a"/);
    expect(arena.end()).toBe(end);
    expect(reserved).toBeLessThan(1 << 20);
  });

  it("the closed-form span and count (checked before any layout exists) equal the layout's, for odd sizes, every cell, with and without biases", () => {
    for (const cell of [rnnCell, lstmCell, gruCell]) {
      for (const [I, H, L, O] of [[1, 1, 1, 1], [5, 7, 3, 2], [13, 6, 2, 9], [3, 17, 1, 5]]) {
        for (const bias of [true, false]) {
          const layout = parameterLayout(cell, I, H, L, O, bias);
          const sizes = { gates: cell.gates, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, bias };
          expect(parameterSpan(sizes)).toBe(layout.span);
          expect(parameterCountOf(sizes)).toBe(layout.tensors.reduce((n, t) => n + t.size, 0));
        }
      }
    }
  });

  it("the closed-form span and count equal the layout's with an embedding (E) and LSTM projections (P)", () => {
    for (const [I, E, H, P, L, O] of [[5, 3, 7, 0, 2, 2], [13, 9, 6, 5, 3, 9], [3, 0, 17, 1, 1, 5], [4, 1, 2, 1, 2, 1]]) {
      for (const bias of [true, false]) {
        const cell = P > 0 ? lstmProjCell(P) : lstmCell;
        const layout = parameterLayout(cell, I, H, L, O, bias, E, P);
        const sizes = { gates: cell.gates, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, bias, embeddingSize: E, projSize: P };
        expect(parameterSpan(sizes)).toBe(layout.span);
        expect(parameterCountOf(sizes)).toBe(layout.tensors.reduce((n, t) => n + t.size, 0));
      }
    }
  });

  it("the closed-form span and count equal the layout's when bidirectional, for every cell, with an embedding and projections", () => {
    for (const [I, E, H, P, L, O] of [[5, 3, 7, 0, 2, 2], [13, 9, 6, 5, 3, 9], [3, 0, 17, 1, 1, 5], [4, 1, 2, 1, 2, 1], [6, 0, 5, 0, 3, 3]]) {
      for (const cell of P > 0 ? [lstmProjCell(P)] : [rnnCell, lstmCell, gruCell]) {
        for (const bias of [true, false]) {
          const layout = parameterLayout(cell, I, H, L, O, bias, E, P, true);
          const sizes = { gates: cell.gates, inputSize: I, hiddenSize: H, numLayers: L, outputSize: O, bias, embeddingSize: E, projSize: P, bidirectional: true };
          expect(layout.tensors.filter((t) => t.name.endsWith("_reverse"))).toHaveLength(L * ((bias ? 4 : 2) + (P > 0 ? 1 : 0)));
          expect(parameterSpan(sizes)).toBe(layout.span);
          expect(parameterCountOf(sizes)).toBe(layout.tensors.reduce((n, t) => n + t.size, 0));
        }
      }
    }
  });

  it("bptt train --hidden 1e9 names --hidden and the bytes, not a wrapped reserve size", () => {
    const { error } = refusal(() => train(["--hidden", "1e9", "--steps", "1"], () => {}));
    expect(error.message).toMatch(/hidden/);
    expect(error.message).toMatch(/\d{1,3}(,\d{3})+ bytes/);
    expect(error.message).not.toMatch(/-\d/);
  });
});
