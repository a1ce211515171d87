// Kernel scratch memory: a fixed region between the module's static data and heapBase(), so the
// host never places a tensor there. Kernels use it for packed copies of matrix blocks (ops/gemm.ts);
// it holds nothing between calls. The caller's thread (and the single-threaded build) uses the
// static one; in the threaded build each other thread of a call has a region of the same layout in
// the block the host places for the call above everything it keeps (setThread's scratch: memory is
// spent on the threads a model runs on, not on the most a pool may have). After the static region,
// the barrier's control words:
//   packedB  GEMM_KC × GEMM_NC floats   a panel of B, 8-column strips of k-rows (ops/gemm.ts)
//   packedA  GEMM_KC × GEMM_MR floats   a block of GEMM_MR rows of A, k-major
//   tile     GEMM_MR × 8 floats         a C block at the ragged edges of C
//   control  two i32 words, 64 bytes apart (separate cache lines): the barrier's count and generation
import { REAL_BYTES } from "../precision";
import { myThread, threadScratch } from "./threads";

/** Rows of k per panel of a packed product (see ops/gemm.ts). */
export const GEMM_KC: i32 = 80;
/** Columns of C per packed panel of B. */
export const GEMM_NC: i32 = 128;
/** Rows of C per micro-kernel block. */
export const GEMM_MR: i32 = 4;
const PACKED_B_BYTES: usize = <usize>(GEMM_KC * GEMM_NC) * REAL_BYTES;
const PACKED_A_BYTES: usize = <usize>(GEMM_KC * GEMM_MR) * REAL_BYTES;
const TILE_BYTES: usize = <usize>(GEMM_MR * 8) * REAL_BYTES;
/** Bytes of one thread's scratch, a multiple of 16. */
export const SCRATCH_BYTES: usize = PACKED_B_BYTES + PACKED_A_BYTES + TILE_BYTES;
const CONTROL_BYTES: usize = 128;

// @ts-ignore: decorator
@inline function staticBase(): usize {
  return max<usize>((__heap_base + 15) & ~<usize>15, 16);
}
// @ts-ignore: decorator
@inline function scratchBase(): usize {
  const me = myThread();
  return me == 0 ? staticBase() : threadScratch() + <usize>(me - 1) * SCRATCH_BYTES;
}
// @ts-ignore: decorator
@inline export function packedB(): usize { return scratchBase(); }
// @ts-ignore: decorator
@inline export function packedA(): usize { return scratchBase() + PACKED_B_BYTES; }
// @ts-ignore: decorator
@inline export function tile(): usize { return scratchBase() + PACKED_B_BYTES + PACKED_A_BYTES; }

/**
 * The caller's thread's region, as the place where a loss kernel's threads leave one f64 per block of
 * rows for the caller to add up in order (loss.ts): up to SCRATCH_BYTES / 8 = 5,296 of them.
 */
// @ts-ignore: decorator
@inline export function blockPartials(): usize { return staticBase(); }

// @ts-ignore: decorator
@inline function controlBase(): usize {
  return staticBase() + SCRATCH_BYTES;
}
// @ts-ignore: decorator
@inline export function barrierCount(): usize { return controlBase(); }
// @ts-ignore: decorator
@inline export function barrierGeneration(): usize { return controlBase() + 64; }
/** The first byte after the scratch and control regions: heapBase(). */
// @ts-ignore: decorator
@inline export function scratchEnd(): usize { return controlBase() + CONTROL_BYTES; }
