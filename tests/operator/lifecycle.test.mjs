// A TernCluster's life under tern-operator: created with 3 nodes and Ready, data loaded and
// read back; a live default-TTL change reaches every node with no pod restart; a TernUDF is
// registered on every node, callable, then removed; deleting the cluster removes everything
// it owns. Pods on 127.0.1.10-19, operator on 127.0.1.2.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { check, Env, load, log, NS, SET, sleep } from './env.mjs';

const env = new Env('lifecycle', { podBase: '127.0.1.10', operatorAddress: '127.0.1.2' });
let client;
let data;

before(async () => {
  await env.start();
});

after(async () => {
  client?.close();
  await env.stop();
});

test('a 3-node TernCluster becomes Ready and serves data', async () => {
  await env.createCluster('life', { size: 3 });
  const tc = await env.waitReady('life', 3);
  const pods = env.pods('life');
  assert.deepEqual(pods.map((p) => p.metadata.name), ['life-0', 'life-1', 'life-2']);
  assert.equal(tc.status.pods.length, 3);
  for (const p of tc.status.pods) {
    assert.ok(p.ready && p.nodeId && p.configHash && p.podIP, JSON.stringify(p));
  }
  const table = (await env.kubectl(['get', 'tc', 'life'])).stdout.split('\n')[1];
  assert.match(table, /^life\s+3\s+3\s+Running\s+0\s+\d+s$/);
  // What the operator owns.
  for (const [v, kind, name] of [['v1', 'configmaps', 'life-config'], ['v1', 'services', 'life-hs'], ['v1', 'services', 'life'],
                                 ['apps/v1', 'statefulsets', 'life'], ['policy/v1', 'poddisruptionbudgets', 'life']]) {
    const o = env.api.get(env.D(v, kind), 'default', name);
    assert.ok(o, `${kind}/${name}`);
    assert.equal(o.metadata.ownerReferences?.[0]?.uid, tc.metadata.uid, `${kind}/${name} owned by the TernCluster`);
  }
  await env.waitStable('life', 3);
  const logs = await env.kubectl(['logs', 'life-0', '--tail=20']);
  assert.ok(logs.stdout.trim().length > 0, 'kubectl logs shows the ternd output');
  client = await env.client('life');
  data = await load(env, client, 0, 3000);
  await check(env, client, data);
});

test('a live default-TTL change reaches every node without a restart', async () => {
  const before = env.pods('life').map((p) => [p.metadata.uid, p.status.containerStatuses[0].restartCount]);
  const pidsBefore = env.controllers.kubelet.pids();
  // The API server drops its history and ends every watch with 410 Expired, and answers the
  // next two status writes with 429: the operator must relist, back off and carry on.
  env.server.compact({ expireWatches: true });
  env.server.injectFault({ method: 'PATCH|PUT', path: 'ternclusters/life/status', code: 429, count: 2 });
  const tc = env.tc('life');
  const namespaces = tc.spec.namespaces.map((n) => (n.name === NS ? { ...n, defaultTTL: 3600 } : n));
  await env.kubectl(['patch', 'tc', 'life', '--type=merge', '-p', JSON.stringify({ spec: { namespaces } })]);
  await env.waitFor(async () => {
    for (const ip of env.addresses('life')) {
      const r = await env.admin(ip, `/v1/namespaces/${NS}/policy`);
      if (r.body?.default_ttl !== 3600) return false;
    }
    return true;
  }, 30000, 'default_ttl 3600 on every node');
  await env.waitReady('life', 3);
  const afterPods = env.pods('life').map((p) => [p.metadata.uid, p.status.containerStatuses[0].restartCount]);
  assert.deepEqual(afterPods, before, 'same pods, no restarts');
  assert.deepEqual(env.controllers.kubelet.pids(), pidsBefore, 'same ternd processes');
  // A record written now without a TTL gets the new default.
  const key = new env.Aerospike.Key(NS, SET, 'ttl-probe');
  await client.put(key, { v: 1 });
  const meta = await client.exists(key);
  void meta;
  const rec = await client.get(key);
  assert.ok(rec.ttl > 3500 && rec.ttl <= 3600, `ttl ${rec.ttl}`);
  await check(env, client, data);
});

