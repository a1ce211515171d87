// Optimizer updates over n contiguous parameters. params, grads, velocity: (n).
import { real } from "./precision";

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
  const vlr = f32x4.splat(lr), vwd = f32x4.splat(weightDecay), vmu = f32x4.splat(momentum);
  const keep: real = 1 - dampening;
  const vkeep = f32x4.splat(keep);
  let i = 0;
  let off: usize = 0;
  if (momentum == 0) {
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
