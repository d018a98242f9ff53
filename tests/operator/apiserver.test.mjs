// The test API server double's semantics over HTTP, as the operator's client sees them:
// conflicts, generation, subresources, patches, watch with bookmarks and 410, finalizers,
// garbage collection, CRD validation and defaulting, auth and protobuf refusal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer } from './apiserver.mjs';
import { loadYamlDocs } from './controllers.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const workDir = path.join(process.env.TERN_OPERATOR_WORK_DIR, 'apiserver-test');
let server, token, base;

async function call(method, p, body, { type = 'application/json', headers = {} } = {}) {
  const res = await fetch(base + p, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': type, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, body: json, text };
}

// Reads watch events until `until(events)` or the timeout.
async function watchEvents(p, until, ms = 5000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const events = [];
  try {
    const res = await fetch(base + p, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
    assert.equal(res.status, 200);
    let buf = '';
    for await (const chunk of res.body) {
      buf += Buffer.from(chunk).toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (until(events)) break;
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

const TC = '/apis/tern.dev/v1alpha1/namespaces/default/ternclusters';

before(async () => {
  fs.rmSync(workDir, { recursive: true, force: true });
  ({ server, token } = await startApiServer({ workDir, bookmarkIntervalMs: 200 }));
  base = server.url;
  for (const f of ['terncluster.yaml', 'ternudf.yaml']) {
    for (const doc of await loadYamlDocs(path.join(REPO, 'operator/crds', f))) {
      const r = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', doc);
      assert.equal(r.status, 201, r.text);
    }
  }
});

after(async () => {
  await server?.stop();
});

test('auth, discovery and media types', async () => {
  assert.equal((await fetch(`${base}/api`)).status, 401);
  assert.equal((await call('GET', '/api')).body.versions[0], 'v1');
  const groups = (await call('GET', '/apis')).body.groups.map((g) => g.name);
  for (const g of ['apps', 'coordination.k8s.io', 'events.k8s.io', 'policy', 'tern.dev']) assert.ok(groups.includes(g), g);
  const res = (await call('GET', '/apis/tern.dev/v1alpha1')).body.resources.map((r) => r.name);
  assert.deepEqual(res.sort(), ['ternclusters', 'ternclusters/scale', 'ternclusters/status', 'ternudfs', 'ternudfs/status']);
  const pb = await call('POST', '/api/v1/namespaces/default/configmaps', {}, { type: 'application/vnd.kubernetes.protobuf' });
  assert.equal(pb.status, 415);
  const oa = (await call('GET', '/openapi/v3')).body.paths;
  const doc = (await call('GET', oa['apis/tern.dev/v1alpha1'].serverRelativeURL)).body;
  const op = doc.paths['/apis/tern.dev/v1alpha1/namespaces/{namespace}/ternclusters/{name}'].patch;
  assert.equal(op['x-kubernetes-group-version-kind'].kind, 'TernCluster');
  assert.ok(op.parameters.some((p) => p.name === 'fieldValidation'));
});

test('CRD defaults, validation (422), conflicts (409), generation and subresources', async () => {
  const created = await call('POST', TC, { apiVersion: 'tern.dev/v1alpha1', kind: 'TernCluster', metadata: { name: 'a' }, spec: {} });
  assert.equal(created.status, 201, created.text);
  const tc = created.body;
  assert.equal(tc.spec.size, 3);
  assert.equal(tc.spec.image, 'tern/ternd:0.1.0');
  assert.deepEqual(tc.spec.namespaces, [{ name: 'test', storage: { type: 'memory', size: '1Gi' }, replicationFactor: 2,
                                          defaultTTL: 0, consistency: 'ap' }]);
  assert.equal(tc.metadata.generation, 1);
  assert.equal((await call('POST', TC, { metadata: { name: 'a' } })).status, 409);
  const bad = await call('POST', TC, { metadata: { name: 'b' }, spec: { size: 0, namespaces: [{ name: 'x', replicationFactor: 9 }] } });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1/);
  assert.match(bad.body.message, /spec.namespaces\[0\].replicationFactor/);
  assert.equal((await call('POST', `${TC}?fieldValidation=Strict`, { metadata: { name: 'c' }, spec: { nope: 1 } })).status, 400);

  // Status on the main resource is ignored; a spec change bumps generation.
  const put = await call('PUT', `${TC}/a`, { ...tc, spec: { ...tc.spec, size: 4 }, status: { phase: 'Running' } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.metadata.generation, 2);
  assert.equal(put.body.status, undefined);
  const stale = await call('PUT', `${TC}/a`, { ...tc, spec: { ...tc.spec, size: 5 } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
  const noRv = await call('PUT', `${TC}/a`, { ...put.body, metadata: { ...put.body.metadata, resourceVersion: undefined } });
  assert.equal(noRv.status, 422);
  // A status write does not bump generation; a no-op write does not bump resourceVersion.
  const st = await call('PATCH', `${TC}/a/status`, { status: { phase: 'Running', readyPods: 4, selector: 'app=x' } },
                        { type: 'application/merge-patch+json' });
  assert.equal(st.body.metadata.generation, 2);
  assert.equal(st.body.status.phase, 'Running');
  const again = await call('PATCH', `${TC}/a/status`, { status: { phase: 'Running' } }, { type: 'application/merge-patch+json' });
  assert.equal(again.body.metadata.resourceVersion, st.body.metadata.resourceVersion);
  const badStatus = await call('PATCH', `${TC}/a/status`, { status: { phase: 'Dancing' } }, { type: 'application/merge-patch+json' });
  assert.equal(badStatus.status, 422);
  // Scale.
  const scale = (await call('GET', `${TC}/a/scale`)).body;
  assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.replicas, scale.status.selector], ['Scale', 4, 4, 'app=x']);
  const scaled = await call('PATCH', `${TC}/a/scale`, { spec: { replicas: 6 } }, { type: 'application/merge-patch+json' });
  assert.equal(scaled.body.spec.replicas, 6);
  const after = (await call('GET', `${TC}/a`)).body;
  assert.equal(after.spec.size, 6);
  assert.equal(after.metadata.generation, 3);
  assert.equal((await call('PATCH', `${TC}/a/scale`, { spec: { replicas: 0 } }, { type: 'application/merge-patch+json' })).status, 422);
  // JSON patch with a failing test op.
  const jp = await call('PATCH', `${TC}/a`, [{ op: 'test', path: '/spec/size', value: 1 }, { op: 'replace', path: '/spec/size', value: 2 }],
                        { type: 'application/json-patch+json' });
  assert.equal(jp.status, 422);
});

test('watch: events, label selectors, bookmarks, 410 after compaction', async () => {
  const cm = '/api/v1/namespaces/default/configmaps';
  const list = (await call('GET', `${cm}?labelSelector=app%3Dw`)).body;
  const rv = list.metadata.resourceVersion;
  const pending = watchEvents(`${cm}?watch=1&resourceVersion=${rv}&labelSelector=app%3Dw&allowWatchBookmarks=true`,
                              (ev) => ev.some((e) => e.type === 'DELETED') && ev.some((e) => e.type === 'BOOKMARK'));
  await new Promise((r) => setTimeout(r, 100));
  await call('POST', cm, { metadata: { name: 'w1', labels: { app: 'w' } }, data: { a: '1' } });
  await call('POST', cm, { metadata: { name: 'other' }, data: { a: '1' } });
  await call('PATCH', `${cm}/w1`, { data: { a: '2' } }, { type: 'application/strategic-merge-patch+json' });
  await call('DELETE', `${cm}/w1`, {});
  const events = await pending;
  const types = events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${e.object.metadata.name}`);
  assert.deepEqual(types, ['ADDED:w1', 'MODIFIED:w1', 'DELETED:w1']);
  assert.ok(events.every((e) => e.object.kind === (e.type === 'BOOKMARK' ? 'ConfigMap' : 'ConfigMap') && e.object.apiVersion === 'v1'));
  assert.equal(events.find((e) => e.type === 'MODIFIED').object.data.a, '2');
  // Compaction: a watch from the old resourceVersion gets ERROR 410 Expired.
  server.compact();
  const expired = await watchEvents(`${cm}?watch=1&resourceVersion=${rv}`, (ev) => ev.length > 0);
  assert.equal(expired[0].type, 'ERROR');
  assert.equal(expired[0].object.code, 410);
});

test('finalizers, deletionTimestamp, ownerReference garbage collection', async () => {
  const udfs = '/apis/tern.dev/v1alpha1/namespaces/default/ternudfs';
  const u = await call('POST', udfs, { metadata: { name: 'u', finalizers: ['tern.dev/udf'] }, spec: { cluster: 'a', module: 'm.lua', source: 'x' } });
  assert.equal(u.status, 201, u.text);
  const del = await call('DELETE', `${udfs}/u`, { propagationPolicy: 'Background' });
  assert.equal(del.status, 202);
  const held = (await call('GET', `${udfs}/u`)).body;
  assert.ok(held.metadata.deletionTimestamp);
  const addFin = await call('PATCH', `${udfs}/u`, { metadata: { finalizers: ['tern.dev/udf', 'x/y'] } }, { type: 'application/merge-patch+json' });
  assert.equal(addFin.status, 422);
  await call('PATCH', `${udfs}/u`, [{ op: 'test', path: '/metadata/finalizers', value: ['tern.dev/udf'] },
                                    { op: 'replace', path: '/metadata/finalizers', value: [] }], { type: 'application/json-patch+json' });
  assert.equal((await call('GET', `${udfs}/u`)).status, 404);

  // Background: dependents go after the owner. Foreground: before it.
  const owner = (await call('GET', `${TC}/a`)).body;
  const ref = { apiVersion: 'tern.dev/v1alpha1', kind: 'TernCluster', name: 'a', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
  const cm = '/api/v1/namespaces/default/configmaps';
  await call('POST', cm, { metadata: { name: 'dep', ownerReferences: [ref] } });
  assert.equal((await call('DELETE', `${TC}/a`, { propagationPolicy: 'Foreground' })).status, 202);
  for (let i = 0; i < 50 && (await call('GET', `${TC}/a`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await call('GET', `${cm}/dep`)).status, 404);
  assert.equal((await call('GET', `${TC}/a`)).status, 404);
});

test('StatefulSet updates: semantic comparison, immutable fields refused, no-op keeps resourceVersion', async () => {
  const sts = '/apis/apps/v1/namespaces/default/statefulsets';
  const body = { metadata: { name: 's' }, spec: { replicas: 1, serviceName: 's', selector: { matchLabels: { app: 's' } },
    template: { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } } };
  const created = (await call('POST', sts, body)).body;
  assert.equal(created.spec.podManagementPolicy, 'OrderedReady');  // server-side defaults
  // The same object with its keys in another order (as nlohmann::json writes them): no change.
  const reorder = (v) => (Array.isArray(v) ? v.map(reorder) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().reverse().map((k) => [k, reorder(v[k])])) : v);
  const same = await call('PUT', `${sts}/s`, reorder(created));
  assert.equal(same.status, 200, same.text);
  assert.equal(same.body.metadata.resourceVersion, created.metadata.resourceVersion);
  assert.equal(same.body.metadata.generation, 1);
  const frozen = await call('PUT', `${sts}/s`, { ...created, spec: { ...created.spec, serviceName: 'other' } });
  assert.equal(frozen.status, 422);
  assert.match(frozen.body.message, /updates to statefulset spec for fields other than/);
  const scaled = await call('PATCH', `${sts}/s`, { spec: { replicas: 2 } }, { type: 'application/strategic-merge-patch+json' });
  assert.equal(scaled.body.metadata.generation, 2);
});

test('Events through core/v1 and events.k8s.io/v1 are the same objects; Leases', async () => {
  const ev = '/apis/events.k8s.io/v1/namespaces/default/events';
  const bad = await call('POST', ev, { metadata: { name: 'e0' }, reason: 'X', note: 'n' });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /eventTime: Required value/);
  const ok = await call('POST', ev, { metadata: { name: 'e1' }, eventTime: '2026-01-01T00:00:00.000000Z', reason: 'Scaled',
                                      note: 'to 4', type: 'Normal', action: 'Scale', reportingController: 'tern.dev/operator',
                                      reportingInstance: 'op-1', regarding: { kind: 'TernCluster', name: 'x', namespace: 'default' } });
  assert.equal(ok.status, 201, ok.text);
  const core = (await call('GET', '/api/v1/namespaces/default/events/e1')).body;
  assert.deepEqual([core.kind, core.apiVersion, core.message, core.involvedObject.name, core.reportingComponent],
                   ['Event', 'v1', 'to 4', 'x', 'tern.dev/operator']);
  const listed = (await call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dx')).body.items;
  assert.deepEqual(listed.map((e) => e.metadata.name), ['e1']);
  const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
  const l = await call('POST', leases, { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } });
  assert.equal(l.status, 201);
  const taken = await call('PUT', `${leases}/leader`, { ...l.body, spec: { ...l.body.spec, holderIdentity: 'b' } });
  assert.equal(taken.status, 200);
  const lost = await call('PUT', `${leases}/leader`, { ...l.body, spec: { ...l.body.spec, holderIdentity: 'c' } });
  assert.equal(lost.status, 409, 'a stale Lease write loses');
});
