/** The bounded-concurrency helper behind `test` and `create-role --profile a,b,...` (pure: no AWS). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mapBounded, parseConcurrency, type Settled } from "../src/concurrency.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("never more than N in flight, and N are in flight when there is work for them", async () => {
  for (const limit of [1, 3, 16]) {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 40 }, (_, i) => i);
    await mapBounded(items, limit, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep((i * 7) % 5);
      inFlight--;
      return i;
    });
    assert.equal(peak, limit, `limit ${limit}`);
  }
});

test("results and the in-order callback keep input order whatever order items finish in", async () => {
  const items = [50, 0, 30, 5, 20, 1];
  const completion: number[] = [];
  const ordered: number[] = [];
  const results = await mapBounded(
    items,
    3,
    async (ms, i) => {
      await sleep(ms);
      completion.push(i);
      return ms * 2;
    },
    { onInOrder: (i, r) => ordered.push(r.ok ? r.value / 2 : -i) },
  );
  assert.notDeepEqual(completion, [0, 1, 2, 3, 4, 5], "the items must finish out of order for this test to mean anything");
  assert.deepEqual(results, items.map((ms) => ({ ok: true, value: ms * 2 })));
  assert.deepEqual(ordered, items);
});

test("an item's error is kept in its slot; the others still run and keep theirs", async () => {
  const boom = new Error("boom");
  const seen: Array<Settled<string>> = [];
  const results = await mapBounded(
    ["a", "b", "c", "d"],
    2,
    async (x) => {
      await sleep(x === "a" ? 20 : 1);
      if (x === "b") throw boom;
      return x.toUpperCase();
    },
    { onInOrder: (_i, r) => seen.push(r) },
  );
  assert.deepEqual(results, [{ ok: true, value: "A" }, { ok: false, error: boom }, { ok: true, value: "C" }, { ok: true, value: "D" }]);
  assert.deepEqual(seen, results);
});

test("progress counts every item once; an empty list calls nothing; a bad bound is refused", async () => {
  const counts: number[] = [];
  await mapBounded([1, 2, 3], 2, async (x) => x, { onSettled: (n, total) => counts.push(n * 10 + total) });
  assert.deepEqual(counts, [13, 23, 33]);
  assert.deepEqual(await mapBounded([], 4, async () => assert.fail("called")), []);
  await assert.rejects(mapBounded([1], 0, async (x) => x), RangeError);
  assert.equal(parseConcurrency("16"), 16);
  for (const bad of ["0", "257", "1.5", "x", ""]) assert.throws(() => parseConcurrency(bad), bad);
});

test("every SDK client xaccount makes retries in the SDK's adaptive mode (it also slows its sending when throttled)", async () => {
  const { sdkClient, stsClient, iamClient } = await import("../src/aws/clients.js");
  const { OrganizationsClient } = await import("@aws-sdk/client-organizations");
  const clients = [await stsClient({ region: "us-east-1" }), await iamClient({ region: "us-east-1" }), await sdkClient(OrganizationsClient, { region: "us-east-1" })];
  for (const client of clients) {
    assert.equal(((await client.config.retryStrategy()) as { mode?: string }).mode, "adaptive");
    client.destroy();
  }
});
