// The complete ABI of the bptt WebAssembly module, in one list. Its names and argument order
// are those of the `Kernels` interface in src/backend.ts.
//
// Only numbers cross the boundary: pointers are usize byte offsets into the memory the host
// imports as env.memory, dimensions and flags are i32, scalars f32, and losses and reductions
// come back as f64. Kernels allocate nothing; the host owns every byte above heapBase().
import { SCRATCH_BYTES, scratchEnd } from "./ops/scratch";
export { matmulNTKernel as matmulNT, matmulNNKernel as matmulNN, matmulTNKernel as matmulTN } from "./ops/matmul";
export { packRowGroups } from "./ops/matvec";
export { fillKernel as fill, copy, scale, clipByValue, sumSquares } from "./ops/vector";
export { linearForward, linearBackward } from "./ops/linear";
export { embeddingForward, embeddingBackward } from "./ops/embedding";
export { dropoutForward, dropoutBackward } from "./ops/dropout";
export { copySteps } from "./ops/steps";
export { crossEntropy, mse, softmax } from "./loss";
export { rnnForward, rnnBackward } from "./cells/rnn";
export { lstmForward, lstmBackward } from "./cells/lstm";
export { lstmProjForward, lstmProjBackward } from "./cells/lstmp";
export { gruForward, gruBackward } from "./cells/gru";
export { sgdStep, adagradStep, rmspropStep, adamStep, adamwStep } from "./optim";
export { setThread } from "./ops/threads";

/** The first 16-byte-aligned byte after the module's static data, the kernels' scratch and the threads' control words (ops/scratch.ts); tensors may start here. */
export function heapBase(): usize {
  return scratchEnd();
}

/** Bytes of scratch each thread after the first needs in the block given to setThread (a multiple of 16). */
export function threadScratchBytes(): usize {
  return SCRATCH_BYTES;
}
