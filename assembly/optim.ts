// Optimizer updates with PyTorch's semantics over n contiguous parameters (the whole parameter block
// in one call), f32x4 with scalar tails that do the same operations in the same order. Every state
// block has the parameter layout: params, grads and each state tensor are (n). Scalars that depend
// on the step (bias corrections, the decayed Adagrad rate) are computed by the host and passed in.
// Each thread of a call updates its own share of the n parameters (blocks of 16, ops/threads.ts).
import { real } from "./precision";
import { myThread, shareStart, threads } from "./ops/threads";

/**
 * SGD with PyTorch's semantics (torch.optim.SGD):
 *   g = grad + weightDecay·p
 *   v = g on the first step, else v = momentum·v + (1 − dampening)·g     (only when momentum ≠ 0)
 *   g = g + momentum·v (nesterov), else g = v                              (only when momentum ≠ 0)
 *   p = p − lr·g
 * velocity is not touched (may be 0) when momentum = 0.
 */
export function sgdStep(params: usize, grads: usize, velocity: usize, n: i32, lr: real, momentum: real,
  dampening: real, weightDecay: real, nesterov: i32, firstStep: i32): void {
  assert(((params | grads | velocity) & 3) == 0 && n >= 0, "sgdStep: misaligned pointer or negative n");
  const i0 = shareStart(n, 16, threads(), myThread()), i1 = shareStart(n, 16, threads(), myThread() + 1);
  const first = <usize>i0 << 2; // this thread's share: parameters i0 … i1 − 1
  params += first; grads += first; velocity += first;
  n = i1 - i0;
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(weightDecay), vmu = f32x4.splat(momentum);
  const keep: real = 1 - dampening;
  const vkeep = f32x4.splat(keep);
  let i = 0;
  let off: usize = 0;
  if (momentum == 0) {
    for (; i + 8 <= n; i += 8, off += 32) { // two vectors per iteration (one stack check per 8)
      const p0 = v128.load(params + off), p1 = v128.load(params + off, 16);
      const g0 = f32x4.add(v128.load(grads + off), f32x4.mul(vwd, p0));
      const g1 = f32x4.add(v128.load(grads + off, 16), f32x4.mul(vwd, p1));
      v128.store(params + off, f32x4.sub(p0, f32x4.mul(vlr, g0)));
      v128.store(params + off, f32x4.sub(p1, f32x4.mul(vlr, g1)), 16);
    }
    for (; i + 4 <= n; i += 4, off += 16) {
      const p = v128.load(params + off);
      const g = f32x4.add(v128.load(grads + off), f32x4.mul(vwd, p));
      v128.store(params + off, f32x4.sub(p, f32x4.mul(vlr, g)));
    }
    for (; i < n; i++, off += 4) {
      const p = load<f32>(params + off);
      const g = load<f32>(grads + off) + weightDecay * p;
      store<f32>(params + off, p - lr * g);
    }
    return;
  }
  for (; i + 4 <= n; i += 4, off += 16) {
    const p = v128.load(params + off);
    let g = f32x4.add(v128.load(grads + off), f32x4.mul(vwd, p));
    const v = firstStep ? g : f32x4.add(f32x4.mul(vmu, v128.load(velocity + off)), f32x4.mul(vkeep, g));
    v128.store(velocity + off, v);
    g = nesterov ? f32x4.add(g, f32x4.mul(vmu, v)) : v;
    v128.store(params + off, f32x4.sub(p, f32x4.mul(vlr, g)));
  }
  for (; i < n; i++, off += 4) {
    const p = load<f32>(params + off);
    let g = load<f32>(grads + off) + weightDecay * p;
    const v = firstStep ? g : momentum * load<f32>(velocity + off) + keep * g;
    store<f32>(velocity + off, v);
    g = nesterov ? g + momentum * v : v;
    store<f32>(params + off, p - lr * g);
  }
}

/**
 * Adagrad with PyTorch's semantics (torch.optim.Adagrad), over n parameters:
 *   g   = grad + weightDecay·p
 *   sum = sum + g·g
 *   p   = p − clr·g / (√sum + eps)
 * clr = lr / (1 + (step − 1)·lr_decay) depends on the step: the host computes it (in f64) and passes it.
 * sum starts at initial_accumulator_value (the host fills it). params, grads, sum: (n).
 */
