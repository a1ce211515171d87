import { expect } from "vitest";
import { BpttError, type BpttErrorCode } from "../../src/errors.js";

/** `fn` throws a BpttError with this code and a message containing `message` (or matching it). */
export function expectError(fn: () => unknown, code: BpttErrorCode, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BpttError);
  expect((caught as BpttError).code).toBe(code);
  if (typeof message === "string") expect((caught as BpttError).message).toContain(message);
  else expect((caught as BpttError).message).toMatch(message);
}
