/**
 * Waiting for a stack set operation: DescribeStackSetOperation polled with a growing interval, up to a
 * deadline. Pure apart from the injected poll, clock and sleep, so the timeout is tested without waiting.
 */
import { failure } from "../errors.js";

export interface OperationState {
  status: string;
  reason?: string | undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  /** First interval; doubles up to maxIntervalMs. */
  intervalMs: number;
  maxIntervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Each poll's answer, with the time waited so far (for a progress line). */
  onPoll?: (state: OperationState, elapsedMs: number) => void;
}

/** Statuses after which the operation changes nothing more. */
const FINAL = new Set(["SUCCEEDED", "FAILED", "STOPPED"]);

export const DEFAULT_WAIT: WaitOptions = { timeoutMs: 60 * 60_000, intervalMs: 1_000, maxIntervalMs: 15_000 };

export async function waitForOperation(
  poll: () => Promise<OperationState>,
  what: { stackSet: string; operationId: string; action: string },
  options: WaitOptions = DEFAULT_WAIT,
): Promise<OperationState> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  let interval = options.intervalMs;
  for (;;) {
    const state = await poll();
    options.onPoll?.(state, now() - start);
    if (FINAL.has(state.status)) return state;
    const left = start + options.timeoutMs - now();
    if (left <= 0) {
      throw failure(
        "stackset-operation-timeout",
        `${what.action} operation ${what.operationId} on stack set ${what.stackSet} was still ${state.status} after ${Math.round(options.timeoutMs / 1000)} s`,
        `it goes on in AWS: follow it with \`aws cloudformation describe-stack-set-operation --stack-set-name ${what.stackSet} --operation-id ${what.operationId}\`, then rerun (safe), or raise --wait-timeout`,
      );
    }
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, options.maxIntervalMs);
  }
}
