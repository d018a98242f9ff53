// Record TTLs: reported ttl, expiry (the harness runs ternd with nsup_period_sec: 1),
// never-expire, don't-update, touch extending a record's life.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Aerospike, NAMESPACES, assertTtl, connect, eventually, key, op, rejectsWith, scanAll, sleep, status,
  uniqueSet
} from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

for (const ns of NAMESPACES) {
  describe(`ttl (${ns})`, () => {
    const set = uniqueSet('ttl');

    it('reports the ttl a record was written with', async () => {
      const k = key(set, 'ttl', ns);
      await client.put(k, { a: 1 }, { ttl: 3600 });
      assertTtl((await client.get(k)).ttl, 3600);
      await client.put(k, { a: 2 }, { ttl: 86400 * 30 });
      assertTtl((await client.get(k)).ttl, 86400 * 30);
    });

    it('ttl -1 and ttl 0 (namespace default_ttl 0) never expire', async () => {
      const k1 = key(set, 'never', ns);
      await client.put(k1, { a: 1 }, { ttl: Aerospike.ttl.NEVER_EXPIRE });
      assert.equal((await client.get(k1)).ttl, -1);
      const k0 = key(set, 'default', ns);
      await client.put(k0, { a: 1 }, { ttl: Aerospike.ttl.NAMESPACE_DEFAULT });
      assert.equal((await client.get(k0)).ttl, -1);
    });

    it('ttl -2 keeps the ttl the record had', async () => {
      const k = key(set, 'dontupdate', ns);
      await client.put(k, { a: 1 }, { ttl: 5000 });
      await client.put(k, { a: 2 }, { ttl: Aerospike.ttl.DONT_UPDATE });
      const rec = await client.get(k);
      assertTtl(rec.ttl, 5000);
      assert.equal(rec.bins.a, 2);
    });

    it('a record expires after its ttl: get, exists and scans stop seeing it', async () => {
      const kShort = key(set, 'short', ns);
      const kLong = key(set, 'long', ns);
      await client.put(kShort, { a: 1 }, { ttl: 1 });
      await client.put(kLong, { a: 2 }, { ttl: 3600 });
      assert.equal((await client.get(kShort)).bins.a, 1);
      await sleep(2500);
      await rejectsWith(client.get(kShort), status.ERR_RECORD_NOT_FOUND, 'get of an expired record');
      assert.equal(await client.exists(kShort), false);
      await rejectsWith(client.operate(kShort, [op.read('a')]), status.ERR_RECORD_NOT_FOUND,
                        'operate read of an expired record');
      await eventually(async () => {
        const recs = await scanAll(client, ns, set);
        return recs.every((r) => !r.key.digest.equals(kShort.digest));
      }, 5000, 'the expired record leaving scans');
      assert.equal((await client.get(kLong)).bins.a, 2, 'the other record is still there');
    });

    it('an expired record can be created again with CREATE', async () => {
      const k = key(set, 'recreate', ns);
      await client.put(k, { a: 1 }, { ttl: 1 });
      await sleep(2500);
      await client.put(k, { a: 2 }, null, new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.CREATE }));
      const rec = await client.get(k);
      assert.equal(rec.bins.a, 2);
      assert.equal(rec.gen, 1);
    });

    it('touch extends the life of a record about to expire', async () => {
      const k = key(set, 'touch', ns);
      await client.put(k, { a: 1 }, { ttl: 2 });
      await client.operate(k, [op.touch(3600)]);
      await sleep(3000);
      const rec = await client.get(k);
      assertTtl(rec.ttl, 3600, 6);
      assert.equal(rec.gen, 2);
    });
  });
}
