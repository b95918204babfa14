import { Chalk, type ChalkInstance } from "chalk";

/** Colour only on a terminal and never when NO_COLOR is set (https://no-color.org). */
export function colorFor(stream: NodeJS.WriteStream): ChalkInstance {
  const enabled = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  return new Chalk({ level: enabled ? 1 : 0 });
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Colours for stdout and stderr, already off when they must be. */
  c: ChalkInstance;
  cErr: ChalkInstance;
  /** True when stderr is a terminal: spinners and progress lines are allowed. */
  interactive: boolean;
}

export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    c: colorFor(process.stdout),
    cErr: colorFor(process.stderr),
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
  };
}
