// Time steps copied between sequences, for bidirectional layers: the reverse direction runs the cell
// kernels over a time-reversed copy of its input, and its outputs go into the second half of the
// concatenated (T,B,2H) output in forward time. T steps, B sequences, N floats copied per row;
// x rows are xStride floats apart, y rows yStride (so a half of a concatenated row is addressable).
// One thread: every row is one memory.copy (or one add), nothing to share.
import { REAL_BYTES } from "../precision";
import { addInto } from "./vector";

/**
 * y[t,b,0:N] = x[s,b,0:N] with s = T−1−t when reverse = 1, else s = t; plus y[t,b,0:N] when accumulate = 1.
 * y: (T,B,yStride);  x: (T,B,xStride);  the regions must not overlap.
 */
export function copySteps(y: usize, x: usize, T: i32, B: i32, N: i32, yStride: i32, xStride: i32, reverse: i32, accumulate: i32): void {
  assert(((y | x) & 3) == 0 && T >= 0 && B >= 0 && N >= 0 && N <= yStride && N <= xStride, "copySteps: misaligned pointer or bad size");
  const rowBytes = <usize>N * REAL_BYTES;
  for (let t = 0; t < T; t++) {
    const s = reverse ? T - 1 - t : t;
    for (let b = 0; b < B; b++) {
      const to = y + (<usize>t * B + b) * yStride * REAL_BYTES, from = x + (<usize>s * B + b) * xStride * REAL_BYTES;
      if (accumulate) addInto(to, from, N);
      else memory.copy(to, from, rowBytes);
    }
  }
}
