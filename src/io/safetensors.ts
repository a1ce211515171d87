/**
 * The safetensors file format (https://github.com/huggingface/safetensors), written as F32
 * and read from F32, F64, F16 or BF16 into Float32Array.
 *
 * Byte layout:
 *   [0, 8)          N, the header length, unsigned 64-bit little-endian
 *   [8, 8 + N)      UTF-8 JSON object:
 *                     { "<name>": { "dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end] },
 *                       ...,
 *                       "__metadata__": { "<key>": "<string value>", ... } }   (optional)
 *                   padded with trailing spaces so that 8 + N is a multiple of 8
 *   [8 + N, end)    the data buffer: each tensor's elements, row-major, little-endian;
 *                   offsets are relative to the start of this buffer, and the tensors
 *                   cover it exactly (no gaps, no overlaps, nothing after the last one)
 */
import { BpttError, describe, invalid } from "../errors.js";

export interface SafetensorsInput {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsTensor {
  /** The dtype stored in the file ("F32", "F64", "F16" or "BF16"); `data` is always float32. */
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  /** In file order (by data offset). */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** The reference implementation's limit on the header length. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";
const BYTES_PER_ELEMENT: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serialise `tensors` as F32, in the given order and contiguous, with optional string metadata. */
export function encodeSafetensors(tensors: SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  if (!Array.isArray(tensors)) throw invalid(`tensors must be an array of { name, shape, data }; got ${describe(tensors)}`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
      throw invalid(`metadata must be an object of string values; got ${describe(metadata)}`);
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") throw invalid(`metadata[${JSON.stringify(key)}] must be a string; got ${describe(value)}`);
    }
    // defineProperty, not assignment: a key named "__proto__" must stay an ordinary key
    if (Object.keys(metadata).length > 0) Object.defineProperty(header, METADATA_KEY, { value: { ...metadata }, enumerable: true });
  }

  const seen = new Set<string>();
  let offset = 0;
  tensors.forEach((tensor, i) => {
    if (tensor === null || typeof tensor !== "object") throw invalid(`tensors[${i}] must be { name, shape, data }; got ${describe(tensor)}`);
    const { name, shape, data } = tensor;
    if (typeof name !== "string" || name.length === 0) throw invalid(`tensors[${i}].name must be a non-empty string; got ${describe(name)}`);
    if (name === METADATA_KEY) throw invalid(`tensors[${i}].name must not be "${METADATA_KEY}", which the format reserves for metadata`);
    if (seen.has(name)) throw invalid(`tensors[${i}].name ${JSON.stringify(name)} is used twice; tensor names must be unique`);
    seen.add(name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalid(`tensor ${JSON.stringify(name)}: shape must be an array of non-negative integers; got ${describeShape(shape)}`);
    }
    if (!(data instanceof Float32Array)) throw invalid(`tensor ${JSON.stringify(name)}: data must be a Float32Array; got ${describe(data)}`);
    const count = product(shape);
    if (data.length !== count) {
      throw invalid(`tensor ${JSON.stringify(name)}: shape [${shape.join(", ")}] holds ${count} elements but data has ${data.length}`);
    }
    Object.defineProperty(header, name, {
      value: { dtype: "F32", shape: shape.slice(), data_offsets: [offset, offset + data.byteLength] },
      enumerable: true,
    });
    offset += data.byteLength;
  });

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8; // 8 + N stays 8-byte aligned, as the reference writer does
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLength, true); // N < 2^32 here; the high word stays 0
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);

  let at = 8 + headerLength;
  for (const { data } of tensors) {
    if (HOST_IS_LITTLE_ENDIAN) {
      bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else {
      // copy bit patterns as integers so NaN payloads survive the byte swap
      const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
      for (let i = 0; i < words.length; i++) view.setUint32(at + 4 * i, words[i], true);
    }
    at += data.byteLength;
  }
  return bytes;
}

