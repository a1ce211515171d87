// Node CommonJS: the conformance script on `require("bptt")` and `require("bptt/io")` (dist/*.cjs).
const bptt = require("bptt");
const io = require("bptt/io");
import("./conformance.mjs").then(({ conformance }) => console.log(JSON.stringify(conformance(bptt, io))));
