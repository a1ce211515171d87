// Node (and Deno, Bun): the conformance script on `import * as bptt from "bptt"`, from the installed tarball.
import * as bptt from "bptt";
import { conformance } from "./conformance.mjs";
console.log(JSON.stringify(conformance(bptt)));
