// Three nodes, replication factor 2, then faults: every acknowledged write survives a
// kill -9, a restart, a fourth node joining under load and a quiesced node leaving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  checkAll, connect, forEach, info, key, killLeftover, log, mastered, scanCount, sleep,
  startNode, startWriter, stats,
  waitStable
} from './cluster.mjs';

const KEYS = Number(process.env.TERN_CLUSTER_KEYS || 100000);
const nodes = {};
const all = [1, 2, 3, 4];
let client;
const expected = new Map();  // key → value every node must agree on

before(async () => {
  for (const i of all) killLeftover(i);
  for (const i of [1, 2, 3]) nodes[i] = await startNode(i, all);
  await waitStable([1, 2, 3], 3);
  client = await connect([1, 2, 3]);
});

after(async () => {
  if (client) client.close();
  for (const n of Object.values(nodes)) await n.stop();
});

test('3 nodes, RF 2: every key readable, masters spread, the client routes right', async () => {
  const errors = await forEach(0, KEYS, 64, async (n) => {
    await client.put(key(`k${n}`), { v: n });
    expected.set(`k${n}`, n);
  });
  assert.deepEqual(errors.slice(0, 3), [], `${errors.length} puts failed`);
  await checkAll(client, expected);

  let objects = 0, proxies = 0;
  for (const i of [1, 2, 3]) {
    const share = (await mastered(i)) / 4096;
    assert.ok(share > 0.25 && share < 0.42, `node ${i} masters ${(share * 100).toFixed(1)}%`);
    const s = await stats(i);
    objects += Number(s.objects);
    proxies += Number(s.proxy_total);
  }
  // Two copies of each record in the cluster (memory namespace `test` only holds them).
  assert.equal(objects, 2 * KEYS);
  assert.ok(proxies <= KEYS * 2 * 0.01, `${proxies} proxied requests for ${2 * KEYS} commands`);

  assert.equal(await scanCount(client), KEYS);
});

test('kill -9 under a write load loses no acknowledged write; the node rejoins', async () => {
  const writer = startWriter(client, 'a');
  await sleep(1000);
  log('kill -9 node 3');
  await nodes[3].kill();
  await waitStable([1, 2], 2);
  await sleep(1500);  // keep writing on the new view
  await writer.stop();
  log(`writer: ${writer.acked.size} acknowledged, ${writer.errors.length} failed`);
  assert.ok(writer.acked.size > 0);
  for (const [k, v] of writer.acked) expected.set(k, v);
  await checkAll(client, expected);
  // Still writable.
  const errors = await forEach(0, 1000, 32, (n) => client.put(key(`a${n}`), { v: n }));
  assert.deepEqual(errors.slice(0, 5), []);

  log('restart node 3');
  nodes[3] = await startNode(3, all);
  await waitStable([1, 2, 3], 3);
  await checkAll(client, expected);
  // Writes that failed may still have been stored: count the records there are.
  const records = await scanCount(client);
  assert.ok(records >= expected.size);
  let objects = 0;
  for (const i of [1, 2, 3]) objects += Number((await stats(i)).objects);
  assert.equal(objects, 2 * records, 'every record on exactly two nodes after migrations');
});

test('a fourth node joins under load, a quiesced node leaves with no client error', async () => {
  const writer = startWriter(client, 'b');
  nodes[4] = await startNode(4, all);
  await waitStable([1, 2, 3, 4], 4);
  const share4 = (await mastered(4)) / 4096;
  assert.ok(share4 > 0.15, `the new node masters ${(share4 * 100).toFixed(1)}%`);

  log('quiesce node 2, recluster');
  const key4 = await waitStable([1, 2, 3, 4], 4);
  assert.equal(await info(2, 'quiesce:'), 'ok');
  // Only the principal reclusters; the others say so.
  const answers = await Promise.all([1, 2, 3, 4].map((i) => info(i, 'recluster:')));
  assert.equal(answers.filter((a) => a === 'ok').length, 1, answers.join(' '));
  let key5 = key4;
  for (let t = 0; t < 100 && key5 === key4; t++) {
    await sleep(100);
    key5 = await waitStable([1, 2, 3, 4], 4);
  }
  assert.notEqual(key5, key4, 'recluster formed a new cluster key');
  assert.equal(await mastered(2), 0, 'a quiesced node masters nothing once migrations end');
  // Copies it still had drop as their new owners confirm theirs.
  let held = -1;
  for (let t = 0; t < 100 && held !== 0; t++) {
    held = Number((await stats(2)).objects);
    if (held) await sleep(100);
  }
  assert.equal(held, 0, 'and soon holds no copy');
  const errorsBefore = writer.errors.length;
  log('stop node 2');
  await nodes[2].stop();
  delete nodes[2];
  await waitStable([1, 3, 4], 3);
  await sleep(1000);
  await writer.stop();
  const during = writer.errors.slice(errorsBefore);
  assert.deepEqual(during.slice(0, 5), [], `${during.length} client errors after the quiesce`);
  for (const [k, v] of writer.acked) expected.set(k, v);
  await checkAll(client, expected);
});
