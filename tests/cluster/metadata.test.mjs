// System metadata across a cluster of three (nodes 5–7 on 127.0.0.75–77): a UDF module, a
// secondary index or a truncation accepted by one node reaches every node, and a node that was
// down while they changed catches up when it returns.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  Aerospike, NS, address, connect, forEach, info, key, killLeftover, sleep, startNode,
  waitStable
} from './cluster.mjs';

const nodes = {};
const all = [5, 6, 7];
let client;

const MODULE = `
function bump(rec, n)
  rec['v'] = rec['v'] + n
  aerospike:update(rec)
  return rec['v']
end
`;

before(async () => {
  for (const i of all) killLeftover(i);
  for (const i of all) nodes[i] = await startNode(i, all);
  await waitStable(all, 3);
  client = await connect(all);
});

after(async () => {
  if (client) client.close();
  for (const n of Object.values(nodes)) await n.stop();
});

async function admin(i, method, path, body) {
  const res = await fetch(`http://${address(i)}:8080${path}`,
                          { method, body, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} on node ${i}: ${res.status} ${text}`);
  return text;
}

const infoCmd = (i, cmd) => info(i, encodeURIComponent(cmd));

async function modules(i) {
  return (await infoCmd(i, 'udf-list')).split(';').filter(Boolean)
    .map((e) => Object.fromEntries(e.split(',').map((kv) => kv.split('='))));
}

// Partition of a string key of set `set`, as every client computes it.
function partitionOf(set, k) {
  const d = crypto.createHash('ripemd160')
    .update(Buffer.concat([Buffer.from(set), Buffer.from([3]), Buffer.from(k)])).digest();
  return (d[0] | (d[1] << 8)) & 4095;
}

async function masterBits(i) {
  const entry = (await info(i, 'replicas')).split(';').find((e) => e.startsWith(`${NS}:`));
  return Buffer.from(entry.slice(NS.length + 1).split(',')[2], 'base64');
}

// A key of set `set` whose partition node `i` masters.
async function keyMasteredBy(i, set, prefix) {
  const bits = await masterBits(i);
  for (let n = 0; ; n++) {
    const p = partitionOf(set, `${prefix}${n}`);
    if (bits[p >> 3] & (0x80 >> (p & 7))) return `${prefix}${n}`;
  }
}

async function until(what, fn, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last === true) return;
    await sleep(100);
  }
  assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

test('a module registered on one node is applied on keys mastered by the others', async () => {
  const put = JSON.parse(await admin(5, 'PUT', '/v1/udf/tern_smd.lua', MODULE));
  // The change reaches every node before the call that made it returns.
  for (const i of all) {
    const m = (await modules(i)).find((e) => e.filename === 'tern_smd.lua');
    assert.ok(m, `node ${i} lists the module`);
    assert.equal(m.hash, put.hash, `node ${i} has the same source`);
  }
  for (const i of [6, 7]) {
    const k = await keyMasteredBy(i, 'cl', `udf${i}-`);
    await client.put(key(k), { v: 1 });
    const r = await client.apply(key(k), { module: 'tern_smd', funcname: 'bump', args: [41] });
    assert.equal(r, 42, `bump on a key mastered by node ${i}`);
    assert.equal((await client.get(key(k))).bins.v, 42);
  }
});

test('an index created on one node exists on every node and serves queries', async () => {
  const errors = await forEach(0, 300, 32, (n) => client.put(key(`ix${n}`), { w: n }));
  assert.deepEqual(errors, []);
  assert.match(await infoCmd(6, 'sindex-create:ns=test;set=cl;indexname=smd_w;indexdata=w,NUMERIC'),
               /^ok$/i);
  for (const i of all) {
    assert.match(await infoCmd(i, 'sindex-list:ns=test'), /indexname=smd_w/, `node ${i}`);
  }
  // Creating it again elsewhere is the documented "index exists" answer, not a second index.
  assert.match(await infoCmd(7, 'sindex-create:ns=test;set=cl;indexname=smd_w;indexdata=w,STRING'),
               /^ERROR:200/);
  await until('query over the index on every node', async () => {
    const q = client.query(NS, 'cl');
    q.where(Aerospike.filter.range('w', 100, 199));
    try {
      return (await q.results()).length === 100 || (await q.results()).length;
    } catch (e) {
      return e.message;  // index still building somewhere
    }
  });
  assert.match(await infoCmd(7, 'sindex-delete:ns=test;indexname=smd_w'), /^ok$/i);
  for (const i of all) {
    assert.doesNotMatch(await infoCmd(i, 'sindex-list:ns=test'), /smd_w/, `node ${i}`);
  }
});

test('a truncate sent to one node empties the set on every node', async () => {
  const errors = await forEach(0, 200, 32, (n) => client.put(new Aerospike.Key(NS, 'tr', n),
                                                             { n }));
  assert.deepEqual(errors, []);
  assert.equal(await infoCmd(7, 'truncate:namespace=test;set=tr'), 'ok');
  for (const i of all) {
    const rec = await client.get(new Aerospike.Key(NS, 'tr', i)).catch((e) => e.code);
    assert.equal(rec, Aerospike.status.AEROSPIKE_ERR_RECORD_NOT_FOUND);
  }
  // Every node, replicas included, holds none of them any more.
  await until('set tr empty on every node', async () => {
    const counts = await Promise.all(all.map(async (i) => {
      const m = (await infoCmd(i, `sets/${NS}/tr`)).match(/objects=(\d+)/);
      return m ? Number(m[1]) : -1;
    }));
    return counts.every((c) => c === 0) || counts;
  });
  // Writes after the truncation stay.
  await client.put(new Aerospike.Key(NS, 'tr', 'after'), { n: 1 });
  assert.equal((await client.get(new Aerospike.Key(NS, 'tr', 'after'))).bins.n, 1);
});

test('a node that was down catches up on what changed while it was away', async () => {
  await nodes[7].stop();
  await waitStable([5, 6], 2);
  await admin(5, 'DELETE', '/v1/udf/tern_smd.lua');
  await admin(6, 'PUT', '/v1/udf/tern_smd2.lua', MODULE.replace('bump', 'bump2'));
  assert.match(
    await infoCmd(5, 'sindex-create:ns=test;set=cl;indexname=smd_late;indexdata=w,NUMERIC'), /^ok$/i);
  nodes[7] = await startNode(7, all, true);
  await waitStable(all, 3);
  await until('node 7 has the new modules and not the removed one', async () => {
    const names = (await modules(7)).map((m) => m.filename).sort();
    return JSON.stringify(names) === '["tern_smd2.lua"]' || names;
  });
  await until('node 7 has the index made while it was down',
              async () => /indexname=smd_late/.test(await infoCmd(7, 'sindex-list:ns=test')));
  const k = await keyMasteredBy(7, 'cl', 'late-');
  await client.put(key(k), { v: 1 });
  assert.equal(await client.apply(key(k), { module: 'tern_smd2', funcname: 'bump2', args: [1] }), 2);
  await assert.rejects(client.apply(key(k), { module: 'tern_smd', funcname: 'bump', args: [1] }));
});

test('migration settings change live through set-config:context=service', async () => {
  assert.equal(await infoCmd(5, 'get-config:context=service'),
               'migrate-fill-delay=0;migrate-max-records-per-sec=0');
  assert.equal(
    await infoCmd(5, 'set-config:context=service;migrate-fill-delay=30;migrate-max-records-per-sec=5000'),
    'ok');
  // One bad value refuses the whole command and changes nothing.
  assert.match(
    await infoCmd(5, 'set-config:context=service;migrate-fill-delay=5;migrate-max-records-per-sec=x'),
    /^ERROR:4/);
  assert.match(await infoCmd(5, 'set-config:context=service;migrate-threads=2'), /^ERROR:4/);
  assert.equal(await infoCmd(5, 'get-config:context=service'),
               'migrate-fill-delay=30;migrate-max-records-per-sec=5000');
  assert.equal(await infoCmd(6, 'get-config:context=service'),
               'migrate-fill-delay=0;migrate-max-records-per-sec=0', 'per node, like Aerospike');
});
