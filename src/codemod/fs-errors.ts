/**
 * File-system errors the user can fix (permissions, read-only file systems, immutable files) as a coded
 * error naming the path, instead of "unexpected error". Everything else stays an unexpected error.
 */
import { usageError, type XaError } from "../errors.js";

const DENIED = new Set(["EACCES", "EPERM", "EROFS"]);

export function asPermissionError(err: unknown, file: string, what: "read" | "write"): XaError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !DENIED.has(code)) return undefined;
  const why = code === "EROFS" ? "the file system is read-only" : `permission denied (${code})`;
  return usageError(
    "permission-denied",
    `cannot ${what} ${file}: ${why}; nothing was written`,
    what === "read"
      ? "run xaccount as a user who can read the server's files (the virtualenv's owner), or patch a copy you own"
      : "run xaccount as the package's owner (for a system-wide install: sudo), or install the server in a virtualenv you own and patch that",
  );
}

/** Runs `fn`, turning a permission failure on `file` into `permission-denied`. */
export function guarded<T>(file: string, what: "read" | "write", fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asPermissionError(err, file, what) ?? err;
  }
}
