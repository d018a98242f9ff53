// Path operations and path expressions (docs/collections.md): what the official suite's
// path_* files leave out — filters that read other bins, paths inside filter expressions and
// batches, the result codes, and both namespaces.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Aerospike, NAMESPACES, connect, key, op, rejectsWith, status, uniqueSet } from './helper.mjs';

const { exp } = Aerospike;
const Context = Aerospike.cdt.Context;
const VALUE = exp.loopVarPart.VALUE;

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

for (const ns of NAMESPACES) {
  describe(`path operations (${ns})`, () => {
    const set = uniqueSet('path');
    const shop = { book: [{ title: 'abc', price: 1.5 }, { title: 'def', price: 2.5 }, { title: 'ghi', price: 9.5 }] };
    const price = exp.maps.getByKey(exp.loopVarMap(VALUE), exp.str('price'), exp.type.FLOAT,
                                    Aerospike.maps.returnType.VALUE);

    it('filters children against another bin of the record', async () => {
      const k = key(set, 'budget', ns);
      // 3.5, not 3.0: JS sends a whole number as an integer, which a float never equals.
      await client.put(k, { shop, budget: 3.5 });
      const affordable = new Context().addMapKey('book')
        .addAllChildrenWithFilter(exp.le(price, exp.binFloat('budget'))).addMapKey('title');
      const r = await client.operate(k, [op.selectByPath('shop', exp.pathSelectFlags.VALUE, affordable)]);
      assert.deepStrictEqual(r.bins.shop, ['abc', 'def']);
    });

    it('applies and removes in one operate, then reads the result', async () => {
      const k = key(set, 'apply', ns);
      await client.put(k, { shop });
      // Contexts are built afresh per op: adding a step changes a Context in place.
      const books = () => new Context().addMapKey('book').addAllChildren();
      const r = await client.operate(k, [
        op.modifyByPath('shop', exp.cond(exp.gt(price, exp.float(5.0)), exp.removeResult(), exp.loopVarMap(VALUE)),
                        exp.pathModifyFlags.DEFAULT, books()),
        op.selectByPath('shop', exp.pathSelectFlags.MATCHING_TREE, books().addMapKey('title'))
      ]);
      assert.deepStrictEqual(r.bins.shop, { book: [{ title: 'abc' }, { title: 'def' }] });
      assert.equal((await client.get(k)).gen, 2, 'the apply is a write');
    });

    it('selects by path inside filter expressions and batch reads', async () => {
      const cheap = (limit) => exp.gt(exp.lists.size(exp.selectByPath(exp.binMap('shop'), exp.type.LIST,
        exp.pathSelectFlags.VALUE, new Context().addMapKey('book').addAllChildrenWithFilter(
          exp.lt(price, exp.float(limit))))), exp.int(0));
      const k = key(set, 'filter', ns);
      await client.put(k, { shop });
      assert.deepStrictEqual((await client.get(k, { filterExpression: cheap(2.0) })).bins.shop, shop);
      await rejectsWith(client.get(k, { filterExpression: cheap(1.0) }), status.FILTERED_OUT);
      const rows = await client.batchRead([{
        key: k,
        ops: [op.selectByPath('shop', exp.pathSelectFlags.MAP_KEY, new Context().addMapKey('book').addListIndex(0))]
      }]);
      assert.equal(rows[0].status, status.OK);
      assert.deepStrictEqual(rows[0].record.bins.shop, []);  // list elements have no keys
    });

    it('answers the Aerospike result codes', async () => {
      const k = key(set, 'errors', ns);
      await client.put(k, { n: 7, l: [1, 'x'] });
      const all = new Context().addAllChildren();
      await rejectsWith(client.operate(k, [op.selectByPath('n', exp.pathSelectFlags.VALUE, all)]),
                        status.ERR_BIN_INCOMPATIBLE_TYPE);
      const twice = exp.mul(exp.loopVarInt(VALUE), exp.int(2));
      await rejectsWith(client.operate(k, [op.modifyByPath('l', twice, exp.pathModifyFlags.DEFAULT, all)]),
                        status.ERR_OP_NOT_APPLICABLE);
      assert.deepStrictEqual((await client.get(k)).bins.l, [1, 'x'], 'a failed apply changes nothing');
      await client.operate(k, [op.modifyByPath('l', twice, exp.pathModifyFlags.NO_FAIL, all)]);
      assert.deepStrictEqual((await client.get(k)).bins.l, [2, 'x']);
    });
  });
}
