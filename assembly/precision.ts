// The one precision of every tensor the kernels read and write. The SIMD paths process four
// lanes of it per v128 (f32x4), so changing it means changing those paths too.
export type real = f32;

/** Bytes per element of `real`. */
export const REAL_BYTES: usize = sizeof<real>();
