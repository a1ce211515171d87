// Time steps copied between sequences, for bidirectional layers: the reverse direction runs the cell
// kernels over a time-reversed copy of its input, and its outputs go into the second half of the
// concatenated (T,B,2H) output in forward time. T steps, B sequences, N floats copied per row;
// x rows are xStride floats apart, y rows yStride (so a half of a concatenated row is addressable).
// With `lengths` (variable-length batches), sequence b has len_b ≤ T steps: it is reversed within
// them, and its rows t ≥ len_b (padding) are zeroed (or left as they are when accumulating).
// One thread: every row is one memory.copy (or one add), nothing to share.
import { REAL_BYTES } from "../precision";
import { addInto } from "./vector";

/**
 * For t < len_b:  y[t,b,0:N] = x[s,b,0:N] with s = len_b−1−t when reverse = 1, else s = t;  plus y[t,b,0:N] when accumulate = 1.
 * For t ≥ len_b:  y[t,b,0:N] = 0 when accumulate = 0, else unchanged.
 * y: (T,B,yStride);  x: (T,B,xStride);  lengths: (B) int32 in [1,T], or 0 for len_b = T;  the regions must not overlap.
 */
export function copySteps(y: usize, x: usize, lengths: usize, T: i32, B: i32, N: i32, yStride: i32, xStride: i32, reverse: i32, accumulate: i32): void {
  assert(((y | x | lengths) & 3) == 0 && T >= 0 && B >= 0 && N >= 0 && N <= yStride && N <= xStride, "copySteps: misaligned pointer or bad size");
  const rowBytes = <usize>N * REAL_BYTES;
  for (let b = 0; b < B; b++) {
    const length = lengths ? load<i32>(lengths + (<usize>b << 2)) : T;
    for (let t = 0; t < T; t++) {
      const to = y + (<usize>t * B + b) * yStride * REAL_BYTES;
      if (t >= length) {
        if (!accumulate) memory.fill(to, 0, rowBytes);
        continue;
      }
      const s = reverse ? length - 1 - t : t;
      const from = x + (<usize>s * B + b) * xStride * REAL_BYTES;
      if (accumulate) addInto(to, from, N);
      else memory.copy(to, from, rowBytes);
    }
  }
}
