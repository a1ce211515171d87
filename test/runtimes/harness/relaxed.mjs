// Node, Deno, Bun: the relaxed-SIMD opt-in against the default build (conformance.mjs), from the installed tarball.
import * as bptt from "bptt";
import { relaxedConformance } from "./conformance.mjs";
console.log(JSON.stringify(await relaxedConformance(bptt)));
