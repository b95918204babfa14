import { XaError } from "../../src/errors.js";

/** "code/exitCode" of the XaError fn throws, undefined when it returns; anything else is rethrown. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof XaError) return `${err.code}/${err.exitCode}`;
    throw err;
  }
  return undefined;
}
