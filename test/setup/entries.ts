// What a user's program does before creating models: import the main entry (which provides the
// embedded Wasm module, also to tests that import src/model.js directly) and bptt/js, so every unit
// test may create models with backend "js". test/runtimes/package.test.ts checks the error a model
// with backend "js" gets from the packed package without bptt/js.
import "../../src/index.js";
import "../../src/js.js";
