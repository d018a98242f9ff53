// Scans: whole set, partition scans, selected bins, nobins, maxRecords, stored keys.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Aerospike, NAMESPACES, connect, key, partitionOf, scanAll, uniqueSet } from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

const N = 200;

for (const ns of NAMESPACES) {
  describe(`scan (${ns})`, () => {
    const set = uniqueSet('scan');
    const other = uniqueSet('scanother');
    const keys = [];
    before(async () => {
      const sendKey = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
      for (let i = 0; i < N; i++) {
        const k = key(set, `k${i}`, ns);
        keys.push(k);
        await client.put(k, { i, s: `s${i}`, l: [i] }, null, sendKey);
      }
      for (let i = 0; i < 20; i++) await client.put(key(other, `o${i}`, ns), { o: i });
    });

    const digests = (recs) => new Set(recs.map((r) => r.key.digest.toString('hex')));

    it('returns every record of the set, once, with all bins', async () => {
      const recs = await scanAll(client, ns, set);
      assert.equal(recs.length, N);
      assert.equal(digests(recs).size, N, 'no record twice');
      for (const r of recs) {
        const i = r.bins.i;
        assert.deepStrictEqual(r.bins, { i, s: `s${i}`, l: [i] });
        assert.equal(r.gen, 1);
        assert.equal(r.key.set, set);
        assert.equal(r.key.ns, ns);
      }
      assert.deepStrictEqual([...digests(recs)].sort(), keys.map((k) => k.digest.toString('hex')).sort());
    });

    it('returns the user keys that were stored with policy.key SEND', async () => {
      const recs = await scanAll(client, ns, set);
      const got = recs.map((r) => r.key.key).sort();
      assert.deepStrictEqual(got, keys.map((k) => k.key).sort());
    });

    it('returns only the selected bins', async () => {
      const recs = await scanAll(client, ns, set, { select: ['s'] });
      assert.equal(recs.length, N);
      for (const r of recs) assert.deepStrictEqual(Object.keys(r.bins), ['s']);
    });

    it('with nobins returns the records without bins', async () => {
      const recs = await scanAll(client, ns, set, { nobins: true });
      assert.equal(recs.length, N);
      for (const r of recs) assert.deepStrictEqual(r.bins, {});
      assert.equal(digests(recs).size, N);
    });

    it('with maxRecords returns at most that many records', async () => {
      const recs = await scanAll(client, ns, set, {}, { maxRecords: 50 });
      // One node: the client asks it for 50 records; fewer only if the set had fewer.
      assert.ok(recs.length <= 50, `got ${recs.length} records`);
      assert.ok(recs.length >= 45, `got only ${recs.length} records out of ${N}`);
      assert.equal(digests(recs).size, recs.length);
    });

    it('a partition scan returns exactly the records of those partitions', async () => {
      const low = client.scan(ns, set);
      low.partitions(0, 2048);
      const high = client.scan(ns, set);
      high.partitions(2048, 2048);
      const [a, b] = [await low.results(), await high.results()];
      for (const r of a) assert.ok(partitionOf(r.key) < 2048, 'record of partitions 0-2047');
      for (const r of b) assert.ok(partitionOf(r.key) >= 2048, 'record of partitions 2048-4095');
      const wantLow = keys.filter((k) => partitionOf(k) < 2048).length;
      assert.equal(a.length, wantLow);
      assert.equal(b.length, N - wantLow);
    });

    it('a scan of a single partition returns only its records', async () => {
      const p = partitionOf(keys[0]);
      const scan = client.scan(ns, set);
      scan.partitions(p, 1);
      const recs = await scan.results();
      const want = keys.filter((k) => partitionOf(k) === p).map((k) => k.digest.toString('hex')).sort();
      assert.deepStrictEqual([...digests(recs)].sort(), want);
    });

    it('streams records with foreach', async () => {
      const scan = client.scan(ns, other);
      const seen = [];
      await new Promise((resolve, reject) => {
        const stream = scan.foreach();
        stream.on('data', (r) => seen.push(r.bins.o));
        stream.on('error', reject);
        stream.on('end', resolve);
      });
      assert.deepStrictEqual(seen.sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
    });

    it('a scan of a set with no records returns nothing', async () => {
      assert.deepStrictEqual(await scanAll(client, ns, uniqueSet('empty')), []);
    });
  });
}
