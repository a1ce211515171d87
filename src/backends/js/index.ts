import type { Backend, Ptr } from "../../backend.js";
import { BpttError } from "../../errors.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulNT, matmulTN } from "./matmul.js";
import { packRowGroups } from "./matvec.js";
import { clipByValue, copy, fill, scale, sumSquares } from "./vector.js";
import { linearBackward, linearForward } from "./linear.js";
import { embeddingBackward, embeddingForward } from "./embedding.js";
import { dropoutBackward, dropoutForward } from "./dropout.js";
import { copySteps } from "./steps.js";
import { crossEntropy, mse, softmax } from "./loss.js";
import { rnnBackward, rnnForward } from "./rnn.js";
import { lstmBackward, lstmForward } from "./lstm.js";
import { lstmProjBackward, lstmProjForward } from "./lstmp.js";
import { gruBackward, gruForward } from "./gru.js";
import { adagradStep, adamStep, adamwStep, rmspropStep, sgdStep } from "./optim.js";

/**
 * The pure-TypeScript backend: the same kernels as the Wasm module over one ArrayBuffer.
 * It is the reference for every Wasm kernel and the baseline of every speed comparison.
 */
export class JsBackend implements Backend {
  readonly name = "js" as const;
  readonly readsPackedWeights = false;
  readonly heapBase = 16;
  readonly poolScratchBytes = 0;
  private memory: JsMemory;
  private disposed = false;

  constructor(initialBytes = 1 << 16) {
    const buffer = new ArrayBuffer(initialBytes);
    this.memory = { f32: new Float32Array(buffer), i32: new Int32Array(buffer) };
  }

  get buffer(): ArrayBuffer {
    return this.memory.f32.buffer as ArrayBuffer;
  }

  reserve(bytes: number): void {
    if (this.disposed) throw new BpttError("DISPOSED", "the js backend was disposed");
    const old = this.memory.f32;
    if (bytes <= old.byteLength) return;
    let size = old.byteLength;
    while (size < bytes) size *= 2;
    const buffer = new ArrayBuffer(size);
    const f32 = new Float32Array(buffer);
    f32.set(old);
    this.memory = { f32, i32: new Int32Array(buffer) };
  }

  dispose(): void {
    this.disposed = true;
    const empty = new ArrayBuffer(0);
    this.memory = { f32: new Float32Array(empty), i32: new Int32Array(empty) };
  }

