// Single-record commands: put, get, select, exists, remove; every key type and bin type in
// both namespaces; generations, exists policies, status codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Aerospike, NAMESPACES, NS, assertTtl, connect, key, rejectsWith, status, uniqueSet
} from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

const geo = { type: 'Point', coordinates: [103.913, 1.308] };
const allTypes = () => ({
  i: 42,
  neg: -7,
  i64: 2 ** 40 + 3,
  d: 3.25,
  s: 'héllo wörld',
  empty: '',
  b: Buffer.from([0, 1, 2, 250, 255]),
  t: true,
  f: false,
  l: [1, 'two', 3.5, [4, 5], { six: 6 }, Buffer.from('x')],
  m: { a: 1, b: 'bee', c: [1, 2], d: { nested: true } },
  g: new Aerospike.GeoJSON(geo)
});

function assertAllTypes(bins) {
  const want = allTypes();
  for (const name of ['i', 'neg', 'i64', 'd', 's', 'empty', 't', 'f']) {
    assert.strictEqual(bins[name], want[name], `bin ${name}`);
  }
  assert.ok(Buffer.isBuffer(bins.b), 'blob bin comes back as a Buffer');
  assert.ok(bins.b.equals(want.b), 'blob bin bytes');
  assert.deepStrictEqual(bins.l, want.l, 'list bin');
  assert.deepStrictEqual(bins.m, want.m, 'map bin');
  // The client hands GeoJSON bins back as their JSON text.
  assert.strictEqual(bins.g, JSON.stringify(geo), 'GeoJSON bin');
  assert.equal(Object.keys(bins).length, Object.keys(want).length, 'no extra bins');
}

for (const ns of NAMESPACES) {
  describe(`bin types (${ns})`, () => {
    const set = uniqueSet('types');

    it('round-trips int, double, string, blob, bool, list, map and GeoJSON bins', async () => {
      const k = key(set, 'all', ns);
      await client.put(k, allTypes());
      const rec = await client.get(k);
      assert.equal(rec.gen, 1);
      assert.equal(rec.ttl, -1, 'default_ttl 0: the record never expires (ttl -1)');
      assertAllTypes(rec.bins);
    });

    it('stores a double with an integral value as a double', async () => {
      const k = key(set, 'dbl', ns);
      await client.put(k, { d: new Aerospike.Double(2.0) });
      const rec = await client.get(k);
      assert.strictEqual(rec.bins.d, 2);
      // An integer increment of a double bin is a type mismatch only if it is stored as double.
      await rejectsWith(client.operate(k, [Aerospike.operations.incr('d', 1)]),
                        status.ERR_BIN_INCOMPATIBLE_TYPE, 'integer incr of a double bin');
      const r2 = await client.operate(k, [Aerospike.operations.incr('d', 1.5),
                                          Aerospike.operations.read('d')]);
      assert.strictEqual(r2.bins.d, 3.5);
    });

    it('rejects a GeoJSON bin that is not valid GeoJSON with ERR_GEO_INVALID_GEOJSON', async () => {
      const k = key(set, 'badgeo', ns);
      await rejectsWith(client.put(k, { g: new Aerospike.GeoJSON('{"type":"Point","coordinates":"x"}') }),
                        status.ERR_GEO_INVALID_GEOJSON, 'put of an invalid GeoJSON value');
    });

    it('round-trips 64-bit integers at the edges', async () => {
      const k = key(set, 'int64', ns);
      const max = 2n ** 63n - 1n;
      const min = -(2n ** 63n);
      await client.put(k, { max, min, zero: 0, safe: Number.MAX_SAFE_INTEGER });
      const rec = await client.get(k);
      assert.equal(BigInt(rec.bins.max), max);
      assert.equal(BigInt(rec.bins.min), min);
      assert.strictEqual(rec.bins.zero, 0);
      assert.strictEqual(rec.bins.safe, Number.MAX_SAFE_INTEGER);
    });

    it('keeps a large blob and a long string intact', async () => {
      const k = key(set, 'large', ns);
      const blob = Buffer.alloc(200 * 1024);
      for (let i = 0; i < blob.length; i++) blob[i] = (i * 31 + 7) & 0xff;
      const str = 'abcdefghij'.repeat(20000);
      await client.put(k, { blob, str });
      const rec = await client.get(k);
      assert.ok(rec.bins.blob.equals(blob));
      assert.strictEqual(rec.bins.str, str);
    });

    it('rejects a record larger than max_record_size with ERR_RECORD_TOO_BIG', async () => {
      const k = key(set, 'toobig', ns);
      await rejectsWith(client.put(k, { big: Buffer.alloc(1536 * 1024, 1) }),
                        status.ERR_RECORD_TOO_BIG, 'a 1.5 MiB record');
      await rejectsWith(client.get(k), status.ERR_RECORD_NOT_FOUND, 'the rejected record');
    });
  });

  describe(`key types (${ns})`, () => {
    const set = uniqueSet('keys');
    const cases = [
      ['integer', 12345],
      ['negative integer', -98765],
      ['string', 'user:ünïcode:1'],
      ['Buffer', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00])]
    ];
    for (const [name, value] of cases) {
      it(`puts, gets, checks and removes a record with a ${name} key`, async () => {
        const k = key(set, value, ns);
        await client.put(k, { kind: name });
        const rec = await client.get(k);
        assert.deepStrictEqual(rec.bins, { kind: name });
        assert.ok(rec.key.digest.equals(k.digest), 'same digest');
        assert.equal(await client.exists(k), true);
        // The same record is found through its digest alone.
        const byDigest = await client.get(new Aerospike.Key(ns, set, null, k.digest));
        assert.deepStrictEqual(byDigest.bins, { kind: name });
        await client.remove(k);
        assert.equal(await client.exists(k), false);
      });
    }

    it('keeps records of the integer key 7 and the string key "7" apart', async () => {
      await client.put(key(set, 7, ns), { v: 'int' });
      await client.put(key(set, '7', ns), { v: 'str' });
      assert.equal((await client.get(key(set, 7, ns))).bins.v, 'int');
      assert.equal((await client.get(key(set, '7', ns))).bins.v, 'str');
    });

    it('keeps records of different sets apart', async () => {
      const other = uniqueSet('keys2');
      await client.put(key(set, 'same', ns), { v: 1 });
      await client.put(key(other, 'same', ns), { v: 2 });
      assert.equal((await client.get(key(set, 'same', ns))).bins.v, 1);
      assert.equal((await client.get(key(other, 'same', ns))).bins.v, 2);
    });
  });
}

