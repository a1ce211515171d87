// Kernel scratch memory: a fixed region between the module's static data and heapBase(), so the
// host never places a tensor there. Kernels use it for packed copies of matrix blocks (ops/gemm.ts);
// it holds nothing between calls. The regions (bytes):
//   packedB  GEMM_KC × GEMM_NC floats   a panel of B, 8-column strips of k-rows (ops/gemm.ts)
//   packedA  GEMM_KC × GEMM_MR floats   a block of GEMM_MR rows of A, k-major
//   tile     GEMM_MR × 8 floats         a C block at the ragged edges of C
import { REAL_BYTES } from "../precision";

/** Rows of k per panel of a packed product (see ops/gemm.ts). */
export const GEMM_KC: i32 = 80;
/** Columns of C per packed panel of B. */
export const GEMM_NC: i32 = 128;
/** Rows of C per micro-kernel block. */
export const GEMM_MR: i32 = 4;

const PACKED_B_BYTES: usize = <usize>(GEMM_KC * GEMM_NC) * REAL_BYTES;
const PACKED_A_BYTES: usize = <usize>(GEMM_KC * GEMM_MR) * REAL_BYTES;
const TILE_BYTES: usize = <usize>(GEMM_MR * 8) * REAL_BYTES;
/** Bytes of scratch, a multiple of 16. */
export const SCRATCH_BYTES: usize = PACKED_B_BYTES + PACKED_A_BYTES + TILE_BYTES;

// @ts-ignore: decorator
@inline function scratchBase(): usize {
  return max<usize>((__heap_base + 15) & ~<usize>15, 16);
}
// @ts-ignore: decorator
@inline export function packedB(): usize { return scratchBase(); }
// @ts-ignore: decorator
@inline export function packedA(): usize { return scratchBase() + PACKED_B_BYTES; }
// @ts-ignore: decorator
@inline export function tile(): usize { return scratchBase() + PACKED_B_BYTES + PACKED_A_BYTES; }
/** The first byte after the scratch region: heapBase(). */
// @ts-ignore: decorator
@inline export function scratchEnd(): usize { return scratchBase() + SCRATCH_BYTES; }