  matmulNT(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void { matmulNT(this.memory, C, A, B, M, N, K, accumulate); }
  matmulNN(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void { matmulNN(this.memory, C, A, B, M, N, K, accumulate); }
  matmulTN(C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void { matmulTN(this.memory, C, A, B, M, N, K, accumulate); }
  packRowGroups(Wp: Ptr, W: Ptr, R: number, K: number): void { packRowGroups(this.memory, Wp, W, R, K); }
  fill(x: Ptr, n: number, value: number): void { fill(this.memory, x, n, value); }
  copy(y: Ptr, x: Ptr, n: number): void { copy(this.memory, y, x, n); }
  scale(x: Ptr, n: number, s: number): void { scale(this.memory, x, n, s); }
  clipByValue(x: Ptr, n: number, c: number): void { clipByValue(this.memory, x, n, c); }
  sumSquares(x: Ptr, n: number): number { return sumSquares(this.memory, x, n); }
  linearForward(Y: Ptr, X: Ptr, W: Ptr, b: Ptr, N: number, O: number, H: number): void { linearForward(this.memory, Y, X, W, b, N, O, H); }
  linearBackward(dX: Ptr, dW: Ptr, db: Ptr, dY: Ptr, X: Ptr, W: Ptr, N: number, O: number, H: number): void { linearBackward(this.memory, dX, dW, db, dY, X, W, N, O, H); }
  embeddingForward(X: Ptr, tokens: Ptr, W: Ptr, N: number, E: number): void { embeddingForward(this.memory, X, tokens, W, N, E); }
  embeddingBackward(dW: Ptr, dX: Ptr, tokens: Ptr, N: number, E: number): void { embeddingBackward(this.memory, dW, dX, tokens, N, E); }
  dropoutForward(y: Ptr, mask: Ptr, x: Ptr, state: Ptr, n: number, threshold: number, scale: number): void {
    dropoutForward(this.memory, y, mask, x, state, n, threshold, scale);
  }
  dropoutBackward(dx: Ptr, dy: Ptr, mask: Ptr, n: number): void { dropoutBackward(this.memory, dx, dy, mask, n); }
  copySteps(y: Ptr, x: Ptr, lengths: Ptr, T: number, B: number, N: number, yStride: number, xStride: number, reverse: number, accumulate: number): void {
    copySteps(this.memory, y, x, lengths, T, B, N, yStride, xStride, reverse, accumulate);
  }
  crossEntropy(dlogits: Ptr, logits: Ptr, targets: Ptr, N: number, O: number): number { return crossEntropy(this.memory, dlogits, logits, targets, N, O); }
  mse(dy: Ptr, y: Ptr, targets: Ptr, mask: Ptr, N: number, O: number): number { return mse(this.memory, dy, y, targets, mask, N, O); }
  softmax(probs: Ptr, logits: Ptr, N: number, O: number, invTemperature: number): void { softmax(this.memory, probs, logits, N, O, invTemperature); }
  // WhhPacked: the js twins always read Whh itself (readsPackedWeights = false)
  rnnForward(hs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, act: number,
    _WhhPacked: Ptr): void {
    rnnForward(this.memory, hs, x, tokens, h0, Wih, Whh, bih, bhh, T, B, I, H, act);
  }
  rnnBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dhNorms: Ptr, dhs: Ptr, hs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, Wih: Ptr, Whh: Ptr,
    T: number, B: number, I: number, H: number, act: number, _WhhPacked: Ptr): void {
    rnnBackward(this.memory, dx, dWih, dWhh, dbih, dbhh, dh0, dhNorms, dhs, hs, x, tokens, h0, Wih, Whh, T, B, I, H, act);
  }
  lstmForward(hs: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, _WhhPacked: Ptr): void {
    lstmForward(this.memory, hs, cs, tanhCs, gates, x, tokens, h0, c0, Wih, Whh, bih, bhh, T, B, I, H);
  }
  lstmBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dc0: Ptr, dhNorms: Ptr,
    dgates: Ptr, dhs: Ptr, hs: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, T: number, B: number, I: number, H: number, _WhhPacked: Ptr): void {
    lstmBackward(this.memory, dx, dWih, dWhh, dbih, dbhh, dh0, dc0, dhNorms, dgates, dhs, hs, cs, tanhCs, gates, x, tokens, h0, c0, Wih, Whh, T, B, I, H);
  }
  lstmProjForward(hs: Ptr, ms: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, Whr: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, P: number): void {
    lstmProjForward(this.memory, hs, ms, cs, tanhCs, gates, x, tokens, h0, c0, Wih, Whh, Whr, bih, bhh, T, B, I, H, P);
  }
  lstmProjBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dWhr: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dc0: Ptr, dhNorms: Ptr,
    dgates: Ptr, dhp: Ptr, dms: Ptr, dhs: Ptr, hs: Ptr, ms: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
    Wih: Ptr, Whh: Ptr, Whr: Ptr, T: number, B: number, I: number, H: number, P: number): void {
    lstmProjBackward(this.memory, dx, dWih, dWhh, dWhr, dbih, dbhh, dh0, dc0, dhNorms, dgates, dhp, dms, dhs, hs, ms, cs, tanhCs, gates, x, tokens, h0, c0,
      Wih, Whh, Whr, T, B, I, H, P);
  }
  gruForward(hs: Ptr, gates: Ptr, ghs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr,
    Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, _WhhPacked: Ptr): void {
    gruForward(this.memory, hs, gates, ghs, x, tokens, h0, Wih, Whh, bih, bhh, T, B, I, H);
  }
  gruBackward(dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dhNorms: Ptr,
    dgates: Ptr, dns: Ptr, dhs: Ptr, hs: Ptr, gates: Ptr, ghs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr,
    Wih: Ptr, Whh: Ptr, T: number, B: number, I: number, H: number, _WhhPacked: Ptr): void {
    gruBackward(this.memory, dx, dWih, dWhh, dbih, dbhh, dh0, dhNorms, dgates, dns, dhs, hs, gates, ghs, x, tokens, h0, Wih, Whh, T, B, I, H);
  }
  sgdStep(params: Ptr, grads: Ptr, velocity: Ptr, n: number, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: number, firstStep: number): void {
    sgdStep(this.memory, params, grads, velocity, n, lr, momentum, dampening, weightDecay, nesterov, firstStep);
  }
  adagradStep(params: Ptr, grads: Ptr, sum: Ptr, n: number, clr: number, weightDecay: number, eps: number): void {
    adagradStep(this.memory, params, grads, sum, n, clr, weightDecay, eps);
  }
  rmspropStep(params: Ptr, grads: Ptr, squareAvg: Ptr, gradAvg: Ptr, momentumBuffer: Ptr, n: number,
    lr: number, alpha: number, eps: number, weightDecay: number, momentum: number, centered: number): void {
    rmspropStep(this.memory, params, grads, squareAvg, gradAvg, momentumBuffer, n, lr, alpha, eps, weightDecay, momentum, centered);
  }
  adamStep(params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
    stepSize: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc2Sqrt: number, amsgrad: number): void {
    adamStep(this.memory, params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, weightDecay, bc2Sqrt, amsgrad);
  }
  adamwStep(params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
    stepSize: number, beta1: number, beta2: number, eps: number, paramScale: number, bc2Sqrt: number, amsgrad: number): void {
    adamwStep(this.memory, params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, paramScale, bc2Sqrt, amsgrad);
  }
}