/** Parse a safetensors file; F64, F16 and BF16 tensors are converted to float32. Malformed input throws `FORMAT`. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw invalid(`bytes must be a Uint8Array; got ${describe(bytes)}`);
  if (bytes.length < 8) {
    throw format(`file is ${bytes.length} bytes long; a safetensors file starts with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true), high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low; // exact below 2^53; anything near that is rejected next
  if (headerLength > MAX_HEADER_BYTES) {
    throw format(`header length is ${headerLength} bytes; the limit is ${MAX_HEADER_BYTES} (100 MB)`);
  }
  if (8 + headerLength > bytes.length) {
    throw format(`header length is ${headerLength} bytes but the file has only ${bytes.length - 8} bytes after the 8-byte length`);
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw format("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw format(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw format(`header must be a JSON object; got ${header === null ? "null" : Array.isArray(header) ? "an array" : typeof header}`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = readMetadata(entry);
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw format(`${where}: expected an object { dtype, shape, data_offsets }; got ${describe(entry)}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype === undefined) throw format(`${where} has no "dtype"`);
    if (shape === undefined) throw format(`${where} has no "shape"`);
    if (offsets === undefined) throw format(`${where} has no "data_offsets"`);
    if (typeof dtype !== "string") throw format(`${where}: dtype must be a string; got ${describe(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw format(`${where}: shape must be an array of non-negative integers; got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw format(`${where}: data_offsets must be [begin, end], two non-negative integers; got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw format(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) {
      throw format(`${where}: data_offsets [${begin}, ${end}] run past the data buffer, which is ${dataLength} bytes`);
    }
    const size = BYTES_PER_ELEMENT[dtype];
    if (size === undefined) {
      throw format(`${where} has dtype ${JSON.stringify(dtype)}; only F32, F64, F16 and BF16 can be read (converted to float32)`);
    }
    const expected = product(shape) * size;
    if (end - begin !== expected) {
      throw format(
        `${where}: shape [${shape.join(", ")}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape.slice(), begin, end });
  }

  // The tensors must tile the data buffer exactly.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = "the start of the data buffer";
  for (const e of entries) {
    if (e.begin < covered) {
      throw format(`tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap ${previous}, which ends at ${covered}`);
    }
    if (e.begin > covered) {
      throw format(`gap in the data buffer: bytes [${covered}, ${e.begin}) between ${previous} and tensor ${JSON.stringify(e.name)} belong to no tensor`);
    }
    covered = e.end;
    previous = `tensor ${JSON.stringify(e.name)}`;
  }
  if (covered !== dataLength) {
    throw format(`gap in the data buffer: bytes [${covered}, ${dataLength}) after ${previous} belong to no tensor`);
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: toFloat32(bytes, view, dataStart + e.begin, dataStart + e.end, e.dtype) });
  }
  return { tensors, metadata };
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw format(`"${METADATA_KEY}" must be an object of string values; got ${describe(value)}`);
  }
  const pairs = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of pairs) {
    if (typeof v !== "string") throw format(`"${METADATA_KEY}"[${JSON.stringify(key)}] must be a string; got ${describe(v)}`);
  }
  return Object.fromEntries(pairs) as Record<string, string>; // fromEntries keeps "__proto__" an own key
}

/** Elements of bytes [from, to) (absolute) as float32; F32 copies bit patterns, so NaN payloads survive. */
function toFloat32(bytes: Uint8Array, view: DataView, from: number, to: number, dtype: string): Float32Array {
  const count = (to - from) / BYTES_PER_ELEMENT[dtype];
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  switch (dtype) {
    case "F32":
      if (HOST_IS_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(from, to));
      else for (let i = 0; i < count; i++) outBits[i] = view.getUint32(from + 4 * i, true);
      break;
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(from + 8 * i, true); // rounds to nearest even
      break;
    case "F16":
      for (let i = 0; i < count; i++) outBits[i] = f16ToF32Bits(view.getUint16(from + 2 * i, true));
      break;
    case "BF16":
      for (let i = 0; i < count; i++) outBits[i] = view.getUint16(from + 2 * i, true) << 16 >>> 0;
      break;
  }
  return out;
}

/**
 * IEEE binary16 bits → binary32 bits, exactly (every half is representable as a float).
 * half: sign 1 | exponent 5 (bias 15) | fraction 10;  float: sign 1 | exponent 8 (bias 127) | fraction 23.
 */
function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  let fraction = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (fraction << 13)) >>> 0; // ±Inf, or NaN keeping its payload
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (fraction << 13)) >>> 0;
  if (fraction === 0) return sign >>> 0; // ±0
  // subnormal: fraction·2^-24; shift the leading 1 up to the implicit bit (bit 10)
  let e = -14;
  while ((fraction & 0x400) === 0) {
    fraction <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((fraction & 0x3ff) << 13)) >>> 0;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describeShape(shape: unknown): string {
  return Array.isArray(shape) ? JSON.stringify(shape) : describe(shape);
}

function format(message: string): BpttError {
  return new BpttError("FORMAT", `safetensors: ${message}`);
}
