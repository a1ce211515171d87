/**
 * CRC-32 checksums of safetensors parts: the checkpoint's one checksum and a model file's CRC per
 * part (`__metadata__.crc32`). A CRC finds corruption (a flipped bit, a truncated copy), not tampering:
 * anyone can compute it again.
 */
import type { BpttError } from "../errors.js";

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
let table: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of `bytes`, continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc: number): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** `crc` continued over the float32 little-endian bytes of `data` (the file's byte order on every host). */
export function crc32Floats(data: Float32Array, crc: number): number {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return crc32(bytes, crc);
  const le = new Uint8Array(bytes.length);
  for (let i = 0; i < le.length; i++) le[i] = bytes[i ^ 3];
  return crc32(le, crc);
}

/** CRC-32 of the JSON text of `value` (UTF-8). */
export function crc32Json(value: unknown, crc = 0): number {
  return crc32(new TextEncoder().encode(JSON.stringify(value)), crc);
}

/** The key of a model file's `__metadata__` that holds its CRCs, and the part name of the metadata itself. */
export const CRC_KEY = "crc32";
const METADATA_PART = "__metadata__";

type Tensors = Iterable<readonly [string, { shape: readonly number[]; data: Float32Array }]>;

const hex = (crc: number) => crc.toString(16).padStart(8, "0");
/** The CRC of the metadata: its keys sorted, with their values, as JSON (the crc32 key left out). */
const metadataCrc = (metadata: Record<string, string>) => hex(crc32Json(Object.keys(metadata).filter((k) => k !== CRC_KEY).sort().map((k) => [k, metadata[k]])));
/** The CRC of a tensor: its name and shape as JSON, then its float32 bytes. */
const tensorCrc = (name: string, t: { shape: readonly number[]; data: Float32Array }) => hex(crc32Floats(t.data, crc32Json([name, t.shape])));

/** The value of `__metadata__.crc32`: JSON { "__metadata__": crc, "<tensor>": crc, … } in 8-digit hex. */
export function partChecksums(metadata: Record<string, string>, tensors: Tensors): string {
  const crcs: Record<string, string> = { [METADATA_PART]: metadataCrc(metadata) };
  for (const [name, t] of tensors) Object.defineProperty(crcs, name, { value: tensorCrc(name, t), enumerable: true });
  return JSON.stringify(crcs);
}

/** Check `__metadata__.crc32` against the parts of a file; the first corrupt part is named in the error `fail` makes. */
export function checkPartChecksums(metadata: Record<string, string>, tensors: Map<string, { shape: readonly number[]; data: Float32Array }>, fail: (message: string) => BpttError): void {
  let stored: unknown;
  try {
    stored = JSON.parse(metadata[CRC_KEY]);
  } catch {
    // reported below
  }
  if (stored === null || typeof stored !== "object" || Array.isArray(stored) || !Object.values(stored).every((v) => typeof v === "string" && /^[0-9a-f]{8}$/.test(v))) {
    throw fail(`__metadata__.${CRC_KEY} must be a JSON object of 8-digit hex CRCs by part`);
  }
  const crcs = new Map(Object.entries(stored as Record<string, string>));
  const compare = (part: string, what: string, computed: string) => {
    const expected = crcs.get(part);
    if (expected === undefined) throw fail(`${what} has no CRC-32 in __metadata__.${CRC_KEY}`);
    if (expected !== computed) throw fail(`${what} does not match its CRC-32 (stored ${expected}, computed ${computed}): the file is corrupt`);
  };
  compare(METADATA_PART, METADATA_PART, metadataCrc(metadata));
  for (const [name, t] of tensors) compare(name, `tensor ${JSON.stringify(name)}`, tensorCrc(name, t));
  for (const part of crcs.keys()) {
    if (part !== METADATA_PART && !tensors.has(part)) throw fail(`__metadata__.${CRC_KEY} names ${JSON.stringify(part)}, which the file does not hold`);
  }
}
