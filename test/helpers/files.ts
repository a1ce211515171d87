/**
 * Editing bptt's files as an attacker or a broken disk would, with checksums recomputed here
 * independently of the library (a bit-by-bit CRC-32, not its table): re-signed checkpoints, model
 * files with their per-part CRCs recomputed or dropped.
 */
import { decodeSafetensors, encodeSafetensors } from "../../src/io.js";

/** CRC-32 (IEEE, reflected 0xEDB88320), bit by bit, continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

export const hex8 = (n: number) => n.toString(16).padStart(8, "0");
const utf8 = (text: string) => new TextEncoder().encode(text);
const floatBytes = (data: Float32Array) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

type Tensor = { name: string; shape: number[]; data: Float32Array };

function tensorsOf(bytes: Uint8Array): { tensors: Tensor[]; metadata: Record<string, string> } {
  const file = decodeSafetensors(bytes);
  return { tensors: [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), metadata: { ...file.metadata } };
}

/** A checkpoint's `checksum` as the format describes: CRC over sorted metadata, tensor names and shapes, then every tensor's bytes. */
export function checkpointChecksum(meta: Record<string, string>, tensors: Tensor[]): string {
  const keys = Object.keys(meta).sort();
  let crc = crc32(utf8(JSON.stringify([keys.map((k) => [k, meta[k]]), tensors.map((t) => [t.name, t.shape])])));
  for (const t of tensors) crc = crc32(floatBytes(t.data), crc);
  return `crc32:${hex8(crc)}`;
}

/** A checkpoint with its metadata edited and signed again. */
export function resigned(bytes: Uint8Array, edit: (meta: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = tensorsOf(bytes);
  const { checksum: _old, ...meta } = metadata;
  edit(meta);
  return encodeSafetensors(tensors, { ...meta, checksum: checkpointChecksum(meta, tensors) });
}

/** A model file's `crc32`: the other metadata (keys sorted, with values, as JSON), then each tensor's name and shape (JSON) and bytes. */
export function modelCrcs(meta: Record<string, string>, tensors: Tensor[]): string {
  const { crc32: _old, ...rest } = meta;
  const crcs: Record<string, string> = { __metadata__: hex8(crc32(utf8(JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]))))) };
  for (const t of tensors) crcs[t.name] = hex8(crc32(floatBytes(t.data), crc32(utf8(JSON.stringify([t.name, t.shape])))));
  return JSON.stringify(crcs);
}

/**
 * A safetensors file re-encoded with its metadata edited (tensors unchanged). A model file's CRCs
 * are dropped (the default: they are optional) or recomputed; neither defends against a hostile file.
 */
export function withMetadata(bytes: Uint8Array, edit: (meta: Record<string, string>) => void, crcs: "drop" | "recompute" = "drop"): Uint8Array {
  const { tensors, metadata } = tensorsOf(bytes);
  const { crc32: _old, ...meta } = metadata;
  edit(meta);
  return encodeSafetensors(tensors, crcs === "drop" ? meta : { ...meta, crc32: modelCrcs(meta, tensors) });
}
