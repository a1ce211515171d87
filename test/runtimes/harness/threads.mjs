// Node, Deno, Bun: the threaded build against the single-threaded one (conformance.mjs), from the installed tarball.
import * as bptt from "bptt";
import { threadedConformance } from "./conformance.mjs";
console.log(JSON.stringify(await threadedConformance(bptt)));
