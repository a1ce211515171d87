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

/** torch.optim.Adagrad:  g = grad + wd·p;  sum += g²;  p −= clr·g / (√sum + eps)   (clr from the host) */
export function adagradStep(m: JsMemory, params: Ptr, grads: Ptr, sum: Ptr, n: number, clr: number, weightDecay: number, eps: number): void {
  const f = m.f32, p0 = params >> 2, g0 = grads >> 2, s0 = sum >> 2;
  for (let i = 0; i < n; i++) {
    const p = f[p0 + i];
    const g = f[g0 + i] + weightDecay * p;
    const s = f[s0 + i] + g * g;
    f[s0 + i] = s;
    f[p0 + i] = p - clr * (g / (Math.sqrt(s) + eps));
  }
}

/**
 * torch.optim.RMSprop:  g = grad + wd·p;  sq = α·sq + (1 − α)·g²;
 *   avg = √(sq − ga²) + eps with ga = α·ga + (1 − α)·g (centered) | √sq + eps;
 *   buf = μ·buf + g/avg, p −= lr·buf (μ > 0) | p −= lr·g/avg
 */
export function rmspropStep(m: JsMemory, params: Ptr, grads: Ptr, squareAvg: Ptr, gradAvg: Ptr, momentumBuffer: Ptr, n: number,
  lr: number, alpha: number, eps: number, weightDecay: number, momentum: number, centered: number): void {
  const f = m.f32, p0 = params >> 2, g0 = grads >> 2, sq0 = squareAvg >> 2, ga0 = gradAvg >> 2, b0 = momentumBuffer >> 2;
  for (let i = 0; i < n; i++) {
    const p = f[p0 + i];
    const g = f[g0 + i] + weightDecay * p;
    const sq = f[sq0 + i] * alpha + (1 - alpha) * g * g;
    f[sq0 + i] = sq;
    let variance = sq;
    if (centered) {
      const ga = f[ga0 + i] * alpha + (1 - alpha) * g;
      f[ga0 + i] = ga;
      variance = sq - ga * ga;
    }
    const avg = Math.sqrt(variance) + eps;
    if (momentum > 0) {
      const buf = f[b0 + i] * momentum + g / avg;
      f[b0 + i] = buf;
      f[p0 + i] = p - lr * buf;
    } else {
      f[p0 + i] = p - lr * (g / avg);
    }
  }
}

/**
 * Adam and AdamW (torch.optim.Adam / AdamW):  p = paramScale·p;  g = grad + wd·p;
 *   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  v̂ = max(vmax, v) (amsgrad) | v;
 *   p −= stepSize·m / (√v̂ / bc2Sqrt + eps)
 * Adam: paramScale = 1; AdamW: paramScale = 1 − lr·weight_decay and wd = 0.
 */
function adamUpdate(mem: JsMemory, params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
  stepSize: number, beta1: number, beta2: number, eps: number, paramScale: number, weightDecay: number, bc2Sqrt: number, amsgrad: number): void {
  const f = mem.f32, p0 = params >> 2, g0 = grads >> 2, m0 = expAvg >> 2, v0 = expAvgSq >> 2, x0 = maxExpAvgSq >> 2;
  for (let i = 0; i < n; i++) {
    const p = f[p0 + i] * paramScale;
    const g = f[g0 + i] + weightDecay * p;
    const m = f[m0 + i] * beta1 + (1 - beta1) * g;
    let v = f[v0 + i] * beta2 + (1 - beta2) * g * g;
    f[m0 + i] = m;
    f[v0 + i] = v;
    if (amsgrad) {
      v = Math.max(f[x0 + i], v);
      f[x0 + i] = v;
    }
    f[p0 + i] = p - stepSize * (m / (Math.sqrt(v) / bc2Sqrt + eps));
  }
}

export function adamStep(mem: JsMemory, params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
  stepSize: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc2Sqrt: number, amsgrad: number): void {
  adamUpdate(mem, params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, 1, weightDecay, bc2Sqrt, amsgrad);
}

export function adamwStep(mem: JsMemory, params: Ptr, grads: Ptr, expAvg: Ptr, expAvgSq: Ptr, maxExpAvgSq: Ptr, n: number,
  stepSize: number, beta1: number, beta2: number, eps: number, paramScale: number, bc2Sqrt: number, amsgrad: number): void {
  adamUpdate(mem, params, grads, expAvg, expAvgSq, maxExpAvgSq, n, stepSize, beta1, beta2, eps, paramScale, 0, bc2Sqrt, amsgrad);
}