export function adagradStep(params: usize, grads: usize, sum: usize, n: i32, clr: real, weightDecay: real, eps: real): void {
  assert(((params | grads | sum) & 3) == 0 && n >= 0, "adagradStep: misaligned pointer or negative n");
  const i0 = shareStart(n, 16, threads(), myThread()), i1 = shareStart(n, 16, threads(), myThread() + 1);
  const first = <usize>i0 << 2; // this thread's share: parameters i0 … i1 − 1
  params += first; grads += first; sum += first;
  n = i1 - i0;
  const vclr = f32x4.splat(clr), vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps);
  let i = 0;
  let off: usize = 0;
  for (; i + 4 <= n; i += 4, off += 16) {
    const p = v128.load(params + off);
    const g = f32x4.add(v128.load(grads + off), f32x4.mul(vwd, p));
    const s = f32x4.add(v128.load(sum + off), f32x4.mul(g, g));
    v128.store(sum + off, s);
    const std = f32x4.add(f32x4.sqrt(s), veps);
    v128.store(params + off, f32x4.sub(p, f32x4.mul(vclr, f32x4.div(g, std))));
  }
  for (; i < n; i++, off += 4) {
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) + weightDecay * p;
    const s = load<f32>(sum + off) + g * g;
    store<f32>(sum + off, s);
    store<f32>(params + off, p - clr * (g / (sqrt<f32>(s) + eps)));
  }
}

/**
 * RMSprop with PyTorch's semantics (torch.optim.RMSprop), over n parameters:
 *   g   = grad + weightDecay·p
 *   sq  = α·sq + (1 − α)·g·g
 *   ga  = α·ga + (1 − α)·g,  avg = √(sq − ga·ga) + eps            (centered = 1)
 *                            avg = √sq + eps                       (centered = 0)
 *   buf = momentum·buf + g / avg,  p = p − lr·buf                  (momentum > 0)
 *   p   = p − lr·g / avg                                           (momentum = 0)
 * Every state starts at zero. gradAvg is ignored (may be 0) unless centered; momentumBuffer unless
 * momentum > 0. As in PyTorch, a centered variance that rounds below zero gives NaN (no clamp).
 * params, grads, squareAvg, gradAvg, momentumBuffer: (n).
 */
export function rmspropStep(params: usize, grads: usize, squareAvg: usize, gradAvg: usize, momentumBuffer: usize, n: i32,
  lr: real, alpha: real, eps: real, weightDecay: real, momentum: real, centered: i32): void {
  assert(((params | grads | squareAvg | gradAvg | momentumBuffer) & 3) == 0 && n >= 0, "rmspropStep: misaligned pointer or negative n");
  const i0 = shareStart(n, 16, threads(), myThread()), i1 = shareStart(n, 16, threads(), myThread() + 1);
  const first = <usize>i0 << 2; // this thread's share: parameters i0 … i1 − 1
  params += first; grads += first; squareAvg += first; gradAvg += first; momentumBuffer += first;
  n = i1 - i0;
  const keep: real = 1 - alpha;
  const vlr = f32x4.splat(lr), va = f32x4.splat(alpha), vkeep = f32x4.splat(keep), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay), vmu = f32x4.splat(momentum);
  const useMomentum = momentum > 0;
  let i = 0;
  let off: usize = 0;
  for (; i + 4 <= n; i += 4, off += 16) {
    const p = v128.load(params + off);
    const g = f32x4.add(v128.load(grads + off), f32x4.mul(vwd, p));
    const sq = f32x4.add(f32x4.mul(v128.load(squareAvg + off), va), f32x4.mul(vkeep, f32x4.mul(g, g)));
    v128.store(squareAvg + off, sq);
    let variance = sq;
    if (centered) {
      const ga = f32x4.add(f32x4.mul(v128.load(gradAvg + off), va), f32x4.mul(vkeep, g));
      v128.store(gradAvg + off, ga);
      variance = f32x4.sub(sq, f32x4.mul(ga, ga));
    }
    const avg = f32x4.add(f32x4.sqrt(variance), veps);
    if (useMomentum) {
      const buf = f32x4.add(f32x4.mul(v128.load(momentumBuffer + off), vmu), f32x4.div(g, avg));
      v128.store(momentumBuffer + off, buf);
      v128.store(params + off, f32x4.sub(p, f32x4.mul(vlr, buf)));
    } else {
      v128.store(params + off, f32x4.sub(p, f32x4.mul(vlr, f32x4.div(g, avg))));
    }
  }
  for (; i < n; i++, off += 4) {
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) + weightDecay * p;
    const sq = load<f32>(squareAvg + off) * alpha + keep * (g * g);
    store<f32>(squareAvg + off, sq);
    let variance = sq;
    if (centered) {
      const ga = load<f32>(gradAvg + off) * alpha + keep * g;
      store<f32>(gradAvg + off, ga);
      variance = sq - ga * ga;
    }
    const avg = sqrt<f32>(variance) + eps;
    if (useMomentum) {
      const buf = load<f32>(momentumBuffer + off) * momentum + g / avg;
      store<f32>(momentumBuffer + off, buf);
      store<f32>(params + off, p - lr * buf);
    } else {
      store<f32>(params + off, p - lr * (g / avg));
    }
  }
}

