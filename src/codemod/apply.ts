/** Text edits as insertions at string indices: the only kind of edit the codemod makes. Pure. */
export interface Insert {
  /** Index into the text being patched (a JS string index of the UTF-8-decoded file). */
  at: number;
  text: string;
}

/** Applies insertions; ones at the same index go in the order given (Array.prototype.sort is stable). */
export function applyInserts(text: string, inserts: readonly Insert[]): string {
  const sorted = [...inserts].sort((a, b) => a.at - b.at);
  let out = "";
  let pos = 0;
  for (const ins of sorted) {
    out += text.slice(pos, ins.at) + ins.text;
    pos = ins.at;
  }
  return out + text.slice(pos);
}

/** Where each insertion ended up in the patched text (same order as given). */
export function patchedRanges(inserts: readonly Insert[]): Array<{ start: number; end: number; text: string }> {
  const order = inserts.map((ins, i) => ({ ins, i })).sort((a, b) => a.ins.at - b.ins.at);
  const out: Array<{ start: number; end: number; text: string }> = [];
  let shift = 0;
  for (const { ins, i } of order) {
    out[i] = { start: ins.at + shift, end: ins.at + shift + ins.text.length, text: ins.text };
    shift += ins.text.length;
  }
  return out;
}
