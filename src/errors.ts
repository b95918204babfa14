/**
 * Errors as values with a message written for the user.
 *
 * Every expected failure the CLI can report is an XaError with a stable `code`. The code is printed
 * with the message and each one has a section in TROUBLESHOOTING.md (a test checks this), so a person
 * who sees `error[role-name-invalid]` can look it up.
 */
export type ExitCode = 0 | 1 | 2;

export class XaError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: ExitCode } = {}) {
    super(message);
    this.name = "XaError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Bad usage or bad input: exit 2, before anything was changed. */
export function usageError(code: string, message: string, hint?: string): XaError {
  return new XaError(code, message, { hint, exitCode: 2 });
}

/** A check or an operation that failed at run time: exit 1. */
export function failure(code: string, message: string, hint?: string): XaError {
  return new XaError(code, message, { hint, exitCode: 1 });
}
