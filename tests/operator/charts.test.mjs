// The Helm charts: helm 3.17.2 lints them (--strict) and renders them; the rendered objects
// are parsed and checked (kinds, probes, least-privilege RBAC, alerts and dashboard on
// metric names ternd really exports), the TernCluster validates against the CRD schema,
// everything the test API server double serves is applied to it with kubectl, and the real
// tern-operator starts with the Deployment's arguments and takes its leader Lease.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer } from './apiserver.mjs';
import { loadYamlLib } from './controllers.mjs';
import { ensureHelm } from './helm.mjs';
import { applyDefaults, prune, validate } from './schema.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const OPERATOR = path.join(REPO, 'charts/tern-operator');
const CLUSTER = path.join(REPO, 'charts/tern-cluster');
const workDir = path.join(process.env.TERN_OPERATOR_WORK_DIR, 'charts-test');
const YAML = loadYamlLib();
let helmBin;
let server, kubeconfig;

function run(bin, args, { ok = true, input } = {}) {
  return new Promise((resolve, reject) => {
    const home = path.join(workDir, 'helm-home');
    const env = { ...process.env, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`,
                  HELM_DATA_HOME: `${home}/data` };
    const child = execFile(bin, args, { env, timeout: 60000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const r = { code: err ? err.code ?? 1 : 0, stdout, stderr };
      if (ok && r.code !== 0) reject(new Error(`${path.basename(bin)} ${args.join(' ')}: ${stderr}${stdout}`));
      else resolve(r);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}
const helm = (args, o) => run(helmBin, args, o);
const kubectl = (args, o) => run(process.env.TERN_KUBECTL || 'kubectl', ['--kubeconfig', kubeconfig, ...args], o);

async function render(chart, args = []) {
  const r = await helm(['template', 'demo', chart, '--namespace', 'db', ...args]);
  return YAML.parseAllDocuments(r.stdout).map((d) => d.toJSON()).filter(Boolean);
}

// Metric names ternd exports, from the server's source.
function ternMetrics() {
  const names = new Set();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cc|h)$/.test(e.name)) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/"(tern_[a-z_]+)"/g)) names.add(m[1]);
      }
    }
  };
  walk(path.join(REPO, 'server/src'));
  return names;
}

function metricsIn(expr) {
  return [...expr.matchAll(/\b(tern_[a-z_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''));
}

before(async () => {
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  helmBin = await ensureHelm(process.env.TERN_OPERATOR_WORK_DIR);
  ({ server, kubeconfig } = await startApiServer({ workDir }));
});

after(async () => {
  await server?.stop();
});

test('helm is 3.17 and both charts pass helm lint --strict', async () => {
  assert.match((await helm(['version', '--short'])).stdout, /^v3\.17\.2/);
  await helm(['lint', '--strict', OPERATOR]);
  await helm(['lint', '--strict', OPERATOR, '--set', 'watchNamespace=db,leaderElection.enabled=false']);
  await helm(['lint', '--strict', CLUSTER]);
  await helm(['lint', '--strict', CLUSTER, '--set', 'monitoring.serviceMonitor.enabled=true,monitoring.podMonitor.enabled=true,' +
              'monitoring.prometheusRule.enabled=true,monitoring.grafanaDashboard.enabled=true']);
  // values.schema.json refuses bad values.
  for (const [chart, set] of [[OPERATOR, 'replicaCount=-1'], [OPERATOR, 'image.pullPolicy=Sometimes'], [OPERATOR, 'bogus=1'],
                              [CLUSTER, 'size=0'], [CLUSTER, 'namespaces[0].name=Bad!']]) {
    const r = await helm(['lint', '--strict', chart, '--set', set], { ok: false });
    assert.notEqual(r.code, 0, `lint accepted ${set}`);
  }
});

test('the chart CRDs are the operator CRDs', async () => {
  for (const f of ['terncluster.yaml', 'ternudf.yaml']) {
    assert.equal(fs.readFileSync(path.join(OPERATOR, 'crds', f), 'utf8'),
                 fs.readFileSync(path.join(REPO, 'operator/crds', f), 'utf8'), `charts/tern-operator/crds/${f} differs from operator/crds/${f}`);
  }
});

test('tern-operator renders a probed Deployment, a metrics Service and least-privilege RBAC', async () => {
  const docs = await render(OPERATOR);
  const kinds = docs.map((d) => d.kind).sort();
  assert.deepEqual(kinds, ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  const dep = docs.find((d) => d.kind === 'Deployment');
  const c = dep.spec.template.spec.containers[0];
  const port = (name) => c.ports.find((p) => p.name === name).containerPort;
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(port(c.readinessProbe.httpGet.port), 8081);
  assert.equal(port('metrics'), 8080);
  assert.ok(c.args.includes('--metrics-bind-address=:8080') && c.args.includes('--health-probe-bind-address=:8081'));
  assert.ok(c.args.includes('--leader-elect'));
  assert.equal(dep.spec.template.spec.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.image, 'tern/tern-operator:0.1.0');
  const svc = docs.find((d) => d.kind === 'Service');
  assert.equal(svc.spec.ports[0].port, 8080);

  const rules = docs.find((d) => d.kind === 'ClusterRole').rules;
  const lease = docs.find((d) => d.kind === 'Role').rules;
  const allowed = (rs, group, resource, verb) => rs.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
  for (const r of [...rules, ...lease]) {
    for (const f of ['apiGroups', 'resources', 'verbs']) assert.ok(!r[f].includes('*'), `wildcard in ${JSON.stringify(r)}`);
  }
  // What the operator does (see docs/kubernetes.md) is allowed...
  const needs = [['tern.dev', 'ternclusters', ['get', 'list', 'watch', 'patch']], ['tern.dev', 'ternclusters/status', ['patch']],
                 ['tern.dev', 'ternudfs', ['get', 'list', 'watch', 'patch']], ['tern.dev', 'ternudfs/status', ['patch']],
                 ['', 'configmaps', ['get', 'list', 'watch', 'create', 'update']], ['', 'services', ['get', 'list', 'watch', 'create', 'update']],
                 ['apps', 'statefulsets', ['get', 'list', 'watch', 'create', 'update']],
                 ['policy', 'poddisruptionbudgets', ['get', 'list', 'watch', 'create', 'update']],
                 ['', 'pods', ['get', 'list', 'watch', 'delete']], ['', 'persistentvolumeclaims', ['get', 'patch']],
                 ['', 'events', ['create', 'patch']]];
  for (const [g, res, verbs] of needs) for (const v of verbs) assert.ok(allowed(rules, g, res, v), `${v} ${res}.${g}`);
  for (const v of ['get', 'create', 'update']) assert.ok(allowed(lease, 'coordination.k8s.io', 'leases', v), `${v} leases`);
  // ... and nothing more than it needs: no secrets, no pod creation, no CRD changes.
  assert.ok(!allowed(rules, '', 'secrets', 'get'));
  assert.ok(!allowed(rules, '', 'pods', 'create'));
  assert.ok(!rules.some((r) => r.apiGroups.includes('apiextensions.k8s.io')));

  // Watching one namespace: a Role there instead of a ClusterRole.
  const ns = await render(OPERATOR, ['--set', 'watchNamespace=apps']);
  assert.ok(!ns.some((d) => d.kind === 'ClusterRole'));
  assert.equal(ns.find((d) => d.kind === 'Role' && d.metadata.namespace === 'apps')?.rules.length, rules.length);
  assert.ok(ns.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].args.includes('--namespace=apps'));
});

test('tern-cluster renders a TernCluster that validates against the CRD, alerts and a dashboard on real metric names', async () => {
  const crd = YAML.parse(fs.readFileSync(path.join(REPO, 'operator/crds/terncluster.yaml'), 'utf8'));
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const values = path.join(workDir, 'values.yaml');
  fs.writeFileSync(values, YAML.stringify({
    size: 4,
    namespaces: [{ name: 'test', storage: { type: 'memory', size: '2Gi' }, replicationFactor: 2, defaultTTL: 3600 },
                 { name: 'bar', storage: { type: 'flash', size: '20Gi', storageClass: 'fast' }, replicationFactor: 3,
                   sets: [{ name: 'sessions', stopWritesCount: 1000000 }] }],
    racks: [{ id: 1, zone: 'a' }, { id: 2, zone: 'b' }],
    resources: { requests: { cpu: '1', memory: '4Gi' } },
    config: { cluster: { heartbeat_interval_ms: 150 } },
    monitoring: { serviceMonitor: { enabled: true }, podMonitor: { enabled: true }, prometheusRule: { enabled: true },
                  grafanaDashboard: { enabled: true } }
  }));
  await helm(['lint', '--strict', CLUSTER, '-f', values]);
  const docs = await render(CLUSTER, ['-f', values]);
  assert.deepEqual(docs.map((d) => d.kind).sort(), ['ConfigMap', 'PodMonitor', 'PrometheusRule', 'ServiceMonitor', 'TernCluster']);
  for (const d of [...docs, ...(await render(CLUSTER))]) {
    if (d.kind !== 'TernCluster') continue;
    const tc = structuredClone(d);
    assert.deepEqual(prune(tc, schema), [], 'no field the CRD does not know');
    applyDefaults(tc, schema);
    assert.deepEqual(validate(tc, schema), []);
    assert.match(tc.spec.image, /^tern\/ternd:/);
  }
  const tc = docs.find((d) => d.kind === 'TernCluster');
  assert.equal(tc.spec.size, 4);
  assert.equal(tc.spec.namespaces[1].storage.storageClass, 'fast');

  const known = ternMetrics();
  assert.ok(known.has('tern_cluster_size') && known.has('tern_namespace_stop_writes'), 'metric names found in server/src');
  const rule = docs.find((d) => d.kind === 'PrometheusRule');
  const alerts = rule.spec.groups[0].rules;
  assert.deepEqual(alerts.map((a) => a.alert).sort(),
                   ['TernClockSkew', 'TernMigrationsStuck', 'TernNodeDown', 'TernPartitionsUnavailable', 'TernStopWrites']);
  for (const a of alerts) for (const m of metricsIn(a.expr)) assert.ok(known.has(m), `alert ${a.alert} uses unknown metric ${m}`);
  assert.match(alerts.find((a) => a.alert === 'TernPartitionsUnavailable').expr, />= 2/);  // smallest replication factor
  assert.match(alerts.find((a) => a.alert === 'TernNodeDown').expr, /< 4/);

  const cm = docs.find((d) => d.kind === 'ConfigMap');
  assert.equal(cm.metadata.labels.grafana_dashboard, '1');
  const dash = JSON.parse(Object.values(cm.data)[0]);
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
  assert.ok(exprs.length >= 10);
  const used = new Set(exprs.flatMap(metricsIn));
  for (const m of used) assert.ok(known.has(m), `dashboard uses unknown metric ${m}`);
  for (const m of ['tern_cluster_size', 'tern_migrate_partitions_remaining', 'tern_ops_total', 'tern_op_latency_seconds',
                   'tern_namespace_objects', 'tern_namespace_stop_writes']) {
    assert.ok(used.has(m), `dashboard shows ${m}`);
  }
  const sm = docs.find((d) => d.kind === 'ServiceMonitor');
  assert.equal(sm.spec.endpoints[0].port, 'metrics');
});

test('the rendered objects apply to the API server double with kubectl', async () => {
  const opDocs = (await helm(['template', 'demo', OPERATOR, '--namespace', 'db', '--include-crds'])).stdout;
  // (Typed commands such as `kubectl create namespace` send protobuf, which the double refuses.)
  await kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: db\n' });
  const r1 = await kubectl(['apply', '-f', '-'], { input: opDocs });
  assert.match(r1.stdout, /customresourcedefinition.apiextensions.k8s.io\/ternclusters.tern.dev created/);
  assert.match(r1.stdout, /deployment.apps\/demo-tern-operator created/);
  await kubectl(['wait', '--for=condition=Established', 'crd/ternclusters.tern.dev', '--timeout=20s']);
  const docs = (await render(CLUSTER, ['--set', 'monitoring.grafanaDashboard.enabled=true']))
    .filter((d) => !d.apiVersion.startsWith('monitoring.coreos.com/'));
  const r2 = await kubectl(['apply', '-n', 'db', '-f', '-'], { input: docs.map((d) => YAML.stringify(d)).join('---\n') });
  assert.match(r2.stdout, /terncluster.tern.dev\/demo created/);
  assert.match(r2.stdout, /configmap\/demo-grafana-dashboard created/);
  const got = JSON.parse((await kubectl(['get', '-n', 'db', 'tc', 'demo', '-o', 'json'])).stdout);
  assert.equal(got.spec.size, 3);
  assert.equal(got.spec.namespaces[0].consistency, 'ap');  // CRD default filled in by the server
});

test('tern-operator starts with the arguments the chart gives it and takes the leader Lease', async () => {
  const operator = process.env.TERN_OPERATOR;
  assert.ok(operator && fs.existsSync(operator), `no tern-operator binary at ${operator}`);
  const dep = (await render(OPERATOR)).find((d) => d.kind === 'Deployment');
  // The chart's own arguments, with the listen addresses moved to a test loopback address.
  const args = dep.spec.template.spec.containers[0].args.map((a) => a
    .replace('--metrics-bind-address=:8080', '--metrics-bind-address=127.0.1.5:18080')
    .replace('--health-probe-bind-address=:8081', '--health-probe-bind-address=127.0.1.5:18081'));
  assert.ok(args.some((a) => a.startsWith('--leader-election-namespace=db')));
  const nsDesc = server.desc('v1', 'namespaces');
  if (!server.api.get(nsDesc, '', 'db')) server.api.create(nsDesc, '', { metadata: { name: 'db' } });
  const { spawn } = await import('node:child_process');
  const logFd = fs.openSync(path.join(workDir, 'operator.log'), 'w');
  const child = spawn(operator, ['--kubeconfig', path.join(workDir, 'kubeconfig-http'), ...args],
                      { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready && !exited; i++) {
      try {
        ready = (await fetch('http://127.0.1.5:18081/readyz', { signal: AbortSignal.timeout(500) })).status === 200;
      } catch {}
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ready, `tern-operator not ready (exit ${JSON.stringify(exited)}); see ${workDir}/operator.log`);
    const healthz = await fetch('http://127.0.1.5:18081/healthz');
    assert.equal(healthz.status, 200);
    const metrics = await (await fetch('http://127.0.1.5:18080/metrics')).text();
    assert.match(metrics, /workqueue_depth/);
    const leases = server.desc('coordination.k8s.io/v1', 'leases');
    let lease = null;
    for (let i = 0; i < 50 && !lease?.spec?.holderIdentity; i++) {
      lease = server.api.get(leases, 'db', 'demo-tern-operator-leader');
      if (!lease?.spec?.holderIdentity) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(lease?.spec?.holderIdentity, 'the operator holds the leader Lease');
  } finally {
    if (!exited) child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
    if (!exited) child.kill('SIGKILL');
  }
});
