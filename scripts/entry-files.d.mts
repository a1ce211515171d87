/** Paths (relative to `dir`) of the ESM file `entry` and of everything it imports statically. */
export function entryFiles(dir: string, entry: string): string[];
