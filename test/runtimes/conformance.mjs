// The runtime conformance script: the same computation in every runtime, from the packed package.
// Create a small model with a fixed seed, train 20 steps with clipping, save and reload it, generate
// 50 tokens. Losses and gradient norms come back as the hex of their float64 bit patterns and the
// saved file as a checksum, so the harness compares them exactly (the kernels never call the host's
// Math, so every engine must agree to the bit).
//
//   conformance(bptt, io) → { losses, gradNorms, clipped, savedBytes, savedChecksum, reloadedLoss, tokens }
//   `bptt` and `io` are the module namespaces (or the require() objects) of the package under test's
//   main entry and of bptt/io.

/** Hex of a number's float64 bit pattern: equal strings ⇔ identical bits. */
function bits(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getUint32(0).toString(16).padStart(8, "0") + view.getUint32(4).toString(16).padStart(8, "0");
}

/** FNV-1a over the bytes, as 8 hex digits. */
function checksum(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

export function conformance(bptt, io) {
  const { RNN, Trainer, generate } = bptt;
  const { saveModel, loadModel } = io;
  const V = 13, B = 4, T = 12;
  const model = new RNN({ inputSize: V, hiddenSize: 24, numLayers: 2, nonlinearity: "tanh", seed: 1234 });
  const trainer = new Trainer(model, { learningRate: 0.5, momentum: 0.9, clipNorm: 0.25, clipValue: 1, reduction: "mean" });
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  const losses = [], gradNorms = [], clipped = [];
  for (let step = 0; step < 20; step++) {
    // a counting task with a per-sequence stride: next = (token + stride) mod V
    for (let b = 0; b < B; b++) {
      const stride = 1 + ((b + step) % 3);
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = (b * 5 + step + t * stride) % V;
        targets[b * T + t] = (b * 5 + step + (t + 1) * stride) % V;
      }
    }
    const r = trainer.step({ batchSize: B, seqLen: T, inputs, targets });
    losses.push(bits(r.loss));
    gradNorms.push(bits(r.gradNorm));
    clipped.push(r.clipped);
  }
  const saved = saveModel(model);
  const check = { batchSize: B, seqLen: T, inputs, targets };
  const before = model.forward(check).loss;
  model.dispose();
  const { model: reloaded } = loadModel(saved);
  if (!(reloaded instanceof RNN)) throw new Error("bptt/io must share the main entry's copy of the library: the loaded model is not an instance of its RNN");
  const after = reloaded.forward(check).loss;
  if (bits(before) !== bits(after)) throw new Error(`the reloaded model's loss ${after} differs from the saved model's ${before}`);
  const tokens = generate(reloaded, { prompt: [1, 2, 3], length: 50, temperature: 0.8, seed: 99 });
  reloaded.dispose();
  return { losses, gradNorms, clipped, savedBytes: saved.length, savedChecksum: checksum(saved), reloadedLoss: bits(after), tokens };
}

/** Batched LSTM training large enough for the pool (B = 24 in 6 blocks of 4): loss bits and a checksum of the weights. */
function batchedRun(bptt) {
  const { RNN, Trainer } = bptt;
  const V = 29, B = 24, T = 16;
  const model = new RNN({ cell: "lstm", inputSize: V, hiddenSize: 66, numLayers: 2, seed: 77 });
  const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1 });
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  const losses = [];
  for (let step = 0; step < 3; step++) {
    for (let i = 0; i < B * T; i++) {
      inputs[i] = (i * 7 + step * 3) % V;
      targets[i] = (i * 11 + step) % V;
    }
    losses.push(bits(trainer.step({ batchSize: B, seqLen: T, inputs, targets }).loss));
  }
  const weights = model.parameters().map((p) => checksum(new Uint8Array(Float32Array.from(p.data).buffer)));
  model.dispose();
  return { losses, weights };
}

/** Losses of two runs as numbers, from their bit patterns: the largest relative difference. */
function lossGap(a, b) {
  const value = (hex) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, parseInt(hex.slice(0, 8), 16));
    view.setUint32(4, parseInt(hex.slice(8), 16));
    return view.getFloat64(0);
  };
  return Math.max(...a.losses.map((x, i) => Math.abs(value(x) - value(b.losses[i])) / Math.abs(value(b.losses[i]))));
}

/**
 * The relaxed-SIMD opt-in: the default build, then init({ relaxedSimd: true }) (used where the host
 * validates relaxed SIMD, else the default build stays), then the same with 3 threads.
 */
export async function relaxedConformance(bptt) {
  const plain = batchedRun(bptt);
  await bptt.init({ relaxedSimd: true });
  const used = bptt.relaxedSimdInUse();
  const relaxed = batchedRun(bptt);
  const threads = await bptt.init({ threads: 3 });
  const relaxedThreaded = batchedRun(bptt);
  return { used, threads, plain, relaxed, relaxedThreaded, gap: lossGap(relaxed, plain) };
}

/**
 * The threaded build against the single-threaded one in the same runtime: `single` before any pool,
 * `threaded` after init({ threads }) (which resolves to `threads`, the count in use: 1 where the host
 * has no shared memory). The pool is left running: a Node process must still exit by itself.
 */
export async function threadedConformance(bptt, threads = 3) {
  const single = batchedRun(bptt);
  const inUse = await bptt.init({ threads });
  const threaded = batchedRun(bptt);
  return { threads: inUse, single, threaded };
}
