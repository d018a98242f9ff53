// The environment of an operator scenario: the test API server double with its StatefulSet
// controller and kubelet (pods = real ternd processes on a block of 127.0.1.x addresses),
// the CRDs, the real tern-operator pointed at it, kubectl, and the official Node client.
// Each scenario file takes its own address block so ctest may run them side by side.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from './apiserver.mjs';
import { loadYamlDocs, startControllers } from './controllers.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(process.env.TERN_COMPAT_MODULES || '/nonexistent', 'x.cjs'));
export { sleep };

export function log(msg) {
  process.stdout.write(`[operator-test] ${new Date().toISOString().slice(11, 23)} ${msg}\n`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Kills the ternd and operator processes an interrupted earlier run of this scenario left.
function killLeftovers(workDir) {
  const pidFiles = [path.join(workDir, 'operator.pid')];
  const pods = path.join(workDir, 'pods');
  if (fs.existsSync(pods)) for (const d of fs.readdirSync(pods)) pidFiles.push(path.join(pods, d, 'ternd.pid'));
  for (const f of pidFiles) {
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(f, 'utf8'));
    } catch {
      continue;
    }
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {}
    if (pid > 0 && alive(pid) && cmd.includes(workDir)) {
      log(`killing pid ${pid} left by an earlier run`);
      process.kill(pid, 'SIGKILL');
    }
  }
}

export class Env {
  constructor(name, { podBase, operatorAddress, resyncSeconds = 5 }) {
    this.name = name;
    this.resyncSeconds = resyncSeconds;
    this.podBase = podBase;
    this.operatorAddress = operatorAddress;
    this.workDir = path.join(process.env.TERN_OPERATOR_WORK_DIR, name);
    this.ns = 'default';
  }

  async start() {
    const { TERN_TERND: ternd, TERN_OPERATOR: operator } = process.env;
    for (const [what, f] of [['ternd', ternd], ['tern-operator', operator]]) {
      if (!f || !fs.existsSync(f)) throw new Error(`no ${what} binary at ${f}`);
    }
    killLeftovers(this.workDir);
    fs.rmSync(this.workDir, { recursive: true, force: true });
    const s = await startApiServer({ workDir: this.workDir, bookmarkIntervalMs: 5000 });
    Object.assign(this, s);
    this.api = this.server.api;
    this.controllers = await startControllers(this.server, { workDir: this.workDir, ternd, podBase: this.podBase });
    const crd = this.server.desc('apiextensions.k8s.io/v1', 'customresourcedefinitions');
    for (const f of ['terncluster.yaml', 'ternudf.yaml']) {
      for (const doc of await loadYamlDocs(path.join(REPO, 'operator/crds', f))) this.api.create(crd, '', doc);
    }
    await sleep(50);  // Established
    this.TC = this.server.desc('tern.dev/v1alpha1', 'ternclusters');
    this.UDF = this.server.desc('tern.dev/v1alpha1', 'ternudfs');
    this.D = (apiVersion, kind) => this.server.desc(apiVersion, kind);
    await this.startOperator();
    return this;
  }

