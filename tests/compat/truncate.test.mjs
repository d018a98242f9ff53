// client.truncate: a set, a set before a time, leaving other sets alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NAMESPACES, connect, eventually, key, rejectsWith, scanAll, sleep, status, uniqueSet } from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

async function fill(ns, set, n, prefix = 'k') {
  const keys = [];
  for (let i = 0; i < n; i++) {
    const k = key(set, `${prefix}${i}`, ns);
    keys.push(k);
    await client.put(k, { i });
  }
  return keys;
}

for (const ns of NAMESPACES) {
  describe(`truncate (${ns})`, () => {
    it('removes every record of the set and leaves other sets alone', async () => {
      const set = uniqueSet('trunc');
      const other = uniqueSet('keep');
      const keys = await fill(ns, set, 30);
      const kept = await fill(ns, other, 10);
      await client.truncate(ns, set, 0);
      await eventually(async () => (await scanAll(client, ns, set)).length === 0, 5000, 'truncation');
      for (const k of keys) await rejectsWith(client.get(k), status.ERR_RECORD_NOT_FOUND, 'get after truncate');
      assert.equal((await scanAll(client, ns, other)).length, 10);
      for (const k of kept) assert.equal(await client.exists(k), true);
    });

    it('with a time removes only records last updated before it', async () => {
      const set = uniqueSet('truncbefore');
      const old = await fill(ns, set, 10, 'old');
      await sleep(300);
      const cut = Date.now() * 1e6;  // nanoseconds since the Unix epoch
      await sleep(300);
      const fresh = await fill(ns, set, 10, 'new');
      await client.truncate(ns, set, cut);
      await eventually(async () => (await scanAll(client, ns, set)).length === 10, 5000, 'truncation');
      for (const k of old) assert.equal(await client.exists(k), false);
      for (const k of fresh) assert.equal(await client.exists(k), true);
    });

    it('records written after a truncate are kept', async () => {
      const set = uniqueSet('truncthen');
      await fill(ns, set, 5);
      await client.truncate(ns, set, 0);
      await eventually(async () => (await scanAll(client, ns, set)).length === 0, 5000, 'truncation');
      await sleep(50);
      const k = key(set, 'after', ns);
      await client.put(k, { a: 1 });
      assert.deepStrictEqual((await client.get(k)).bins, { a: 1 });
      assert.equal((await scanAll(client, ns, set)).length, 1);
    });
  });
}
