// Batch commands: batchGet, batchExists, batchSelect, batchRead, batchWrite, batchRemove.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Aerospike, NAMESPACES, connect, key, op, rejectsWith, status, uniqueSet } from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

const { BATCH_READ, BATCH_WRITE, BATCH_REMOVE } = Aerospike.batchType;

for (const ns of NAMESPACES) {
  describe(`batch (${ns})`, () => {
    const set = uniqueSet('batch');
    const keys = [];
    // Keys 0..9 exist with bins { i, s, l }; keys 100 and 101 do not exist.
    before(async () => {
      for (let i = 0; i < 10; i++) {
        const k = key(set, i, ns);
        keys.push(k);
        await client.put(k, { i, s: `v${i}`, l: [i, i * 2] });
      }
    });
    const missing = () => [key(set, 100, ns), key(set, 101, ns)];

    it('batchGet returns every record in key order, and not-found for missing keys', async () => {
      const req = [keys[3], missing()[0], keys[0], keys[9], missing()[1]];
      const res = await client.batchGet(req);
      assert.equal(res.length, req.length);
      const want = [3, null, 0, 9, null];
      res.forEach((r, n) => {
        assert.ok(r.record.key.digest.equals(req[n].digest), `result ${n} is for key ${n}`);
        if (want[n] === null) {
          assert.equal(r.status, status.ERR_RECORD_NOT_FOUND, `result ${n}`);
        } else {
          assert.equal(r.status, status.OK, `result ${n}`);
          assert.deepStrictEqual(r.record.bins, { i: want[n], s: `v${want[n]}`, l: [want[n], want[n] * 2] });
          assert.equal(r.record.gen, 1);
        }
      });
    });

    it('batchExists reports which records exist', async () => {
      const res = await client.batchExists([keys[1], missing()[0], keys[2]]);
      assert.deepStrictEqual(res.map((r) => r.status), [status.OK, status.ERR_RECORD_NOT_FOUND, status.OK]);
      assert.equal(res[0].record.gen, 1);
    });

    it('batchSelect returns only the named bins', async () => {
      const res = await client.batchSelect([keys[4], keys[5]], ['s']);
      assert.deepStrictEqual(res.map((r) => r.status), [status.OK, status.OK]);
      assert.deepStrictEqual(res.map((r) => r.record.bins), [{ s: 'v4' }, { s: 'v5' }]);
    });

    it('batchRead mixes all bins, named bins and read operations per record', async () => {
      const res = await client.batchRead([
        { type: BATCH_READ, key: keys[6], readAllBins: true },
        { type: BATCH_READ, key: keys[7], bins: ['i'] },
        { type: BATCH_READ, key: keys[8], ops: [op.read('s')] },
        { type: BATCH_READ, key: missing()[0], readAllBins: true }
      ]);
      assert.deepStrictEqual(res.map((r) => r.status),
                             [status.OK, status.OK, status.OK, status.ERR_RECORD_NOT_FOUND]);
      assert.deepStrictEqual(res[0].record.bins, { i: 6, s: 'v6', l: [6, 12] });
      assert.deepStrictEqual(res[1].record.bins, { i: 7 });
      assert.deepStrictEqual(res[2].record.bins, { s: 'v8' });
    });

    it('batchWrite applies write operations and removes, with a status per record', async () => {
      const kNew = key(set, 'bw-new', ns);
      const kDel = key(set, 'bw-del', ns);
      await client.put(kDel, { x: 1 });
      const res = await client.batchWrite([
        { type: BATCH_WRITE, key: keys[0], ops: [op.incr('i', 100), op.write('added', 'yes')] },
        { type: BATCH_WRITE, key: kNew, ops: [op.write('a', 1), op.append('s', 'xy')] },
        { type: BATCH_REMOVE, key: kDel },
        { type: BATCH_READ, key: keys[1], readAllBins: true }
      ]);
      assert.deepStrictEqual(res.map((r) => r.status), [status.OK, status.OK, status.OK, status.OK]);
      assert.deepStrictEqual(res[3].record.bins, { i: 1, s: 'v1', l: [1, 2] });
      const k0 = await client.get(keys[0]);
      assert.deepStrictEqual(k0.bins, { i: 100, s: 'v0', l: [0, 0], added: 'yes' });
      assert.equal(k0.gen, 2);
      assert.deepStrictEqual((await client.get(kNew)).bins, { a: 1, s: 'xy' });
      assert.equal(await client.exists(kDel), false);
    });

    it('batchWrite reports per-record errors: exists, generation, incompatible type', async () => {
      const kExists = key(set, 'bw-exists', ns);
      const kGen = key(set, 'bw-gen', ns);
      const kType = key(set, 'bw-type', ns);
      await client.put(kExists, { a: 1 });
      await client.put(kGen, { a: 1 });
      await client.put(kGen, { a: 2 });
      await client.put(kType, { s: 'str' });
      const res = await client.batchWrite([
        { type: BATCH_WRITE, key: kExists, ops: [op.write('a', 2)],
          policy: new Aerospike.BatchWritePolicy({ exists: Aerospike.policy.exists.CREATE }) },
        { type: BATCH_WRITE, key: kGen, ops: [op.write('a', 3)],
          policy: new Aerospike.BatchWritePolicy({ gen: Aerospike.policy.gen.EQ, generation: 1 }) },
        { type: BATCH_WRITE, key: kType, ops: [op.incr('s', 1)] },
        { type: BATCH_WRITE, key: keys[2], ops: [op.write('ok', true)] }
      ]);
      assert.deepStrictEqual(res.map((r) => r.status),
                             [status.ERR_RECORD_EXISTS, status.ERR_RECORD_GENERATION,
                              status.ERR_BIN_INCOMPATIBLE_TYPE, status.OK]);
      assert.equal((await client.get(kExists)).bins.a, 1);
      assert.equal((await client.get(kGen)).bins.a, 2);
      assert.equal((await client.get(keys[2])).bins.ok, true);
    });

    it('batchRemove removes records and reports missing ones', async () => {
      const a = key(set, 'br-a', ns);
      const b = key(set, 'br-b', ns);
      await client.put(a, { v: 1 });
      await client.put(b, { v: 2 });
      const res = await client.batchRemove([a, missing()[1], b]);
      assert.deepStrictEqual(res.map((r) => r.status), [status.OK, status.ERR_RECORD_NOT_FOUND, status.OK]);
      assert.equal(await client.exists(a), false);
      assert.equal(await client.exists(b), false);
      await rejectsWith(client.get(b), status.ERR_RECORD_NOT_FOUND, 'get after batchRemove');
    });

    it('batchGet of many keys (more than one batch message per node)', async () => {
      const many = [];
      for (let i = 0; i < 300; i++) {
        const k = key(set, `many-${i}`, ns);
        many.push(k);
        if (i % 3 === 0) await client.put(k, { n: i });
      }
      const res = await client.batchGet(many);
      assert.equal(res.length, 300);
      res.forEach((r, i) => {
        if (i % 3 === 0) {
          assert.equal(r.status, status.OK, `key many-${i}`);
          assert.equal(r.record.bins.n, i);
        } else {
          assert.equal(r.status, status.ERR_RECORD_NOT_FOUND, `key many-${i}`);
        }
      });
    });
  });
}
