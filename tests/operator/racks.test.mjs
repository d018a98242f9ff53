// Racks: a TernCluster with spec.racks runs one StatefulSet per rack (<name>-<rackId>), each
// pod's ternd in its rack (--rack-id) and, with a zone, bound to it by node affinity. With
// replication factor 2 the two copies of every partition sit in different racks. Replacing a
// rack brings the new rack's pods in first, then drains the old rack's pods like a scale-down
// and deletes its StatefulSet, with no record lost; kubectl scale spreads the new size.
// Pods on 127.0.3.10-39 (one block of ten per StatefulSet), operator on 127.0.3.2.
//
// The same cluster then runs a TernUDF whose source is a ConfigMap key: editing the
// ConfigMap re-registers the module at once (the operator watches ConfigMaps; its resync
// here is a minute, longer than the test waits).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { check, Env, load, log, NS, SET } from './env.mjs';

const env = new Env('racks', { podBase: '127.0.3.10', operatorAddress: '127.0.3.2', resyncSeconds: 60 });
let client;
let data;

before(async () => {
  await env.start();
});

after(async () => {
  client?.close();
  await env.stop();
});

const statefulsets = () => env.api.list(env.D('apps/v1', 'statefulsets'), 'default')
  .map((s) => `${s.metadata.name}:${s.spec.replicas}`).sort();

// Each pod's rack as ternd reports it (rack-ids answers <ns>:<rack> per namespace), checked
// against the rack label the operator gave the pod; returns pod IP -> rack.
async function racksOf(name) {
  const out = new Map();
  for (const p of env.pods(name)) {
    const label = p.metadata.labels['tern.dev/rack-id'];
    assert.equal(await env.info(p.status.podIP, 'rack-ids'), `test:${label}`, p.metadata.name);
    out.set(p.status.podIP, Number(label));
  }
  return out;
}

// Every partition of `test` has exactly two holders (replicas-all: column 0 = the master,
// column 1 = the replica, one bitmap each) and they are in different racks.
async function assertCopiesSpanRacks(name) {
  const racks = await racksOf(name);
  const holders = Array.from({ length: 4096 }, () => []);
  for (const [ip, rack] of racks) {
    const answer = await env.info(ip, 'replicas-all');
    const [, columns] = answer.split(';').map((e) => e.split(':')).find(([ns]) => ns === 'test');
    const [count, ...bitmaps] = columns.split(',');
    assert.equal(Number(count), 2, answer);
    for (const b64 of bitmaps) {
      const bits = Buffer.from(b64, 'base64');
      for (let p = 0; p < 4096; p++) if (bits[p >> 3] & (0x80 >> (p & 7))) holders[p].push(rack);
    }
  }
  const bad = holders.map((h, p) => [p, h]).filter(([, h]) => h.length !== 2 || h[0] === h[1]);
  assert.deepEqual(bad.slice(0, 5), [], `${bad.length} partitions not on two racks`);
}

test('4 nodes over 2 racks: one StatefulSet per rack, rack ids, copies in both racks', async () => {
  await env.createCluster('rk', { size: 4, racks: [{ id: 1, zone: 'zone-a' }, { id: 2, zone: 'zone-b' }] });
  const tc = await env.waitReady('rk', 4);
  assert.deepEqual(statefulsets(), ['rk-1:2', 'rk-2:2']);
  assert.deepEqual(env.pods('rk').map((p) => p.metadata.name), ['rk-1-0', 'rk-1-1', 'rk-2-0', 'rk-2-1']);
  for (const [id, zone] of [[1, 'zone-a'], [2, 'zone-b']]) {
    const sts = env.api.get(env.D('apps/v1', 'statefulsets'), 'default', `rk-${id}`);
    const term = sts.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      .nodeSelectorTerms[0];
    assert.deepEqual(term.matchExpressions, [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }]);
  }
  assert.deepEqual(tc.status.pods.map((p) => `${p.name}:${p.rackId}`), ['rk-1-0:1', 'rk-1-1:1', 'rk-2-0:2', 'rk-2-1:2']);
  // The PDB and the client Service span both racks.
  const pdb = env.api.get(env.D('policy/v1', 'poddisruptionbudgets'), 'default', 'rk');
  assert.deepEqual(pdb.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'tern', 'app.kubernetes.io/instance': 'rk' });
  await env.waitStable('rk', 4);
  client = await env.client('rk');
  data = await load(env, client, 0, 2000);
  await assertCopiesSpanRacks('rk');
  await check(env, client, data);
});

