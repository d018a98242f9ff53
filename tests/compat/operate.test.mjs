// client.operate with read, write, incr, append, prepend, touch and delete operations, and
// the shortcut commands built on them (incr/add, append, prepend).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Aerospike, NAMESPACES, assertTtl, connect, key, op, rejectsWith, status, uniqueSet } from './helper.mjs';

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

for (const ns of NAMESPACES) {
  describe(`operate (${ns})`, () => {
    const set = uniqueSet('operate');

    it('applies write, incr, append and prepend in order and returns the reads', async () => {
      const k = key(set, 'mixed', ns);
      await client.put(k, { i: 10, s: 'mid', keep: 'x' });
      const rec = await client.operate(k, [
        op.incr('i', 5),
        op.append('s', '-end'),
        op.prepend('s', 'start-'),
        op.write('w', [1, { two: 2 }]),
        op.read('i'),
        op.read('s'),
        op.read('w')
      ]);
      assert.deepStrictEqual(rec.bins, { i: 15, s: 'start-mid-end', w: [1, { two: 2 }] });
      assert.equal(rec.gen, 2, 'one operate = one write = one generation');
      const stored = await client.get(k);
      assert.deepStrictEqual(stored.bins, { i: 15, s: 'start-mid-end', keep: 'x', w: [1, { two: 2 }] });
      assert.equal(stored.gen, 2);
    });

    it('reads the value as of its position among the operations', async () => {
      const k = key(set, 'order', ns);
      await client.put(k, { i: 1 });
      const rec = await client.operate(k, [op.read('i'), op.incr('i', 1)]);
      assert.strictEqual(rec.bins.i, 1);
      assert.strictEqual((await client.get(k)).bins.i, 2);
    });

    it('creates the record and the bins it writes when the record is missing', async () => {
      const k = key(set, 'create', ns);
      const rec = await client.operate(k, [op.incr('n', 3), op.append('s', 'ab'), op.prepend('p', 'z'),
                                           op.read('n'), op.read('s'), op.read('p')]);
      assert.deepStrictEqual(rec.bins, { n: 3, s: 'ab', p: 'z' });
      assert.equal((await client.get(k)).gen, 1);
    });

    it('increments integers and doubles, also by negative amounts', async () => {
      const k = key(set, 'incr', ns);
      await client.put(k, { i: 100, d: 1.5 });
      const rec = await client.operate(k, [op.incr('i', -150), op.incr('d', 2.25), op.read('i'), op.read('d')]);
      assert.strictEqual(rec.bins.i, -50);
      assert.strictEqual(rec.bins.d, 3.75);
    });

    it('only reads: no generation change, and ERR_RECORD_NOT_FOUND on a missing record', async () => {
      const k = key(set, 'readonly', ns);
      await client.put(k, { a: 1, b: 2 });
      const rec = await client.operate(k, [op.read('a')]);
      assert.deepStrictEqual(rec.bins, { a: 1 });
      assert.equal((await client.get(k)).gen, 1);
      await rejectsWith(client.operate(key(set, 'nope', ns), [op.read('a')]), status.ERR_RECORD_NOT_FOUND,
                        'read-only operate of a missing record');
    });

    it('incr of a string bin fails with ERR_BIN_INCOMPATIBLE_TYPE and changes nothing', async () => {
      const k = key(set, 'badincr', ns);
      await client.put(k, { s: 'text', i: 1 });
      await rejectsWith(client.operate(k, [op.incr('i', 1), op.incr('s', 1)]), status.ERR_BIN_INCOMPATIBLE_TYPE,
                        'incr of a string bin');
      const rec = await client.get(k);
      assert.deepStrictEqual(rec.bins, { s: 'text', i: 1 }, 'the whole operate was rejected');
      assert.equal(rec.gen, 1);
    });

    it('append to an integer bin fails with ERR_BIN_INCOMPATIBLE_TYPE', async () => {
      const k = key(set, 'badappend', ns);
      await client.put(k, { i: 1 });
      await rejectsWith(client.operate(k, [op.append('i', 'x')]), status.ERR_BIN_INCOMPATIBLE_TYPE,
                        'append to an integer bin');
      await rejectsWith(client.operate(k, [op.prepend('i', 'x')]), status.ERR_BIN_INCOMPATIBLE_TYPE,
                        'prepend to an integer bin');
    });

    it('append and prepend work on blobs', async () => {
      const k = key(set, 'blob', ns);
      await client.put(k, { b: Buffer.from([2, 3]) });
      const rec = await client.operate(k, [op.append('b', Buffer.from([4])), op.prepend('b', Buffer.from([1])),
                                           op.read('b')]);
      assert.ok(rec.bins.b.equals(Buffer.from([1, 2, 3, 4])));
    });

    it('touch sets a new ttl and increments the generation', async () => {
      const k = key(set, 'touch', ns);
      await client.put(k, { a: 1 }, { ttl: 100 });
      const before = await client.get(k);
      assertTtl(before.ttl, 100);
      await client.operate(k, [op.touch(5000)]);
      const rec = await client.get(k);
      assertTtl(rec.ttl, 5000);
      assert.equal(rec.gen, 2);
      assert.deepStrictEqual(rec.bins, { a: 1 });
    });

    it('touch of a missing record fails with ERR_RECORD_NOT_FOUND', async () => {
      await rejectsWith(client.operate(key(set, 'touchmissing', ns), [op.touch(10)]), status.ERR_RECORD_NOT_FOUND,
                        'touch of a missing record');
    });

    it('delete removes the record; a read before it still returns the value', async () => {
      const k = key(set, 'delete', ns);
      await client.put(k, { a: 'gone soon' });
      const rec = await client.operate(k, [op.read('a'), op.delete()]);
      assert.equal(rec.bins.a, 'gone soon');
      await rejectsWith(client.get(k), status.ERR_RECORD_NOT_FOUND, 'get after operate delete');
      assert.equal(await client.exists(k), false);
    });

    it('writes with meta.ttl set the ttl', async () => {
      const k = key(set, 'ttl', ns);
      await client.operate(k, [op.write('a', 1)], { ttl: 777 });
      assertTtl((await client.get(k)).ttl, 777);
    });

    it('honours the generation policy', async () => {
      const k = key(set, 'gen', ns);
      await client.put(k, { a: 1 });
      await client.put(k, { a: 2 });
      const policy = new Aerospike.OperatePolicy({ gen: Aerospike.policy.gen.EQ });
      await rejectsWith(client.operate(k, [op.incr('a', 1)], { gen: 1 }, policy), status.ERR_RECORD_GENERATION,
                        'operate with a stale generation');
      const rec = await client.operate(k, [op.incr('a', 1), op.read('a')], { gen: 2 }, policy);
      assert.equal(rec.bins.a, 3);
      assert.equal(rec.gen, 3);
    });

    it('client.incr, client.append and client.prepend are operate shortcuts', async () => {
      const k = key(set, 'shortcuts', ns);
      await client.put(k, { i: 1, s: 'b' });
      await client.incr(k, { i: 41 });
      await client.append(k, { s: 'c' });
      await client.prepend(k, { s: 'a' });
      const rec = await client.get(k);
      assert.deepStrictEqual(rec.bins, { i: 42, s: 'abc' });
      assert.equal(rec.gen, 4);
    });
  });
}
