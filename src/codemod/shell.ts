/**
 * Quoting for the commands xaccount suggests, so a path with a space or a quote can be copied into a
 * POSIX shell as it is printed.
 */

/** `s` as one shell word: unchanged when it holds only safe characters, else single-quoted. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s; // "" fails the pattern: quoted as ''
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `xaccount patch <server> <path> [options]`, quoted. */
export function patchCommand(server: string, target: string, ...options: string[]): string {
  return ["xaccount", "patch", server, shellQuote(target), ...options].join(" ");
}
