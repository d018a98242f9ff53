// The real kubectl (1.32) against the test API server double: if kubectl's apply, get,
// scale, wait, patch and delete work as they do on a real cluster, the double is faithful
// enough for the operator tests built on it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer } from './apiserver.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const workDir = path.join(process.env.TERN_OPERATOR_WORK_DIR, 'kubectl-test');
const KUBECTL = process.env.TERN_KUBECTL || 'kubectl';
let server, kubeconfig;

// kubectl runs asynchronously: the API server answers from this same process.
function kubectl(args, { input, ok = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60000 }, (err, stdout, stderr) => {
      const r = { code: err ? err.code ?? 1 : 0, stdout, stderr };
      if (ok && r.code !== 0) reject(new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${stderr}${stdout}`));
      else resolve(r);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

function file(name, text) {
  const p = path.join(workDir, name);
  fs.writeFileSync(p, text);
  return p;
}

before(async () => {
  if (!fs.existsSync(KUBECTL) && KUBECTL.includes('/')) throw new Error(`no kubectl at ${KUBECTL}`);
  fs.rmSync(workDir, { recursive: true, force: true });
  ({ server, kubeconfig } = await startApiServer({ workDir }));
});

after(async () => {
  await server?.stop();
});

test('kubectl applies the CRDs and waits for them to be established', async () => {
  const r = await kubectl(['apply', '-f', path.join(REPO, 'operator/crds')]);
  assert.match(r.stdout, /customresourcedefinition.apiextensions.k8s.io\/ternclusters.tern.dev created/);
  assert.match(r.stdout, /customresourcedefinition.apiextensions.k8s.io\/ternudfs.tern.dev created/);
  await kubectl(['wait', '--for=condition=Established', 'crd/ternclusters.tern.dev', 'crd/ternudfs.tern.dev', '--timeout=20s']);
  const again = await kubectl(['apply', '-f', path.join(REPO, 'operator/crds')]);
  assert.match(again.stdout, /ternclusters.tern.dev unchanged/);
  const res = (await kubectl(['api-resources', '--api-group=tern.dev', '-o', 'name'])).stdout.split('\n').filter(Boolean);
  assert.deepEqual(res.sort(), ['ternclusters.tern.dev', 'ternudfs.tern.dev']);
  const explain = await kubectl(['explain', 'terncluster.spec.size']);
  assert.match(explain.stdout, /Number of ternd nodes/);
});

test('kubectl apply, get (printer columns), scale, wait, delete a TernCluster', async () => {
  const tc = file('tc.yaml', 'apiVersion: tern.dev/v1alpha1\nkind: TernCluster\nmetadata:\n  name: demo\nspec:\n  size: 3\n');
  assert.match((await kubectl(['apply', '-f', tc])).stdout, /terncluster.tern.dev\/demo created/);
  const got = JSON.parse((await kubectl(['get', 'tc', 'demo', '-o', 'json'])).stdout);
  assert.equal(got.spec.image, 'tern/ternd:0.1.0');  // defaulted by the CRD schema
  assert.equal(got.spec.namespaces[0].replicationFactor, 2);

  // Re-apply with a change: client-side apply sends a merge patch for custom resources.
  fs.writeFileSync(tc, fs.readFileSync(tc, 'utf8').replace('size: 3', 'size: 3\n  image: tern/ternd:0.2.0'));
  assert.match((await kubectl(['apply', '-f', tc])).stdout, /demo configured/);

  // An operator reports status; the printer columns show it.
  const d = server.desc('tern.dev/v1alpha1', 'ternclusters');
  server.api.patch(d, 'default', 'demo', 'application/merge-patch+json',
                   { status: { phase: 'Creating', readyPods: 1, migrationsRemaining: 12, selector: 'app.kubernetes.io/instance=demo' } },
                   { subresource: 'status' });
  const table = (await kubectl(['get', 'ternclusters'])).stdout.split('\n');
  assert.match(table[0], /^NAME\s+SIZE\s+READY\s+PHASE\s+MIGRATIONS\s+AGE$/);
  assert.match(table[1], /^demo\s+3\s+1\s+Creating\s+12\s+\d+s$/);

  // kubectl get -w: server-side Tables in the watch too.
  const watching = kubectl(['get', 'tc', 'demo', '-w', '--request-timeout=4s'], { ok: false });
  await new Promise((r) => setTimeout(r, 1000));
  const scaled = await kubectl(['scale', 'terncluster', 'demo', '--replicas=4']);
  const watched = (await watching).stdout.split('\n').filter(Boolean);
  assert.match(watched[0], /^NAME\s+SIZE\s+READY\s+PHASE\s+MIGRATIONS\s+AGE$/);
  assert.ok(watched.some((l) => /^demo\s+4\s+1\s+Creating\s+12\s/.test(l)), watched.join('\n'));
  assert.match(scaled.stdout, /terncluster.tern.dev\/demo scaled/);
  const after = JSON.parse((await kubectl(['get', 'tc', 'demo', '-o', 'json'])).stdout);
  assert.equal(after.spec.size, 4);
  assert.equal(after.metadata.generation, 3);

  // kubectl wait lists, then watches; the condition arrives while it waits.
  const waiting = Promise.all([
    kubectl(['wait', 'tc/demo', '--for=condition=Ready', '--timeout=20s']),
    kubectl(['wait', 'tc/demo', '--for=jsonpath={.status.phase}=Running', '--timeout=20s'])
  ]);
  await new Promise((r) => setTimeout(r, 1500));
  server.api.patch(d, 'default', 'demo', 'application/merge-patch+json', {
    status: { phase: 'Running', readyPods: 4, migrationsRemaining: 0, observedGeneration: 3,
              conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterStable', message: '4 nodes',
                             lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: 3 }] }
  }, { subresource: 'status' });
  const [w1, w2] = await waiting;
  assert.match(w1.stdout, /condition met/);
  assert.match(w2.stdout, /condition met/);

  // Server-side validation through kubectl (fieldValidation=Strict).
  const bad = await kubectl(['apply', '-f', '-'], { ok: false,
    input: 'apiVersion: tern.dev/v1alpha1\nkind: TernCluster\nmetadata:\n  name: bad\nspec:\n  size: 0\n' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /spec.size: Invalid value: 0/);
  const unknown = await kubectl(['apply', '-f', '-'], { ok: false,
    input: 'apiVersion: tern.dev/v1alpha1\nkind: TernCluster\nmetadata:\n  name: bad\nspec:\n  sise: 3\n' });
  assert.match(unknown.stderr, /unknown field "spec.sise"/);

  // Deleting the cluster takes what it owns along (garbage collection, background).
  const owner = JSON.parse((await kubectl(['get', 'tc', 'demo', '-o', 'json'])).stdout);
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'demo-config', ownerReferences: [{ apiVersion: 'tern.dev/v1alpha1', kind: 'TernCluster', name: 'demo',
                                                          uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }] },
    data: { 'tern.yaml': 'x' } }) });
  assert.match((await kubectl(['delete', 'terncluster', 'demo'])).stdout, /terncluster.tern.dev "demo" deleted/);
  const gone = await kubectl(['get', 'tc', 'demo'], { ok: false });
  assert.match(gone.stderr, /NotFound/);
  await kubectl(['wait', '--for=delete', 'configmap/demo-config', '--timeout=10s']);
});

test('kubectl apply of built-in kinds uses strategic merge patch with merge keys', async () => {
  const svc = (ports) => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
                                          spec: { selector: { app: 's' }, ports } });
  await kubectl(['apply', '-f', '-'], { input: svc([{ name: 'service', port: 3000 }, { name: 'grpc', port: 3100 }]) });
  const ip = JSON.parse((await kubectl(['get', 'svc', 's', '-o', 'json'])).stdout).spec.clusterIP;
  assert.match(ip, /^10\.96\./);
  await kubectl(['apply', '-f', '-'], { input: svc([{ name: 'service', port: 3000 }, { name: 'admin', port: 8080 }]) });
  const after = JSON.parse((await kubectl(['get', 'svc', 's', '-o', 'json'])).stdout);
  assert.deepEqual(after.spec.ports.map((p) => p.name), ['service', 'admin']);
  assert.equal(after.spec.clusterIP, ip);
  // A label added by someone else survives a re-apply (three-way merge).
  await kubectl(['label', 'svc', 's', 'extra=yes']);
  await kubectl(['apply', '-f', '-'], { input: svc([{ name: 'service', port: 3000 }]) });
  const last = JSON.parse((await kubectl(['get', 'svc', 's', '-o', 'json'])).stdout);
  assert.equal(last.metadata.labels.extra, 'yes');
  assert.deepEqual(last.spec.ports.map((p) => p.port), [3000]);
  await kubectl(['delete', 'svc', 's']);
});
