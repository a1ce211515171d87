/** The flat memory of the pure-TypeScript backend: one ArrayBuffer seen as float32 and int32. */
export interface JsMemory {
  f32: Float32Array;
  i32: Int32Array;
}
