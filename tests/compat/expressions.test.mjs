// Filter expressions and expression operations through the official client: a filter on every
// kind of command (single record, batch rows and batch-wide, scans, background scans), the
// expression write flags, and malformed expressions refused with PARAMETER_ERROR.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Aerospike, NAMESPACES, connect, eventually, key, op, rejectsWith, scanAll, status, uniqueSet }
  from './helper.mjs';

const exp = Aerospike.exp;
const FILTERED_OUT = status.FILTERED_OUT;

let client;
before(async () => {
  client = await connect();
});
after(() => client && client.close());

for (const ns of NAMESPACES) {
  describe(`expressions (${ns})`, () => {
    const set = uniqueSet('exp');

    it('filters get, put, operate, touch, remove and exists on existing records', async () => {
      const k = key(set, 'single', ns);
      await client.put(k, { i: 3, s: 'abc' });
      const no = { filterExpression: exp.eq(exp.binInt('i'), exp.int(4)) };
      const yes = { filterExpression: exp.eq(exp.binInt('i'), exp.int(3)) };
      await rejectsWith(client.get(k, no), FILTERED_OUT, 'get');
      assert.deepStrictEqual((await client.get(k, yes)).bins, { i: 3, s: 'abc' });
      await rejectsWith(client.exists(k, no), FILTERED_OUT, 'exists');
      await rejectsWith(client.put(k, { i: 5 }, null, no), FILTERED_OUT, 'put');
      await rejectsWith(client.operate(k, [op.incr('i', 1)], null, no), FILTERED_OUT, 'operate');
      await rejectsWith(client.operate(k, [op.touch(100)], null, no), FILTERED_OUT, 'touch');
      await rejectsWith(client.remove(k, no), FILTERED_OUT, 'remove');
      // Nothing changed: same generation, same bins.
      const rec = await client.get(k);
      assert.equal(rec.gen, 1);
      assert.deepStrictEqual(rec.bins, { i: 3, s: 'abc' });
      await client.operate(k, [op.incr('i', 1)], null, yes);
      assert.equal((await client.get(k)).bins.i, 4);
      // A missing record is not found, filter or not; a create is not filtered.
      const missing = key(set, 'missing', ns);
      await rejectsWith(client.get(missing, no), status.ERR_RECORD_NOT_FOUND, 'get missing');
      await client.put(missing, { i: 1 }, null, no);
      assert.equal((await client.get(missing)).bins.i, 1);
    });

    it('filters record UDF applies', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-exp-udf-'));
      const file = path.join(dir, 'exp_udf.lua');
      fs.writeFileSync(file, 'function bump(rec)\n  rec["n"] = (rec["n"] or 0) + 1\n' +
                             '  aerospike:update(rec)\n  return rec["n"]\nend\n');
      const job = await client.udfRegister(file);
      await job.wait(50);
      fs.rmSync(dir, { recursive: true, force: true });
      const k = key(set, 'udf', ns);
      await client.put(k, { n: 1 });
      const udf = { module: 'exp_udf', funcname: 'bump', args: [] };
      await rejectsWith(client.apply(k, udf, { filterExpression: exp.eq(exp.binInt('n'), exp.int(5)) }),
                        FILTERED_OUT, 'apply');
      assert.equal((await client.get(k)).bins.n, 1);
      assert.equal(await client.apply(k, udf, { filterExpression: exp.eq(exp.binInt('n'), exp.int(1)) }), 2);
      assert.equal((await client.get(k)).bins.n, 2);
    });

    it('reads record metadata in filters', async () => {
      const k = key(set, 'meta', ns);
      await client.put(k, { a: 1 }, { ttl: 1000 }, { key: Aerospike.policy.key.SEND });
      const pass = async (e) => client.get(k, { filterExpression: e });
      await pass(exp.eq(exp.setName(), exp.str(set)));
      await pass(exp.keyExist());
      await pass(exp.eq(exp.keyStr(), exp.str('meta')));
      await pass(exp.and(exp.gt(exp.ttl(), exp.int(990)), exp.le(exp.ttl(), exp.int(1000))));
      await pass(exp.lt(exp.sinceUpdate(), exp.int(60000)));
      await pass(exp.gt(exp.lastUpdate(), exp.int((Date.now() - 60000) * 1e6)));
      await pass(exp.gt(exp.recordSize(), exp.int(0)));
      await pass(exp.eq(exp.binType('a'), exp.int(1)));
      await rejectsWith(pass(exp.eq(exp.keyInt(), exp.int(1))), FILTERED_OUT, 'key of another type');
    });

    it('answers FILTERED_OUT per batch row, with batch-wide and per-row filters', async () => {
      const keys = [];
      for (let i = 0; i < 6; i++) {
        keys.push(key(set, `b${i}`, ns));
        await client.put(keys[i], { i });
      }
      const odd = exp.eq(exp.intAnd(exp.binInt('i'), exp.int(1)), exp.int(1));
      const res = await client.batchRead(keys.map((k) => ({ key: k, readAllBins: true })),
                                         { filterExpression: odd });
      assert.deepStrictEqual(res.map((r) => r.status),
                             [FILTERED_OUT, 0, FILTERED_OUT, 0, FILTERED_OUT, 0]);
      assert.deepStrictEqual(res.filter((r) => r.status === 0).map((r) => r.record.bins.i), [1, 3, 5]);
      // A row's own filter wins over the batch's.
      const rows = keys.map((k, i) => ({
        type: Aerospike.batchType.BATCH_WRITE,
        key: k,
        ops: [op.write('w', i)],
        policy: i < 3 ? new Aerospike.BatchWritePolicy({ filterExpression: exp.gt(exp.binInt('i'), exp.int(0)) })
                      : undefined
      }));
      const written = await client.batchWrite(rows, { filterExpression: odd });
      assert.deepStrictEqual(written.map((r) => r.status), [FILTERED_OUT, 0, 0, 0, FILTERED_OUT, 0]);
    });

    it('skips records a scan filter does not match, also under maxRecords', async () => {
      const scanSet = uniqueSet('expscan');
      for (let i = 0; i < 50; i++) await client.put(key(scanSet, `s${i}`, ns), { i, tag: i % 5 === 0 ? 'x' : 'y' });
      const filterExpression = exp.eq(exp.binStr('tag'), exp.str('x'));
      const recs = await scanAll(client, ns, scanSet, {}, { filterExpression });
      assert.deepStrictEqual(recs.map((r) => r.bins.i).sort((a, b) => a - b), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
      const limited = await scanAll(client, ns, scanSet, {}, { filterExpression, maxRecords: 4 });
      assert.ok(limited.length > 0 && limited.length <= 4);
      assert.ok(limited.every((r) => r.bins.tag === 'x'));
      // A background scan writes only the records the filter matches.
      const job = await client.scan(ns, scanSet).operate([op.write('seen', 1)], { filterExpression });
      await job.waitUntilDone(50);
      await eventually(async () => {
        const all = await scanAll(client, ns, scanSet);
        return all.filter((r) => r.bins.seen === 1).length === 10;
      }, 10000, 'background scan');
      const all = await scanAll(client, ns, scanSet);
      assert.ok(all.every((r) => (r.bins.seen === 1) === (r.bins.tag === 'x')));
    });

    it('applies expression writes with their flags', async () => {
      const k = key(set, 'flags', ns);
      await client.put(k, { a: 1 });
      const F = exp.expWriteFlags;
      const write = (bin, e, flags) => client.operate(k, [exp.operations.write(bin, e, flags)]);
      await rejectsWith(write('a', exp.int(2), F.CREATE_ONLY), status.ERR_BIN_EXISTS, 'create-only');
      await write('a', exp.int(2), F.CREATE_ONLY | F.POLICY_NO_FAIL);
      await rejectsWith(write('b', exp.int(2), F.UPDATE_ONLY), status.ERR_BIN_NOT_FOUND, 'update-only');
      await write('b', exp.add(exp.binInt('a'), exp.int(10)), F.CREATE_ONLY);
      await rejectsWith(write('a', exp.nil(), F.DEFAULT), status.ERR_OP_NOT_APPLICABLE, 'nil without allow-delete');
      await write('a', exp.nil(), F.ALLOW_DELETE);
      await rejectsWith(write('c', exp.binInt('none'), F.DEFAULT), status.ERR_OP_NOT_APPLICABLE, 'unknown');
      await write('c', exp.binInt('none'), F.EVAL_NO_FAIL);
      assert.deepStrictEqual((await client.get(k)).bins, { b: 11 });
      // Reads see the record as the earlier operations left it.
      const rec = await client.operate(k, [
        op.incr('b', 1),
        exp.operations.read('r', exp.mul(exp.binInt('b'), exp.int(2)), exp.expReadFlags.DEFAULT)
      ]);
      assert.equal(rec.bins.r, 24);
    });

    it('refuses malformed and ill-typed expressions with PARAMETER_ERROR', async () => {
      const k = key(set, 'bad', ns);
      await client.put(k, { i: 1 });
      // Comparing an integer bin with a string, and an undefined variable.
      await rejectsWith(client.get(k, { filterExpression: exp.eq(exp.binInt('i'), exp.str('1')) }),
                        status.ERR_REQUEST_INVALID, 'int == str');
      await rejectsWith(client.get(k, { filterExpression: exp.eq(exp.var('nope'), exp.int(1)) }),
                        status.ERR_REQUEST_INVALID, 'undefined variable');
      // Raw bytes that are no expression (a base64 filter goes to the server as is).
      await rejectsWith(client.get(k, { filterExpression: Buffer.from([0x93, 0xcc, 0xc8]).toString('base64') }),
                        status.ERR_REQUEST_INVALID, 'unknown op');
      // The server is still fine.
      assert.equal((await client.get(k)).bins.i, 1);
    });
  });
}
