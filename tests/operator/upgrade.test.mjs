// An image change rolls the pods one at a time: never more than one pod down, each next
// pod only once the cluster is whole and stable again, and no record lost (replication
// factor 2 in memory: a restarted node comes back empty and must be refilled before the
// next one goes). The kubelet double treats the image as opaque: a new image is a new
// ternd process. Adding a flash namespace afterwards replaces the StatefulSet (claim
// templates are immutable) and rolls the pods onto their new claims. Pods on
// 127.0.1.30-39, operator on 127.0.1.4.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { check, Env, load, log } from './env.mjs';

const env = new Env('upgrade', { podBase: '127.0.1.30', operatorAddress: '127.0.1.4' });
let client;
let data;
let flash;

before(async () => {
  await env.start();
  // A flash namespace too: its volumes (PersistentVolumeClaims) keep the data across restarts.
  await env.createCluster('up', { size: 3, namespaces: [
    { name: 'test', storage: { type: 'memory', size: '256Mi' }, replicationFactor: 2 },
    { name: 'bar', storage: { type: 'flash', size: '1Gi' }, replicationFactor: 2 }] });
  await env.waitReady('up', 3);
  client = await env.client('up');
  data = await load(env, client, 0, 3000);
  flash = await load(env, client, 0, 1000, 'f', 'bar');
});

after(async () => {
  client?.close();
  await env.stop();
});

test('an image change is rolled one pod at a time with the cluster stable between', async () => {
  const uids = new Map(env.pods('up').map((p) => [p.metadata.name, p.metadata.uid]));
  // Sample who is down every 100 ms while the roll goes on.
  let worst = 0;
  const order = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const pods = env.pods('up');
      const ready = pods.filter((p) => !p.metadata.deletionTimestamp &&
        (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True'));
      worst = Math.max(worst, 3 - ready.length);
      for (const p of pods) {
        if (uids.get(p.metadata.name) !== p.metadata.uid && !order.includes(p.metadata.name)) order.push(p.metadata.name);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await env.kubectl(['patch', 'terncluster', 'up', '--type=merge', '-p', '{"spec":{"image":"tern/ternd:0.1.1"}}']);
  await env.waitFor(() => {
    const pods = env.pods('up');
    return pods.length === 3 && pods.every((p) => p.spec.containers[0].image === 'tern/ternd:0.1.1' &&
                                                  uids.get(p.metadata.name) !== p.metadata.uid);
  }, 150000, 'every pod replaced with the new image');
  await env.waitReady('up', 3);
  sampling = false;
  await sampler;
  log(`restart order ${order.join(', ')}; at most ${worst} pod(s) down at once`);
  assert.equal(order.length, 3);
  assert.ok(worst <= 1, `${worst} pods were down at the same time`);
  const sts = env.api.get(env.D('apps/v1', 'statefulsets'), 'default', 'up');
  assert.equal(sts.spec.template.spec.containers[0].image, 'tern/ternd:0.1.1');
  await check(env, client, data);
  await check(env, client, flash, 'bar');
  const pvcs = env.api.list(env.D('v1', 'persistentvolumeclaims'), 'default').map((p) => `${p.metadata.name}:${p.status.phase}`);
  assert.deepEqual(pvcs.sort(), ['data-bar-up-0:Bound', 'data-bar-up-1:Bound', 'data-bar-up-2:Bound']);
});

test('adding a flash namespace replaces the StatefulSet and rolls every pod onto its new claim', async () => {
  const stsDesc = env.D('apps/v1', 'statefulsets');
  const oldUid = env.api.get(stsDesc, 'default', 'up').metadata.uid;
  const uids = new Map(env.pods('up').map((p) => [p.metadata.name, p.metadata.uid]));
  const namespaces = [...env.tc('up').spec.namespaces,
                      { name: 'baz', storage: { type: 'flash', size: '512Mi' }, replicationFactor: 2 }];
  await env.kubectl(['patch', 'terncluster', 'up', '--type=merge', '-p', JSON.stringify({ spec: { namespaces } })]);
  await env.waitFor(() => {
    const sts = env.api.get(stsDesc, 'default', 'up');
    return sts && sts.metadata.uid !== oldUid || { notYet: sts?.metadata.uid };
  }, 30000, 'a new StatefulSet');
  await env.waitFor(() => env.pods('up').every((p) => uids.get(p.metadata.name) !== p.metadata.uid) ||
    { notYet: env.pods('up').filter((p) => uids.get(p.metadata.name) === p.metadata.uid).map((p) => p.metadata.name) },
  150000, 'every pod rolled');
  await env.waitReady('up', 3);
  await env.waitStable('up', 3);
  const sts = env.api.get(stsDesc, 'default', 'up');
  assert.deepEqual(sts.spec.volumeClaimTemplates.map((c) => c.metadata.name), ['data-bar', 'data-baz']);
  // Each pod mounts its own new claim, and the old claims (with the bar data) stayed.
  for (const p of env.pods('up')) {
    const vol = p.spec.volumes.find((v) => v.name === 'data-baz');
    assert.equal(vol?.persistentVolumeClaim?.claimName, `data-baz-${p.metadata.name}`);
  }
  const pvcs = env.api.list(env.D('v1', 'persistentvolumeclaims'), 'default').map((p) => `${p.metadata.name}:${p.status.phase}`);
  assert.deepEqual(pvcs.sort(), ['data-bar-up-0:Bound', 'data-bar-up-1:Bound', 'data-bar-up-2:Bound',
                                 'data-baz-up-0:Bound', 'data-baz-up-1:Bound', 'data-baz-up-2:Bound']);
  await check(env, client, data);
  await check(env, client, flash, 'bar');
  const baz = await load(env, client, 0, 500, 'z', 'baz');
  await check(env, client, baz, 'baz');
});
