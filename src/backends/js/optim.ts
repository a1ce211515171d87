import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * torch.optim.SGD:  g = grad + wd·p;  v = g (first step) | μ·v + (1 − dampening)·g;
 *                   g = g + μ·v (Nesterov) | v;  p −= lr·g      (v only when μ ≠ 0)
 */
export function sgdStep(m: JsMemory, params: Ptr, grads: Ptr, velocity: Ptr, n: number, lr: number, momentum: number,
  dampening: number, weightDecay: number, nesterov: number, firstStep: number): void {
  const f = m.f32, p0 = params >> 2, g0 = grads >> 2, v0 = velocity >> 2;
  if (momentum === 0) {
    for (let i = 0; i < n; i++) f[p0 + i] -= lr * (f[g0 + i] + weightDecay * f[p0 + i]);
    return;
  }
  for (let i = 0; i < n; i++) {
    let g = f[g0 + i] + weightDecay * f[p0 + i];
    if (momentum !== 0) {
      const v = firstStep ? g : momentum * f[v0 + i] + (1 - dampening) * g;
      f[v0 + i] = v;
      g = nesterov ? g + momentum * v : v;
    }
    f[p0 + i] -= lr * g;
  }
}