describe('get, select, exists, remove', () => {
  const set = uniqueSet('kv');

  it('get of a missing record fails with ERR_RECORD_NOT_FOUND', async () => {
    await rejectsWith(client.get(key(set, 'missing')), status.ERR_RECORD_NOT_FOUND, 'get');
  });

  it('select returns only the named bins', async () => {
    const k = key(set, 'select');
    await client.put(k, { a: 1, b: 'two', c: [3] });
    const rec = await client.select(k, ['a', 'c']);
    assert.deepStrictEqual(rec.bins, { a: 1, c: [3] });
    assert.equal(rec.gen, 1);
  });

  it('exists and existsWithMetadata report presence, generation and ttl', async () => {
    const k = key(set, 'exists');
    assert.equal(await client.exists(k), false);
    await client.put(k, { a: 1 }, { ttl: 1000 });
    await client.put(k, { a: 2 }, { ttl: 1000 });
    assert.equal(await client.exists(k), true);
    const meta = await client.existsWithMetadata(k);
    assert.equal(meta.gen, 2);
    assertTtl(meta.ttl, 1000);
  });

  it('remove deletes the record; removing it again fails with ERR_RECORD_NOT_FOUND', async () => {
    const k = key(set, 'remove');
    await client.put(k, { a: 1 });
    const removed = await client.remove(k);
    assert.ok(removed.digest.equals(k.digest));
    await rejectsWith(client.get(k), status.ERR_RECORD_NOT_FOUND, 'get after remove');
    await rejectsWith(client.remove(k), status.ERR_RECORD_NOT_FOUND, 'second remove');
  });

  it('a removed record can be written again, starting a new generation count', async () => {
    const k = key(set, 'recreate');
    await client.put(k, { a: 1 });
    await client.put(k, { a: 2 });
    await client.remove(k);
    await client.put(k, { b: 3 });
    const rec = await client.get(k);
    assert.deepStrictEqual(rec.bins, { b: 3 });
    assert.equal(rec.gen, 1);
  });

  it('writing null to a bin removes the bin; removing the last bin removes the record', async () => {
    const k = key(set, 'removebin');
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { a: null });
    assert.deepStrictEqual((await client.get(k)).bins, { b: 2 });
    await client.put(k, { b: null });
    await rejectsWith(client.get(k), status.ERR_RECORD_NOT_FOUND, 'record without bins');
  });

  it('put merges bins into an existing record', async () => {
    const k = key(set, 'merge');
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { b: 20, c: 30 });
    const rec = await client.get(k);
    assert.deepStrictEqual(rec.bins, { a: 1, b: 20, c: 30 });
    assert.equal(rec.gen, 2);
  });
});