test('replacing rack 1 with rack 3: the new rack joins, rack 1 drains and goes, nothing lost', async () => {
  const racks = [{ id: 2, zone: 'zone-b' }, { id: 3, zone: 'zone-c' }];
  await env.kubectl(['patch', 'terncluster', 'rk', '--type=merge', '-p', JSON.stringify({ spec: { racks } })]);
  // Rack 3 comes up while rack 1 still serves: six pods at some point.
  await env.waitFor(() => env.pods('rk').length === 6, 30000, 'rack 3 pods next to rack 1');
  await env.waitReady('rk', 4, 120000);
  await env.waitPods('rk', ['rk-2-0', 'rk-2-1', 'rk-3-0', 'rk-3-1']);
  await env.waitFor(() => JSON.stringify(statefulsets()) === JSON.stringify(['rk-2:2', 'rk-3:2']) ||
    { notYet: statefulsets().join(' ') }, 20000, 'rack 1 StatefulSet deleted');
  await env.waitStable('rk', 4);
  await check(env, client, data);
  await assertCopiesSpanRacks('rk');
  log('rack 1 replaced by rack 3');
});

test('kubectl scale spreads the new size over the racks: 5 = 3 + 2', async () => {
  const r = await env.kubectl(['scale', 'terncluster', 'rk', '--replicas=5']);
  assert.match(r.stdout, /scaled/);
  await env.waitReady('rk', 5);
  assert.deepEqual(statefulsets(), ['rk-2:3', 'rk-3:2']);
  await env.waitPods('rk', ['rk-2-0', 'rk-2-1', 'rk-2-2', 'rk-3-0', 'rk-3-1']);
  await env.waitStable('rk', 5);
  await check(env, client, data);
  await assertCopiesSpanRacks('rk');
});

test('a TernUDF from a ConfigMap is re-registered as soon as the ConfigMap changes', async () => {
  const v1 = 'function ver(rec)\n  return 1\nend\n';
  const v2 = 'function ver(rec)\n  return 2\nend\n';
  const sha = (t) => crypto.createHash('sha256').update(t).digest('hex');
  const cm = (source) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'udfs' },
                                          data: { 'ver.lua': source } });
  await env.kubectl(['apply', '-f', '-'], { input: cm(v1) });
  const udf = { apiVersion: 'tern.dev/v1alpha1', kind: 'TernUDF', metadata: { name: 'ver' },
                spec: { cluster: 'rk', module: 'ver.lua', configMapRef: { name: 'udfs', key: 'ver.lua' } } };
  await env.kubectl(['apply', '-f', '-'], { input: JSON.stringify(udf) });
  const registered = (hash) => () => {
    const u = env.api.get(env.UDF, 'default', 'ver');
    return (u?.status?.phase === 'Registered' && u.status.hash === hash) ||
      { notYet: `${u?.status?.phase} ${u?.status?.hash} ${u?.status?.message ?? ''}` };
  };
  await env.waitFor(registered(sha(v1)), 30000, 'ver.lua v1 registered');
  const key = new env.Aerospike.Key(NS, SET, 'k1');
  assert.equal(await client.apply(key, { module: 'ver', funcname: 'ver', args: [] }), 1);

  const edited = Date.now();
  await env.kubectl(['apply', '-f', '-'], { input: cm(v2) });
  await env.waitFor(registered(sha(v2)), 15000, 'ver.lua v2 registered after the ConfigMap edit');
  log(`re-registered ${Date.now() - edited} ms after the ConfigMap edit`);
  for (const ip of env.addresses('rk')) {
    const r = await env.admin(ip, '/v1/udf/ver.lua');
    assert.equal(r.body.source, v2, `module on ${ip}`);
  }
  assert.equal(await client.apply(key, { module: 'ver', funcname: 'ver', args: [] }), 2);
});
