import { describe, expect, it } from "vitest";
import { expectError } from "./helpers/errors.js";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors.js";

/** A file built without the encoder: u64 LE length, the header text as given, then the data bytes. */
function file(header: string | object, data: ArrayLike<number> = [], headerLength?: number): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of 16-bit words. */
function u16le(words: number[]): Uint8Array {
  const out = new Uint8Array(2 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint16(2 * i, w, true));
  return out;
}

function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function bitsOf(data: Float32Array): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

describe("encodeSafetensors", () => {
  it("writes the byte layout of a tiny file exactly", () => {
    const header = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 85 bytes
    const expected = new Uint8Array([
      88, 0, 0, 0, 0, 0, 0, 0, // N = 85 rounded up to a multiple of 8
      ...ascii(header),
      0x20, 0x20, 0x20, // padding spaces
      0x00, 0x00, 0xc0, 0x3f, // 1.5 = 0x3FC00000, little-endian
      0x00, 0x00, 0x00, 0xc0, // -2 = 0xC0000000
    ]);
    const bytes = encodeSafetensors([{ name: "w", shape: [2], data: new Float32Array([1.5, -2]) }], { format: "pt" });
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  it("omits __metadata__ when there is none and keeps 8 + N a multiple of 8", () => {
    const header = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'; // 54 bytes → N = 56
    const bytes = encodeSafetensors([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
    expect(bytes.length).toBe(8 + 56 + 4);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(56n);
    expect(new TextDecoder().decode(bytes.subarray(8, 64))).toBe(header + "  ");
    expect(Array.from(bytes.subarray(64))).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });

  it("lays tensors out contiguously in the given order", () => {
    const bytes = encodeSafetensors([
      { name: "z", shape: [1], data: new Float32Array([3]) },
      { name: "a", shape: [2], data: new Float32Array([4, 5]) },
    ]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(Object.keys(header)).toEqual(["z", "a"]);
    expect(header.z.data_offsets).toEqual([0, 4]);
    expect(header.a.data_offsets).toEqual([4, 12]);
    expect(Array.from(bytes.subarray(8 + n))).toEqual(Array.from(f32le([3, 4, 5])));
  });

  it("copies from a Float32Array that is a view into a larger buffer", () => {
    const big = new Float32Array([9, 1, 2, 9]);
    const bytes = encodeSafetensors([{ name: "x", shape: [2], data: big.subarray(1, 3) }]);
    expect(Array.from(decodeSafetensors(bytes).tensors.get("x")!.data)).toEqual([1, 2]);
  });

  it("rejects bad input with INVALID_ARGUMENT", () => {
    const one = new Float32Array(1);
    expectError(() => encodeSafetensors({} as never), "INVALID_ARGUMENT", "tensors must be an array");
    expectError(() => encodeSafetensors([{ name: "", shape: [1], data: one }]), "INVALID_ARGUMENT", "tensors[0].name must be a non-empty string");
    expectError(
      () => encodeSafetensors([{ name: "a", shape: [1], data: one }, { name: "a", shape: [1], data: one }]),
      "INVALID_ARGUMENT",
      'tensors[1].name "a" is used twice',
    );
    expectError(() => encodeSafetensors([{ name: "__metadata__", shape: [1], data: one }]), "INVALID_ARGUMENT", "reserves");
    expectError(() => encodeSafetensors([{ name: "a", shape: [-1], data: one }]), "INVALID_ARGUMENT", "shape must be an array of non-negative integers; got [-1]");
    expectError(() => encodeSafetensors([{ name: "a", shape: [2, 3], data: new Float32Array(5) }]), "INVALID_ARGUMENT", "shape [2, 3] holds 6 elements but data has 5");
    expectError(() => encodeSafetensors([{ name: "a", shape: [1], data: [0] as never }]), "INVALID_ARGUMENT", "data must be a Float32Array");
    expectError(() => encodeSafetensors([], { epoch: 3 } as never), "INVALID_ARGUMENT", 'metadata["epoch"] must be a string; got 3');
  });
});

describe("safetensors round trip", () => {
  it("is bit-exact, including NaN payloads, -0 and subnormals", () => {
    const bits = new Uint32Array([
      0x7fc00001, // quiet NaN with a payload
      0x7f800001, // signalling NaN
      0xffc12345, // negative NaN with a payload
      0x80000000, // -0
      0x00000001, // smallest subnormal, 2^-149
      0x007fffff, // largest subnormal
      0x7f7fffff, // largest finite
      0xff800000, // -Infinity
      0x3eaaaaab, // ≈ 1/3
    ]);
    const data = new Float32Array(bits.buffer);
    const bytes = encodeSafetensors([{ name: "special", shape: [3, 3], data }]);
    // the data region holds the same words, little-endian
    const view = new DataView(bytes.buffer);
    const start = 8 + Number(view.getBigUint64(0, true));
    expect(Array.from(bits, (_, i) => view.getUint32(start + 4 * i, true))).toEqual(Array.from(bits));

    const decoded = decodeSafetensors(bytes).tensors.get("special")!;
    expect(decoded.dtype).toBe("F32");
    expect(decoded.shape).toEqual([3, 3]);
    expect(bitsOf(decoded.data)).toEqual(Array.from(bits));
  });

  it("keeps names, shapes (scalar, empty, 3-d), order and metadata", () => {
    const tensors = [
      { name: "rnn.weight_ih_l0", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { name: "step", shape: [], data: new Float32Array([7]) },
      { name: "empty", shape: [0, 4], data: new Float32Array(0) },
      { name: "héad.wéight 😀", shape: [1, 1, 2], data: new Float32Array([-0.5, 0.25]) },
    ];
    const metadata = { tokenizer: '{"type":"char","chars":["a","é"]}', note: "ünïcode 😀", __proto__: "plain key" };
    const { tensors: out, metadata: meta } = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect([...out.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      expect(out.get(t.name)!.shape).toEqual(t.shape);
      expect(Array.from(out.get(t.name)!.data)).toEqual(Array.from(t.data));
    }
    expect(Object.keys(meta).sort()).toEqual(["note", "tokenizer"]); // an object literal's __proto__ sets the prototype
    expect(meta).toEqual({ tokenizer: metadata.tokenizer, note: metadata.note });
  });

  it("keeps a metadata key named __proto__ as an ordinary key", () => {
    const metadata = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const meta = decodeSafetensors(encodeSafetensors([], metadata)).metadata;
    expect(Object.keys(meta)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
  });

  it("writes and reads a file with no tensors", () => {
    const bytes = encodeSafetensors([]);
    expect(new TextDecoder().decode(bytes.subarray(8))).toBe("{}      ");
    const out = decodeSafetensors(bytes);
    expect(out.tensors.size).toBe(0);
    expect(out.metadata).toEqual({});
  });
});

describe("decodeSafetensors", () => {
  it("reads a hand-written file with an unpadded header, unaligned data and tensors listed out of order", () => {
    const header = { b: { dtype: "F32", shape: [1], data_offsets: [8, 12] }, a: { dtype: "F32", shape: [2, 1], data_offsets: [0, 8] } };
    const bytes = file(header, f32le([0.5, -1, 3]));
    expect((bytes.length - 8 - 12) % 4).not.toBe(0); // header length 97 → data starts at an odd byte
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(["a", "b"]); // file order
    expect(tensors.get("a")).toEqual({ dtype: "F32", shape: [2, 1], data: new Float32Array([0.5, -1]) });
    expect(Array.from(tensors.get("b")!.data)).toEqual([3]);
    expect(metadata).toEqual({});
  });

  it("reads a Uint8Array that is a view with a byte offset", () => {
    const inner = file({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32le([2.5]));
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(Array.from(decodeSafetensors(outer.subarray(3)).tensors.get("x")!.data)).toEqual([2.5]);
  });

  it("converts F16 exactly: normals, subnormals, ±0, ±Inf and NaN", () => {
    const halves = [0x3c00, 0xc000, 0x7c00, 0xfc00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x8000, 0x3555, 0x8001];
    const expected = [1, -2, Infinity, -Infinity, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 65504, -0, 0.333251953125, -(2 ** -24)];
    const t = decodeSafetensors(file({ h: { dtype: "F16", shape: [11], data_offsets: [0, 22] } }, u16le(halves))).tensors.get("h")!;
    expect(t.dtype).toBe("F16");
    expect(Array.from(t.data)).toEqual(expected);
    expect(Object.is(t.data[8], -0)).toBe(true);
  });

  it("converts F16 NaN to float NaN, keeping the payload in the high fraction bits", () => {
    const t = decodeSafetensors(file({ h: { dtype: "F16", shape: [3], data_offsets: [0, 6] } }, u16le([0x7e00, 0x7c01, 0xfe00]))).tensors.get("h")!;
    // fraction << 13 under exponent 0xFF
    expect(bitsOf(t.data)).toEqual([0x7fc00000, 0x7f802000, 0xffc00000]);
  });

  it("converts BF16 as the upper 16 bits of a float32", () => {
    const words = [0x3f80, 0xc000, 0x7f80, 0x0001, 0x4049, 0x8000, 0x7fc1];
    const t = decodeSafetensors(file({ b: { dtype: "BF16", shape: [7], data_offsets: [0, 14] } }, u16le(words))).tensors.get("b")!;
    expect(t.dtype).toBe("BF16");
    expect(Array.from(t.data.subarray(0, 6))).toEqual([1, -2, Infinity, 2 ** -133, 3.140625, -0]);
    expect(bitsOf(t.data)).toEqual(words.map((w) => (w << 16) >>> 0));
  });

  it("converts F64 to float32 by rounding to nearest, ties to even", () => {
    const values = [1 / 3, 1e300, -1e-50, 2 ** -149, 1 + 2 ** -24, 1 + 3 * 2 ** -24, -0];
    const bytes = new Uint8Array(8 * values.length);
    values.forEach((v, i) => new DataView(bytes.buffer).setFloat64(8 * i, v, true));
    const t = decodeSafetensors(file({ d: { dtype: "F64", shape: [values.length], data_offsets: [0, bytes.length] } }, bytes)).tensors.get("d")!;
    expect(t.dtype).toBe("F64");
    // 1/3 → 0x3EAAAAAB; 1e300 overflows; -1e-50 underflows to -0; 1 + 2^-24 is a tie → 1 (even); 1 + 3·2^-24 → 1 + 2^-22
    expect(bitsOf(t.data)).toEqual([0x3eaaaaab, 0x7f800000, 0x80000000, 0x00000001, 0x3f800000, 0x3f800002, 0x80000000]);
  });

  it("reads a header padded with trailing spaces", () => {
    const bytes = file('{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}     ', f32le([6]));
    expect(Array.from(decodeSafetensors(bytes).tensors.get("x")!.data)).toEqual([6]);
  });
});

describe("decodeSafetensors rejects malformed files with FORMAT", () => {
  const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const eight = new Uint8Array(8);

  it("a file shorter than 8 bytes", () => {
    expectError(() => decodeSafetensors(new Uint8Array(5)), "FORMAT", "file is 5 bytes long; a safetensors file starts with an 8-byte header length");
    expectError(() => decodeSafetensors(new Uint8Array(0)), "FORMAT", "file is 0 bytes long");
  });

  it("a header length larger than the file", () => {
    expectError(() => decodeSafetensors(file("{}", [], 100)), "FORMAT", "header length is 100 bytes but the file has only 2 bytes after the 8-byte length");
  });

  it("a header length above 100 MB", () => {
    expectError(() => decodeSafetensors(file("{}", [], 100_000_001)), "FORMAT", "header length is 100000001 bytes; the limit is 100000000 (100 MB)");
    expectError(() => decodeSafetensors(file("{}", [], 2 ** 40)), "FORMAT", "header length is 1099511627776 bytes");
  });

  it("a header that is not UTF-8", () => {
    const bytes = new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff, 0x7d]);
    expectError(() => decodeSafetensors(bytes), "FORMAT", "header is not valid UTF-8");
  });

  it("a header that is not JSON, or not an object", () => {
    expectError(() => decodeSafetensors(file("{abc}")), "FORMAT", "header is not valid JSON");
    expectError(() => decodeSafetensors(file("")), "FORMAT", "header is not valid JSON");
    expectError(() => decodeSafetensors(file("[]")), "FORMAT", "header must be a JSON object; got an array");
    expectError(() => decodeSafetensors(file("null")), "FORMAT", "header must be a JSON object; got null");
    expectError(() => decodeSafetensors(file("42")), "FORMAT", "header must be a JSON object; got number");
  });

  it("a tensor entry that is not an object or misses dtype, shape or data_offsets", () => {
    expectError(() => decodeSafetensors(file({ w: [1, 2] })), "FORMAT", 'tensor "w": expected an object { dtype, shape, data_offsets }');
    expectError(() => decodeSafetensors(file({ w: { shape: [2], data_offsets: [0, 8] } }, eight)), "FORMAT", 'tensor "w" has no "dtype"');
    expectError(() => decodeSafetensors(file({ w: { dtype: "F32", data_offsets: [0, 8] } }, eight)), "FORMAT", 'tensor "w" has no "shape"');
    expectError(() => decodeSafetensors(file({ w: { dtype: "F32", shape: [2] } }, eight)), "FORMAT", 'tensor "w" has no "data_offsets"');
  });

  it("a shape that is not a list of non-negative integers", () => {
    for (const shape of [[1.5], [-1], ["2"], 2, [null]]) {
      expectError(() => decodeSafetensors(file({ w: { ...ok, shape } }, eight)), "FORMAT", 'tensor "w": shape must be an array of non-negative integers');
    }
  });

  it("data_offsets that are not two ordered non-negative integers", () => {
    for (const data_offsets of [[0], [0, 8, 8], [-4, 4], [0, 7.5], "0,8"]) {
      expectError(() => decodeSafetensors(file({ w: { ...ok, data_offsets } }, eight)), "FORMAT", "data_offsets must be [begin, end], two non-negative integers");
    }
    expectError(() => decodeSafetensors(file({ w: { ...ok, data_offsets: [8, 0] } }, eight)), "FORMAT", "data_offsets [8, 0] end before they begin");
  });

  it("a byte size that does not match shape × dtype size", () => {
    expectError(
      () => decodeSafetensors(file({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, eight)),
      "FORMAT",
      'tensor "w": shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8',
    );
    expectError(() => decodeSafetensors(file({ w: { dtype: "F16", shape: [2, 2], data_offsets: [0, 4] } }, [0, 0, 0, 0])), "FORMAT", "needs 8 bytes");
  });

  it("offsets beyond the data buffer", () => {
    expectError(
      () => decodeSafetensors(file({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, eight)),
      "FORMAT",
      'tensor "w": data_offsets [0, 16] run past the data buffer, which is 8 bytes',
    );
  });

  it("overlapping tensors", () => {
    const header = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } };
    expectError(() => decodeSafetensors(file(header, new Uint8Array(12))), "FORMAT", 'tensor "b": data_offsets [4, 12] overlap tensor "a", which ends at 8');
    const same = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [0, 4] } };
    expectError(() => decodeSafetensors(file(same, new Uint8Array(4))), "FORMAT", "overlap");
  });

  it("gaps in the data buffer, between tensors, before the first or after the last", () => {
    const between = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } };
    expectError(() => decodeSafetensors(file(between, new Uint8Array(12))), "FORMAT", 'gap in the data buffer: bytes [4, 8) between tensor "a" and tensor "b" belong to no tensor');
    const before = { b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } };
    expectError(() => decodeSafetensors(file(before, eight)), "FORMAT", "bytes [0, 4) between the start of the data buffer and tensor \"b\"");
    const after = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } };
    expectError(() => decodeSafetensors(file(after, eight)), "FORMAT", 'gap in the data buffer: bytes [4, 8) after tensor "a" belong to no tensor');
    expectError(() => decodeSafetensors(file({}, [1, 2])), "FORMAT", "bytes [0, 2) after the start of the data buffer");
  });

  it("__metadata__ that is not an object of strings", () => {
    expectError(() => decodeSafetensors(file({ __metadata__: { epoch: 3 } })), "FORMAT", '"__metadata__"["epoch"] must be a string; got 3');
    expectError(() => decodeSafetensors(file({ __metadata__: { a: null } })), "FORMAT", '"__metadata__"["a"] must be a string; got null');
    expectError(() => decodeSafetensors(file({ __metadata__: ["a"] })), "FORMAT", '"__metadata__" must be an object of string values; got array of length 1');
  });

  it("a dtype other than F32, F64, F16 and BF16", () => {
    for (const dtype of ["I32", "U8", "F8_E4M3", "f32", "BOOL"]) {
      expectError(
        () => decodeSafetensors(file({ w: { dtype, shape: [2], data_offsets: [0, 8] } }, eight)),
        "FORMAT",
        `tensor "w" has dtype ${JSON.stringify(dtype)}; only F32, F64, F16 and BF16 can be read`,
      );
    }
    expectError(() => decodeSafetensors(file({ w: { ...ok, dtype: 4 } }, eight)), "FORMAT", "dtype must be a string; got 4");
  });

  it("input that is not a Uint8Array (INVALID_ARGUMENT)", () => {
    expectError(() => decodeSafetensors([1, 2, 3] as never), "INVALID_ARGUMENT", "bytes must be a Uint8Array");
  });
});