describe('generations', () => {
  const set = uniqueSet('gen');
  const gen = Aerospike.policy.gen;

  it('every write increments the generation', async () => {
    const k = key(set, 'count');
    for (let i = 1; i <= 5; i++) {
      await client.put(k, { i });
      assert.equal((await client.get(k)).gen, i);
    }
  });

  it('gen EQ: a write with a stale generation fails with ERR_RECORD_GENERATION', async () => {
    const k = key(set, 'eq');
    await client.put(k, { v: 1 });
    await client.put(k, { v: 2 });
    const policy = new Aerospike.WritePolicy({ gen: gen.EQ });
    await rejectsWith(client.put(k, { v: 3 }, { gen: 1 }, policy), status.ERR_RECORD_GENERATION,
                      'put with gen 1 on a gen-2 record');
    const rec = await client.get(k);
    assert.equal(rec.gen, 2);
    assert.equal(rec.bins.v, 2, 'the failed write changed nothing');
    await client.put(k, { v: 3 }, { gen: 2 }, policy);
    const after = await client.get(k);
    assert.equal(after.gen, 3);
    assert.equal(after.bins.v, 3);
  });

  it('gen GT: a write succeeds only with a generation above the record\'s', async () => {
    const k = key(set, 'gt');
    await client.put(k, { v: 1 });
    await client.put(k, { v: 2 });
    const policy = new Aerospike.WritePolicy({ gen: gen.GT });
    await rejectsWith(client.put(k, { v: 3 }, { gen: 2 }, policy), status.ERR_RECORD_GENERATION,
                      'put with gen GT 2 on a gen-2 record');
    await client.put(k, { v: 3 }, { gen: 5 }, policy);
    assert.equal((await client.get(k)).bins.v, 3);
  });

  it('remove with a stale generation fails with ERR_RECORD_GENERATION', async () => {
    const k = key(set, 'remove');
    await client.put(k, { v: 1 });
    await client.put(k, { v: 2 });
    const policy = new Aerospike.RemovePolicy({ gen: gen.EQ, generation: 1 });
    await rejectsWith(client.remove(k, policy), status.ERR_RECORD_GENERATION, 'remove with gen 1');
    assert.equal(await client.exists(k), true);
    await client.remove(k, new Aerospike.RemovePolicy({ gen: gen.EQ, generation: 2 }));
    assert.equal(await client.exists(k), false);
  });
});

describe('exists policies', () => {
  const set = uniqueSet('existspol');
  const exists = Aerospike.policy.exists;
  const wp = (e) => new Aerospike.WritePolicy({ exists: e });

  it('CREATE fails with ERR_RECORD_EXISTS when the record exists', async () => {
    const k = key(set, 'create');
    await client.put(k, { v: 1 }, null, wp(exists.CREATE));
    await rejectsWith(client.put(k, { v: 2 }, null, wp(exists.CREATE)), status.ERR_RECORD_EXISTS,
                      'second create');
    assert.equal((await client.get(k)).bins.v, 1);
  });

  it('UPDATE fails with ERR_RECORD_NOT_FOUND when the record does not exist', async () => {
    const k = key(set, 'update');
    await rejectsWith(client.put(k, { v: 1 }, null, wp(exists.UPDATE)), status.ERR_RECORD_NOT_FOUND,
                      'update of a missing record');
    await client.put(k, { v: 1, w: 1 });
    await client.put(k, { v: 2 }, null, wp(exists.UPDATE));
    assert.deepStrictEqual((await client.get(k)).bins, { v: 2, w: 1 });
  });

  it('REPLACE drops the bins not written and needs an existing record', async () => {
    const k = key(set, 'replace');
    await rejectsWith(client.put(k, { v: 1 }, null, wp(exists.REPLACE)), status.ERR_RECORD_NOT_FOUND,
                      'replace of a missing record');
    await client.put(k, { v: 1, w: 1 });
    await client.put(k, { v: 2 }, null, wp(exists.REPLACE));
    const rec = await client.get(k);
    assert.deepStrictEqual(rec.bins, { v: 2 });
    assert.equal(rec.gen, 2);
  });

  it('CREATE_OR_REPLACE creates or replaces', async () => {
    const k = key(set, 'cor');
    await client.put(k, { v: 1, w: 1 }, null, wp(exists.CREATE_OR_REPLACE));
    await client.put(k, { v: 2 }, null, wp(exists.CREATE_OR_REPLACE));
    assert.deepStrictEqual((await client.get(k)).bins, { v: 2 });
  });
});

describe('namespaces', () => {
  it('a command on an unknown namespace fails with ERR_NAMESPACE_NOT_FOUND', async () => {
    await rejectsWith(client.put(new Aerospike.Key('nosuchns', 'x', 1), { a: 1 }),
                      status.ERR_NAMESPACE_NOT_FOUND, 'put to namespace nosuchns');
  });

  it('the same key in test and bar names two records', async () => {
    const set = uniqueSet('nsapart');
    await client.put(key(set, 'k', NS), { where: NS });
    await client.put(key(set, 'k', 'bar'), { where: 'bar' });
    assert.equal((await client.get(key(set, 'k', NS))).bins.where, NS);
    assert.equal((await client.get(key(set, 'k', 'bar'))).bins.where, 'bar');
  });
});
