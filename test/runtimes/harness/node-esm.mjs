// Node (and Deno, Bun): the conformance script on `import * as bptt from "bptt"` and bptt/io, from the installed tarball.
import * as bptt from "bptt";
import * as io from "bptt/io";
import { conformance } from "./conformance.mjs";
console.log(JSON.stringify(conformance(bptt, io)));
