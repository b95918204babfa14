/**
 * Work on many accounts at once, with a bound, reporting in the order given.
 *
 * AWS throttles per account and per API; a bound keeps a 500-account run from opening 500 connections at
 * once, and the SDK's adaptive retry absorbs what throttling is left. Results are reported in input order
 * (not completion order) so the output of a run is the same whichever account answers first.
 */
import { InvalidArgumentError } from "commander";

/** One item's outcome: its value, or the error it failed with (kept per item, never thrown). */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface MapOptions<T> {
  /** Called once per item, in input order, as soon as it and every item before it have settled. */
  onInOrder?: (index: number, result: Settled<T>) => void;
  /** Called once per item as it settles (completion order), with how many have settled so far. */
  onSettled?: (settledCount: number, total: number) => void;
}

/** The default bound of `--concurrency`. */
export const DEFAULT_CONCURRENCY = 16;

/**
 * `fn` over `items` with at most `limit` calls in flight. An item's error is kept in its slot of the
 * result (in input order), never thrown; only an error thrown by a callback of `options` rejects.
 */
export async function mapBounded<I, T>(
  items: readonly I[],
  limit: number,
  fn: (item: I, index: number) => Promise<T>,
  options: MapOptions<T> = {},
): Promise<Settled<T>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number >= 1, got ${limit}`);
  const results: Array<Settled<T> | undefined> = new Array(items.length);
  let next = 0;
  let flushed = 0;
  let settled = 0;
  const flush = (): void => {
    while (flushed < items.length && results[flushed] !== undefined) {
      options.onInOrder?.(flushed, results[flushed]!);
      flushed++;
    }
  };
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      let result: Settled<T>;
      try {
        result = { ok: true, value: await fn(items[index]!, index) };
      } catch (error) {
        result = { ok: false, error };
      }
      results[index] = result;
      settled++;
      options.onSettled?.(settled, items.length);
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results as Settled<T>[];
}

/** Parses `--concurrency` (commander refuses the value with exit 2): a whole number from 1 to 256. */
export function parseConcurrency(text: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 256)) throw new InvalidArgumentError("expected a whole number from 1 to 256");
  return n;
}
