// Node CommonJS: the conformance script on `require("bptt")` (dist/index.cjs).
const bptt = require("bptt");
import("./conformance.mjs").then(({ conformance }) => console.log(JSON.stringify(conformance(bptt))));