test('a TernUDF is registered on every node, callable, then removed', async () => {
  const source = 'function bump(rec, bin, by)\n  rec[bin] = (rec[bin] or 0) + by\n' +
    '  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end\n  return rec[bin]\nend\n';
  const udf = { apiVersion: 'tern.dev/v1alpha1', kind: 'TernUDF', metadata: { name: 'counter' },
                spec: { cluster: 'life', module: 'counter.lua', source } };
  await env.kubectl(['apply', '-f', '-'], { input: JSON.stringify(udf) });
  const hash = crypto.createHash('sha256').update(source).digest('hex');
  const got = await env.waitFor(() => {
    const u = env.api.get(env.UDF, 'default', 'counter');
    return u?.status?.phase === 'Registered' ? u : { notYet: `phase ${u?.status?.phase} ${u?.status?.message ?? ''}` };
  }, 30000, 'TernUDF Registered');
  assert.equal(got.status.hash, hash);
  assert.ok(got.metadata.finalizers.includes('tern.dev/udf'));
  for (const ip of env.addresses('life')) {
    const r = await env.admin(ip, '/v1/udf/counter.lua');
    assert.equal(r.status, 200, `module on ${ip}`);
  }
  for (let n = 0; n < 20; n++) {
    const k = new env.Aerospike.Key(NS, SET, `k${n}`);
    assert.equal(await client.apply(k, { module: 'counter', funcname: 'bump', args: ['c', 5] }), 5);
  }
  await env.kubectl(['delete', 'ternudf', 'counter', '--timeout=30s']);
  assert.equal(env.api.get(env.UDF, 'default', 'counter'), null);
  for (const ip of env.addresses('life')) {
    const r = await env.admin(ip, '/v1/udf/counter.lua');
    assert.equal(r.status, 404, `module removed from ${ip}`);
  }
});

test('a crashed ternd is restarted by the kubelet and the cluster is Ready again', async () => {
  const pid = env.controllers.kubelet.pids()['default/life-1'];
  process.kill(pid, 'SIGKILL');
  await env.waitFor(() => {
    const p = env.pods('life').find((x) => x.metadata.name === 'life-1');
    return p.status.containerStatuses[0].restartCount === 1 && p.status.containerStatuses[0].ready;
  }, 30000, 'life-1 restarted and ready');
  assert.notEqual(env.controllers.kubelet.pids()['default/life-1'], pid);
  await env.waitReady('life', 3);
  await env.waitStable('life', 3);
  await check(env, client, data);  // replication factor 2: the other copies had everything
});

test('deleting the TernCluster removes everything it owns', async () => {
  client.close();
  client = null;
  const pids = Object.values(env.controllers.kubelet.pids());
  assert.equal(pids.length, 3);
  await env.kubectl(['delete', 'terncluster', 'life', '--timeout=60s']);
  await env.waitFor(() => env.pods('life').length === 0, 30000, 'pods gone');
  for (const [v, kind] of [['v1', 'configmaps'], ['v1', 'services'], ['apps/v1', 'statefulsets'],
                           ['policy/v1', 'poddisruptionbudgets'], ['v1', 'pods']]) {
    const left = env.api.list(env.D(v, kind), 'default', { labelSelector: 'app.kubernetes.io/instance=life' });
    assert.deepEqual(left.map((o) => o.metadata.name), [], `${kind} left`);
  }
  await sleep(200);
  for (const pid of pids) {
    let running = true;
    try {
      process.kill(pid, 0);
    } catch {
      running = false;
    }
    assert.equal(running, false, `ternd pid ${pid} stopped`);
  }
  log('cluster deleted');
});