  async startOperator() {
    const a = this.operatorAddress;
    const logFd = fs.openSync(path.join(this.workDir, 'operator.log'), 'a');
    const args = ['--kubeconfig', this.kubeconfigHttp, '--namespace', this.ns,
                  '--metrics-address', `${a}:18080`, '--health-address', `${a}:18081`,
                  '--requeue-interval', '500ms', '--stable-settle', '1s', '--resync-seconds', String(this.resyncSeconds)];
    const child = spawn(process.env.TERN_OPERATOR, args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    fs.writeFileSync(path.join(this.workDir, 'operator.pid'), String(child.pid));
    this.operator = child;
    this.operatorExit = null;
    child.on('exit', (code, signal) => {
      this.operatorExit = { code, signal };
    });
    process.on('exit', () => this.killOperator(true));
    await this.waitFor(async () => {
      if (this.operatorExit) throw new Error(`tern-operator exited ${JSON.stringify(this.operatorExit)}; see ${this.workDir}/operator.log`);
      try {
        return (await fetch(`http://${a}:18081/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200;
      } catch {
        return false;
      }
    }, 20000, 'tern-operator /readyz');
    log(`tern-operator pid ${child.pid} ready (${a}:18081)`);
  }

  killOperator(sync = false) {
    if (this.operator && !this.operatorExit) {
      try {
        process.kill(this.operator.pid, 'SIGKILL');
      } catch {}
    }
    if (sync) return;
    return this.waitFor(() => this.operatorExit !== null, 5000, 'operator exit');
  }

  async stop() {
    if (this.operator && !this.operatorExit) {
      this.operator.kill('SIGTERM');
      for (let i = 0; i < 50 && !this.operatorExit; i++) await sleep(100);
      await this.killOperator();
    }
    await this.controllers?.stop();
    await this.server?.stop();
  }

  kubectl(args, { input, ok = true } = {}) {
    return new Promise((resolve, reject) => {
      const child = execFile(process.env.TERN_KUBECTL || 'kubectl', ['--kubeconfig', this.kubeconfig, ...args],
                             { timeout: 120000 }, (err, stdout, stderr) => {
        const r = { code: err ? err.code ?? 1 : 0, stdout, stderr };
        if (ok && r.code !== 0) reject(new Error(`kubectl ${args.join(' ')}: ${stderr}${stdout}`));
        else resolve(r);
      });
      if (input !== undefined) child.stdin.end(input);
    });
  }

  async waitFor(fn, ms, what) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      try {
        // fn answers a truthy value when done; false or { notYet: 'why' } while not.
        const r = await fn();
        if (r && r.notYet === undefined) return r;
        last = r?.notYet ?? r;
      } catch (e) {
        if (/exited/.test(e.message)) throw e;
        last = e.message;
      }
      await sleep(100);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
  }

  tc(name) {
    return this.api.get(this.TC, this.ns, name);
  }

  pods(name) {
    return this.api.list(this.D('v1', 'pods'), this.ns, { labelSelector: `app.kubernetes.io/instance=${name}` })
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));
  }

  // Waits until the operator reports the cluster Running at `size`, every pod ready, the
  // spec observed and no migrations left.
  async waitReady(name, size, ms = 90000) {
    return this.waitFor(() => {
      const tc = this.tc(name);
      const st = tc?.status || {};
      const ready = (st.conditions || []).find((c) => c.type === 'Ready');
      const ok = st.phase === 'Running' && st.observedGeneration === tc.metadata.generation &&
        st.size === size && st.readyPods === size && st.migrationsRemaining === 0 && ready?.status === 'True' &&
        this.pods(name).filter((p) => !p.metadata.deletionTimestamp).length === size;
      return ok ? tc : { notYet: `phase=${st.phase} size=${st.size} ready=${st.readyPods} migrations=${st.migrationsRemaining} ` +
                       `observed=${st.observedGeneration}/${tc?.metadata.generation} msg=${st.message ?? ''}` };
    }, ms, `TernCluster ${name} Running with ${size} nodes`);
  }

  async createCluster(name, spec) {
    const tc = {
      apiVersion: 'tern.dev/v1alpha1', kind: 'TernCluster', metadata: { name },
      spec: { config: { cluster: { heartbeat_interval_ms: 100, heartbeat_timeout_beats: 10 } }, ...spec }
    };
    const r = await this.kubectl(['apply', '-f', '-'], { input: JSON.stringify(tc) });
    assert.match(r.stdout, /created/);
  }

  // Every pod answers the same cluster key for cluster-stable:size=N. The operator's Ready
  // may come a moment before the nodes agree (it samples them one after the other).
  async waitStable(name, size, ms = 15000) {
    return this.waitFor(async () => {
      const keys = await Promise.all(this.addresses(name).map((ip) => this.info(ip, `cluster-stable:size=${size}`)));
      return keys.length === size && keys.every((k) => !k.startsWith('ERROR') && k === keys[0]) ? keys[0]
        : { notYet: keys.join(' ') };
    }, ms, `cluster ${name} stable at ${size}`);
  }

  // The cluster's pods are exactly `names` (a leaving pod may still be terminating when the
  // operator reports the smaller size).
  async waitPods(name, names, ms = 20000) {
    return this.waitFor(() => {
      const have = this.pods(name).map((p) => p.metadata.name);
      return JSON.stringify(have) === JSON.stringify(names) || { notYet: have.join(',') };
    }, ms, `pods ${names.join(',')}`);
  }

  addresses(name) {
    return this.pods(name).map((p) => p.status?.podIP).filter(Boolean);
  }

  async info(ip, command) {
    const res = await fetch(`http://${ip}:8080/v1/info/${command}`, { signal: AbortSignal.timeout(5000) });
    return (await res.text()).trim();
  }

  async admin(ip, p, init = {}) {
    const res = await fetch(`http://${ip}:8080${p}`, { signal: AbortSignal.timeout(5000), ...init });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  }

  async client(name) {
    const Aerospike = require('aerospike');
    const policy = { totalTimeout: 5000, socketTimeout: 2000, maxRetries: 4 };
    this.Aerospike = Aerospike;
    return Aerospike.connect({
      hosts: this.addresses(name).map((addr) => ({ addr, port: 3000 })),
      log: { level: Aerospike.log.OFF },
      policies: { read: policy, write: policy, apply: policy },
      tenderInterval: 250
    });
  }
}

export const NS = 'test';
export const SET = 'op';

// Writes keys [from, to) with bin v = n; returns the map key -> value written.
export async function load(env, client, from, to, prefix = 'k', ns = NS) {
  const written = new Map();
  let next = from;
  const errors = [];
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < to) {
      const n = next++;
      try {
        await client.put(new env.Aerospike.Key(ns, SET, `${prefix}${n}`), { v: n });
        written.set(`${prefix}${n}`, n);
      } catch (e) {
        errors.push(`${prefix}${n}: ${e.message}`);
      }
    }
  }));
  assert.deepEqual(errors.slice(0, 5), [], `${errors.length} writes failed`);
  return written;
}

// Every key reads back with its value.
export async function check(env, client, expected, ns = NS) {
  const entries = [...expected.entries()];
  const bad = [];
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < entries.length) {
      const [k, v] = entries[next++];
      try {
        const rec = await client.get(new env.Aerospike.Key(ns, SET, k));
        if (rec.bins.v !== v) bad.push(`${k}: ${rec.bins.v} != ${v}`);
      } catch (e) {
        bad.push(`${k}: ${e.message}`);
      }
    }
  }));
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${entries.length} records lost or wrong`);
}
