// kubectl scale of a TernCluster with data in it: 3 → 4 → 3 → 2 nodes, zero records lost.
// The 4 → 3 step has tern-operator killed (SIGKILL) while it is taking a node out, and a new
// operator process must finish the job. Pods on 127.0.1.20-29, operator on 127.0.1.3.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { check, Env, load, log, sleep } from './env.mjs';

const env = new Env('scale', { podBase: '127.0.1.20', operatorAddress: '127.0.1.3' });
let client;
let data;

before(async () => {
  await env.start();
  await env.createCluster('sc', { size: 3 });
  await env.waitReady('sc', 3);
  client = await env.client('sc');
  data = await load(env, client, 0, 3000);
});

after(async () => {
  client?.close();
  await env.stop();
});

async function scale(n) {
  const r = await env.kubectl(['scale', 'terncluster', 'sc', `--replicas=${n}`]);
  assert.match(r.stdout, /scaled/);
}

test('scale 3 → 4: the new node joins, migrations finish, nothing lost', async () => {
  await scale(4);
  const tc = await env.waitReady('sc', 4);
  assert.equal(tc.status.pods.length, 4);
  await env.waitStable('sc', 4);
  await check(env, client, data);
});

test('scale 4 → 3 with the operator killed mid-scale: a new operator resumes it', async () => {
  await scale(3);
  // Kill the operator once it has started on the scale-down.
  await env.waitFor(() => {
    const st = env.tc('sc').status;
    return st?.phase === 'Scaling' || env.pods('sc').some((p) => p.metadata.deletionTimestamp);
  }, 30000, 'scale-down started');
  log('killing tern-operator mid-scale');
  await env.killOperator();
  await sleep(1000);
  await env.startOperator();
  await env.waitReady('sc', 3);
  await env.waitPods('sc', ['sc-0', 'sc-1', 'sc-2']);
  await check(env, client, data);
});

test('scale 3 → 2: the highest ordinal leaves after its data moved, nothing lost', async () => {
  const more = await load(env, client, 3000, 4000);
  for (const [k, v] of more) data.set(k, v);
  await scale(2);
  await env.waitReady('sc', 2);
  await env.waitPods('sc', ['sc-0', 'sc-1']);
  await env.waitStable('sc', 2);
  await check(env, client, data);
  // Every record still has two copies (replication factor 2 on 2 nodes).
  let objects = 0;
  for (const ip of env.addresses('sc')) {
    const stats = Object.fromEntries((await env.info(ip, 'namespace%2Ftest')).split(';').map((kv) => kv.split('=')));
    objects += Number(stats.objects);
  }
  assert.equal(objects, 2 * data.size);
});