/**
 * The shared body of Adam and AdamW (torch.optim.Adam / AdamW), over n parameters:
 *   p    = paramScale·p                     (AdamW's decoupled decay: paramScale = 1 − lr·weight_decay; 1 for Adam)
 *   g    = grad + weightDecay·p             (Adam's L2 term; weightDecay = 0 for AdamW)
 *   m    = β1·m + (1 − β1)·g
 *   v    = β2·v + (1 − β2)·g·g
 *   vmax = max(vmax, v), v̂ = vmax  (amsgrad = 1);  v̂ = v  (amsgrad = 0)
 *   p    = p − stepSize·m / (√v̂ / bc2Sqrt + eps)
 * stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t) depend on the step t: the host computes them.
 * maxExpAvgSq is ignored (may be 0) unless amsgrad. params, grads, expAvg, expAvgSq, maxExpAvgSq: (n).
 */
// @ts-ignore: decorator
@inline function adamUpdate(params: usize, grads: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, n: i32,
  stepSize: real, beta1: real, beta2: real, eps: real, paramScale: real, weightDecay: real, bc2Sqrt: real, amsgrad: i32): void {
  const keep1: real = 1 - beta1, keep2: real = 1 - beta2;
  const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), vk1 = f32x4.splat(keep1), vk2 = f32x4.splat(keep2);
  const vstep = f32x4.splat(stepSize), veps = f32x4.splat(eps), vscale = f32x4.splat(paramScale);
  const vwd = f32x4.splat(weightDecay), vbc2 = f32x4.splat(bc2Sqrt);
  let i = 0;
  let off: usize = 0;
  for (; i + 4 <= n; i += 4, off += 16) {
    const p = f32x4.mul(v128.load(params + off), vscale);
    const g = f32x4.add(v128.load(grads + off), f32x4.mul(vwd, p));
    const m = f32x4.add(f32x4.mul(v128.load(expAvg + off), vb1), f32x4.mul(vk1, g));
    let v = f32x4.add(f32x4.mul(v128.load(expAvgSq + off), vb2), f32x4.mul(vk2, f32x4.mul(g, g)));
    v128.store(expAvg + off, m);
    v128.store(expAvgSq + off, v);
    if (amsgrad) {
      v = f32x4.max(v128.load(maxExpAvgSq + off), v);
      v128.store(maxExpAvgSq + off, v);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), vbc2), veps);
    v128.store(params + off, f32x4.sub(p, f32x4.mul(vstep, f32x4.div(m, denom))));
  }
  for (; i < n; i++, off += 4) {
    const p = load<f32>(params + off) * paramScale;
    const g = load<f32>(grads + off) + weightDecay * p;
    const m = load<f32>(expAvg + off) * beta1 + keep1 * g;
    let v = load<f32>(expAvgSq + off) * beta2 + keep2 * (g * g);
    store<f32>(expAvg + off, m);
    store<f32>(expAvgSq + off, v);
    if (amsgrad) {
      v = max<f32>(load<f32>(maxExpAvgSq + off), v);
      store<f32>(maxExpAvgSq + off, v);
    }
    const denom = sqrt<f32>(v) / bc2Sqrt + eps;
    store<f32>(params + off, p - stepSize * (m / denom));
  }
}

/** Adam (torch.optim.Adam): L2 weight decay added to the gradient; see adamUpdate for the math. */
export function adamStep(params: usize, grads: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, n: i32,
  stepSize: real, beta1: real, beta2: real, eps: real, weightDecay: real, bc2Sqrt: real, amsgrad: i32): void {
  assert(((params | grads | expAvg | expAvgSq | maxExpAvgSq) & 3) == 0 && n >= 0, "adamStep: misaligned pointer or negative n");
  const i0 = shareStart(n, 16, threads(), myThread()), i1 = shareStart(n, 16, threads(), myThread() + 1);
  const first = <usize>i0 << 2; // this thread's share: parameters i0 … i1 − 1
  params += first; grads += first; expAvg += first; expAvgSq += first; maxExpAvgSq += first;
  n = i1 - i0;
  adamUpdate(params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, 1, weightDecay, bc2Sqrt, amsgrad);
}

/**
 * AdamW (torch.optim.AdamW): decoupled weight decay, p = paramScale·p first with
 * paramScale = 1 − lr·weight_decay (computed by the host); see adamUpdate for the math.
 */
export function adamwStep(params: usize, grads: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, n: i32,
  stepSize: real, beta1: real, beta2: real, eps: real, paramScale: real, bc2Sqrt: real, amsgrad: i32): void {
  assert(((params | grads | expAvg | expAvgSq | maxExpAvgSq) & 3) == 0 && n >= 0, "adamwStep: misaligned pointer or negative n");
  const i0 = shareStart(n, 16, threads(), myThread()), i1 = shareStart(n, 16, threads(), myThread() + 1);
  const first = <usize>i0 << 2; // this thread's share: parameters i0 … i1 − 1
  params += first; grads += first; expAvg += first; expAvgSq += first; maxExpAvgSq += first;
  n = i1 - i0;
  adamUpdate(params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, paramScale, 0, bc2Sqrt, amsgrad);
}
