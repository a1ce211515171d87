// Kernel scratch memory: a fixed region between the module's static data and heapBase(), so the
// host never places a tensor there. Kernels use it for packed copies of matrix blocks (ops/gemm.ts);
// it holds nothing between calls. Each thread of the threaded build has a region of its own
// (MAX_THREADS of them; one in the single-threaded build), followed by the barrier's control words:
//   packedB  GEMM_KC × GEMM_NC floats   a panel of B, 8-column strips of k-rows (ops/gemm.ts)
//   packedA  GEMM_KC × GEMM_MR floats   a block of GEMM_MR rows of A, k-major
//   tile     GEMM_MR × 8 floats         a C block at the ragged edges of C
//   control  two i32 words, 64 bytes apart (separate cache lines): the barrier's count and generation
import { REAL_BYTES } from "../precision";
import { myThread } from "./threads";

/** Rows of k per panel of a packed product (see ops/gemm.ts). */
export const GEMM_KC: i32 = 80;
/** Columns of C per packed panel of B. */
export const GEMM_NC: i32 = 128;
/** Rows of C per micro-kernel block. */
export const GEMM_MR: i32 = 4;
/** Threads with a scratch region of their own: the most a pool may use. */
export const MAX_THREADS: i32 = ASC_FEATURE_THREADS ? 16 : 1;

const PACKED_B_BYTES: usize = <usize>(GEMM_KC * GEMM_NC) * REAL_BYTES;
const PACKED_A_BYTES: usize = <usize>(GEMM_KC * GEMM_MR) * REAL_BYTES;
const TILE_BYTES: usize = <usize>(GEMM_MR * 8) * REAL_BYTES;
/** Bytes of one thread's scratch, a multiple of 16. */
export const SCRATCH_BYTES: usize = PACKED_B_BYTES + PACKED_A_BYTES + TILE_BYTES;
const CONTROL_BYTES: usize = 128;

// @ts-ignore: decorator
@inline function scratchBase(): usize {
  return max<usize>((__heap_base + 15) & ~<usize>15, 16) + <usize>myThread() * SCRATCH_BYTES;
}
// @ts-ignore: decorator
@inline export function packedB(): usize { return scratchBase(); }
// @ts-ignore: decorator
@inline export function packedA(): usize { return scratchBase() + PACKED_B_BYTES; }
// @ts-ignore: decorator
@inline export function tile(): usize { return scratchBase() + PACKED_B_BYTES + PACKED_A_BYTES; }

// @ts-ignore: decorator
@inline function controlBase(): usize {
  return max<usize>((__heap_base + 15) & ~<usize>15, 16) + <usize>MAX_THREADS * SCRATCH_BYTES;
}
// @ts-ignore: decorator
@inline export function barrierCount(): usize { return controlBase(); }
// @ts-ignore: decorator
@inline export function barrierGeneration(): usize { return controlBase() + 64; }
/** The first byte after the scratch and control regions: heapBase(). */
// @ts-ignore: decorator
@inline export function scratchEnd(): usize { return controlBase() + CONTROL_BYTES; }
