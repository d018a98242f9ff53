// Controllers of the TEST Kubernetes API server (apiserver.mjs): a StatefulSet controller
// and a "kubelet" that runs every pod as a real ternd process on its own loopback address.
//
// The kubelet treats the container image as opaque (a new image = a restart of the
// process) and always runs `ternd`. It materialises the pod's volumes under the test's work
// dir (configMap/secret/emptyDir per pod, one directory per PersistentVolumeClaim that
// outlives the pod), maps the container's args onto them, and rewrites the tern.yaml given
// with --config: node.address = the pod's IP, data dirs under a volume mapped to that
// volume's directory (else the pod's own), and cluster.seeds host names resolved the way
// cluster DNS would (a headless Service name → the addresses of its pods, a pod's
// <hostname>.<service> name → that pod). StatefulSet pods get <podBase + 10 * k + ordinal>
// for the k-th StatefulSet seen (k < 5, ordinal < 10; one rack per block), others the
// addresses from podBase + 50 up. Readiness comes from the container's readinessProbe (HTTP GET) on the pod IP.
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ApiError } from './apiserver.mjs';

const clone = (v) => (v === undefined ? undefined : structuredClone(v));
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function loadYamlLib(modulesDir) {
  const dir = modulesDir || process.env.TERN_OPERATOR_MODULES;
  if (!dir) throw new Error('no Node modules folder with `yaml` (TERN_OPERATOR_MODULES)');
  return createRequire(path.join(dir, 'x.cjs'))('yaml');
}

export async function loadYamlDocs(file, modulesDir) {
  const YAML = loadYamlLib(modulesDir);
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON()).filter(Boolean);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ordinalOf(name) {
  const m = name.match(/-(\d+)$/);
  return m ? Number(m[1]) : null;
}

function addIp(base, n) {
  const parts = base.split('.').map(Number);
  const v = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3] + n;
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

const templateHash = (t) => crypto.createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);

// ---------------------------------------------------------------------------------------

export class StatefulSetController {
  constructor(server) {
    this.server = server;
    this.api = server.api;
    this.sts = server.desc('apps/v1', 'statefulsets');
    this.pods = server.desc('v1', 'pods');
    this.pvcs = server.desc('v1', 'persistentvolumeclaims');
    this.pending = new Set();
    this.unsubscribe = server.subscribe((ev) => this.onEvent(ev));
    this.timer = setInterval(() => {
      for (const s of this.api.list(this.sts, '')) this.enqueue(s.metadata.namespace, s.metadata.name);
    }, 1000);
  }

  stop() {
    this.unsubscribe();
    clearInterval(this.timer);
  }

  onEvent({ desc, obj }) {
    if (desc === this.sts) this.enqueue(obj.metadata.namespace, obj.metadata.name);
    if (desc === this.pods) {
      const ref = (obj.metadata.ownerReferences || []).find((r) => r.controller && r.kind === 'StatefulSet');
      if (ref) this.enqueue(obj.metadata.namespace, ref.name);
    }
  }

  enqueue(ns, name) {
    const key = `${ns}/${name}`;
    if (this.pending.has(key)) return;
    this.pending.add(key);
    setTimeout(() => {
      this.pending.delete(key);
      try {
        this.reconcile(ns, name);
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) this.server.log(`sts ${key}: ${e.stack}`);
        this.enqueue(ns, name);
      }
    }, 10);
  }

  reconcile(ns, name) {
    const sts = this.api.get(this.sts, ns, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const spec = sts.spec;
    this.adoptOrphans(sts);
    const owned = this.api.list(this.pods, ns).filter((p) => (p.metadata.ownerReferences || [])
      .some((r) => r.controller && r.uid === sts.metadata.uid));
    const byOrdinal = new Map(owned.map((p) => [ordinalOf(p.metadata.name), p]));
    const updateRevision = `${name}-${templateHash(spec.template)}`;
    const revisionOf = (p) => p.metadata.labels?.['controller-revision-hash'];
    const isReady = (p) => !p.metadata.deletionTimestamp &&
      (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
    const parallel = spec.podManagementPolicy === 'Parallel';
    const replicas = spec.replicas;
    const terminating = owned.some((p) => p.metadata.deletionTimestamp);

    for (let i = 0; i < replicas; i++) {
      const p = byOrdinal.get(i);
      if (p && ['Failed', 'Succeeded'].includes(p.status?.phase) && !p.metadata.deletionTimestamp) {
        this.api.delete(this.pods, ns, p.metadata.name, { gracePeriodSeconds: 0 });
        continue;
      }
      if (p) continue;
      if (!parallel) {
        const lowerReady = [...Array(i).keys()].every((j) => byOrdinal.get(j) && isReady(byOrdinal.get(j)));
        if (!lowerReady || terminating) break;
      }
      this.createPod(sts, i, updateRevision);
      if (!parallel) break;
    }
    // Scale down: the highest ordinals go first (all at once when Parallel).
    const extra = owned.filter((p) => ordinalOf(p.metadata.name) >= replicas && !p.metadata.deletionTimestamp)
      .sort((a, b) => ordinalOf(b.metadata.name) - ordinalOf(a.metadata.name));
    for (const p of parallel ? extra : extra.slice(0, terminating ? 0 : 1)) {
      this.api.delete(this.pods, ns, p.metadata.name, {});
      if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') this.deleteClaims(sts, ordinalOf(p.metadata.name));
    }
    if (spec.updateStrategy?.type === 'RollingUpdate' && !terminating) {
      const partition = spec.updateStrategy.rollingUpdate?.partition || 0;
      const inRange = [...byOrdinal.entries()].filter(([i]) => i < replicas);
      if (inRange.length === replicas && inRange.every(([, p]) => isReady(p))) {
        const stale = inRange.filter(([i, p]) => i >= partition && revisionOf(p) !== updateRevision)
          .sort((a, b) => b[0] - a[0])[0];
        if (stale) this.api.delete(this.pods, ns, stale[1].metadata.name, {});
      }
    }
    // Status.
    const live = this.api.list(this.pods, ns).filter((p) => (p.metadata.ownerReferences || [])
      .some((r) => r.controller && r.uid === sts.metadata.uid));
    const inRange = live.filter((p) => ordinalOf(p.metadata.name) < replicas);
    const allUpdated = inRange.length === replicas && inRange.every((p) => revisionOf(p) === updateRevision);
    const currentRevision = !sts.status?.currentRevision || allUpdated ? updateRevision : sts.status.currentRevision;
    const status = {
      observedGeneration: sts.metadata.generation,
      replicas: live.filter((p) => !p.metadata.deletionTimestamp).length,
      readyReplicas: live.filter(isReady).length,
      currentReplicas: live.filter((p) => revisionOf(p) === currentRevision).length,
      updatedReplicas: live.filter((p) => revisionOf(p) === updateRevision).length,
      availableReplicas: live.filter(isReady).length,
      currentRevision, updateRevision, collisionCount: 0
    };
    if (JSON.stringify(status) !== JSON.stringify(sts.status)) {
      this.api.update(this.sts, ns, { ...sts, status }, { subresource: 'status' });
    }
  }

  // As the real controller: a pod with no controller that the selector matches and whose
  // name is <sts>-<ordinal> (left by a StatefulSet deleted with propagationPolicy Orphan)
  // becomes this StatefulSet's again.
  adoptOrphans(sts) {
    const ns = sts.metadata.namespace;
    const sel = sts.spec.selector?.matchLabels || {};
    for (const p of this.api.list(this.pods, ns)) {
      if ((p.metadata.ownerReferences || []).some((r) => r.controller)) continue;
      if (p.metadata.deletionTimestamp || !new RegExp(`^${sts.metadata.name}-\\d+$`).test(p.metadata.name)) continue;
      if (!Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v)) continue;
      this.api.mutate(this.pods, ns, p.metadata.name, (x) => {
        if (x.metadata.uid !== p.metadata.uid) return null;
        x.metadata.ownerReferences = [...(x.metadata.ownerReferences || []),
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid: sts.metadata.uid,
            controller: true, blockOwnerDeletion: true }];
        return x;
      });
      this.server.log(`sts ${ns}/${sts.metadata.name}: adopted orphan pod ${p.metadata.name}`);
    }
  }

  claimName(sts, tmpl, i) {
    return `${tmpl.metadata.name}-${sts.metadata.name}-${i}`;
  }

  deleteClaims(sts, i) {
    for (const t of sts.spec.volumeClaimTemplates || []) {
      try {
        this.api.delete(this.pvcs, sts.metadata.namespace, this.claimName(sts, t, i), {});
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
  }

  createPod(sts, i, revision) {
    const ns = sts.metadata.namespace;
    const t = clone(sts.spec.template);
    const podName = `${sts.metadata.name}-${i}`;
    const volumes = t.spec.volumes || [];
    for (const vct of sts.spec.volumeClaimTemplates || []) {
      const claimName = this.claimName(sts, vct, i);
      if (!this.api.get(this.pvcs, ns, claimName)) {
        const owner = sts.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete'
          ? [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid: sts.metadata.uid,
               controller: true, blockOwnerDeletion: true }] : undefined;
        this.api.create(this.pvcs, ns, {
          metadata: { name: claimName, labels: { ...(sts.spec.selector.matchLabels || {}) },
                      ...(owner ? { ownerReferences: owner } : {}) },
          spec: clone(vct.spec)
        });
      }
      const idx = volumes.findIndex((v) => v.name === vct.metadata.name);
      const vol = { name: vct.metadata.name, persistentVolumeClaim: { claimName } };
      if (idx >= 0) volumes[idx] = vol;
      else volumes.push(vol);
    }
    this.api.create(this.pods, ns, {
      metadata: {
        name: podName,
        labels: { ...(t.metadata?.labels || {}), 'controller-revision-hash': revision,
                  'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) },
        annotations: t.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name,
                            uid: sts.metadata.uid, controller: true, blockOwnerDeletion: true }]
      },
      spec: { ...t.spec, volumes, hostname: podName, subdomain: sts.spec.serviceName }
    });
  }
}

// ---------------------------------------------------------------------------------------

export class Kubelet {
  constructor(server, { workDir, ternd, podBase = '127.0.1.10', probeIntervalMs = 250, modulesDir, nodeName = 'tern-test-node' }) {
    if (!/^127\./.test(podBase)) throw new Error('pod addresses must be loopback');
    this.server = server;
    this.api = server.api;
    this.workDir = workDir;
    this.ternd = ternd;
    this.podBase = podBase;
    this.nodeName = nodeName;
    this.YAML = loadYamlLib(modulesDir);
    this.pods = server.desc('v1', 'pods');
    this.running = new Map();   // `${ns}/${name}` -> container state
    this.addresses = new Map(); // `${ns}/${name}` -> ip of pods without a block
    this.blocks = new Map();    // `${ns}/${StatefulSet name}` -> block number
    this.nextFree = 50;
    this.unsubscribe = server.subscribe((ev) => {
      if (ev.desc === this.pods) this.sync(ev.obj, ev.type);
    });
    this.probeTimer = setInterval(() => this.probeAll(), probeIntervalMs);
    server.podLogs = (ns, name, { previous }) => {
      void previous;  // one log file holds every run of the container
      const dir = path.join(this.workDir, 'pods', `${ns}_${name}`);
      try {
        return fs.readFileSync(path.join(dir, 'ternd.log'), 'utf8');
      } catch {
        return null;
      }
    };
    for (const p of this.api.list(this.pods, '')) this.sync(p, 'ADDED');
  }

  addressOf(pod) {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const ord = ordinalOf(pod.metadata.name);
    if (ord !== null && ord < 10) {
      const set = `${pod.metadata.namespace}/${pod.metadata.name.replace(/-\d+$/, '')}`;
      if (!this.blocks.has(set) && this.blocks.size < 5) this.blocks.set(set, this.blocks.size);
      if (this.blocks.has(set)) return addIp(this.podBase, 10 * this.blocks.get(set) + ord);
    }
    if (!this.addresses.has(key)) this.addresses.set(key, addIp(this.podBase, this.nextFree++));
    return this.addresses.get(key);
  }

  podDir(pod) {
    return path.join(this.workDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}`);
  }

  sync(pod, type) {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const c = this.running.get(key);
    if (type === 'DELETED') {
      if (c && c.uid === pod.metadata.uid) this.kill(c, 'KILL');
      return;
    }
    if (c && c.uid !== pod.metadata.uid) return;  // the old pod of that name is still going away
    if (pod.metadata.deletionTimestamp) {
      if (c && !c.terminating) this.terminate(c, pod);
      else if (!c) this.finishDelete(pod);
      return;
    }
    if (!c) {
      this.start(pod).catch((e) => this.server.log(`kubelet start ${key}: ${e.stack}`));
      return;
    }
    const image = (pod.spec.containers.find((x) => x.name === c.container) || {}).image;
    if (image !== c.image && c.child) {
      // An image change restarts the container with the new image (opaque to the double).
      c.image = image;
      c.restartReason = 'image';
      this.kill(c, 'TERM');
    }
  }

  async finishDelete(pod) {
    try {
      this.api.delete(this.pods, pod.metadata.namespace, pod.metadata.name,
                      { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  async terminate(c, pod) {
    c.terminating = true;
    this.kill(c, 'TERM');
    const grace = Math.min(pod.metadata.deletionGracePeriodSeconds ?? 30, 10);
    for (let i = 0; i < grace * 10 && c.child; i++) await sleep(100);
    if (c.child) this.kill(c, 'KILL');
    for (let i = 0; i < 50 && c.child; i++) await sleep(100);
    this.running.delete(c.key);
    await this.finishDelete(pod);
  }

  kill(c, sig) {
    if (c.child && c.pid && alive(c.pid)) {
      try {
        process.kill(c.pid, `SIG${sig}`);
      } catch {}
    }
    if (sig === 'KILL' && !c.terminating) {
      c.terminating = true;
      this.running.delete(c.key);
    }
  }

  // Maps the pod's volumes to directories; returns null while something is missing.
  volumes(pod, dir) {
    const out = new Map();
    const ns = pod.metadata.namespace;
    for (const v of pod.spec.volumes || []) {
      let local;
      if (v.configMap || v.secret) {
        const src = v.configMap
          ? this.api.get(this.server.desc('v1', 'configmaps'), ns, v.configMap.name)
          : this.api.get(this.server.desc('v1', 'secrets'), ns, v.secret.secretName);
        const optional = (v.configMap || v.secret).optional;
        if (!src && !optional) return { missing: `${v.configMap ? 'configmap' : 'secret'} ${(v.configMap || v.secret).name || v.secret.secretName}` };
        local = path.join(dir, 'volumes', v.name);
        fs.rmSync(local, { recursive: true, force: true });
        fs.mkdirSync(local, { recursive: true });
        const data = {};
        for (const [k, val] of Object.entries(src?.data || {})) data[k] = v.secret ? Buffer.from(val, 'base64') : val;
        for (const [k, val] of Object.entries(src?.binaryData || {})) data[k] = Buffer.from(val, 'base64');
        const items = (v.configMap || v.secret).items;
        for (const [k, val] of Object.entries(data)) {
          const item = items ? items.find((i) => i.key === k) : { path: k };
          if (!item) continue;
          fs.mkdirSync(path.dirname(path.join(local, item.path)), { recursive: true });
          fs.writeFileSync(path.join(local, item.path), val);
        }
      } else if (v.emptyDir) {
        local = path.join(dir, 'volumes', v.name);
        fs.mkdirSync(local, { recursive: true });
      } else if (v.persistentVolumeClaim) {
        const claim = this.api.get(this.server.desc('v1', 'persistentvolumeclaims'), ns, v.persistentVolumeClaim.claimName);
        if (!claim || claim.status?.phase !== 'Bound') return { missing: `bound pvc ${v.persistentVolumeClaim.claimName}` };
        local = path.join(this.workDir, 'volumes', ns, `${claim.metadata.name}-${claim.metadata.uid.slice(0, 8)}`);
        fs.mkdirSync(local, { recursive: true });
      } else {
        continue;  // downwardAPI, projected, ...: not used by the operator
      }
      out.set(v.name, local);
    }
    return { volumes: out };
  }

  // DNS stand-in: the addresses a host name in the pod's namespace resolves to.
  resolve(host, ns) {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return [host];
    const parts = host.replace(/\.$/, '').split('.');
    const suffixes = [[], ['svc'], ['svc', 'cluster', 'local']];
    const services = this.server.desc('v1', 'services');
    const tryService = (svcName, svcNs, podHost) => {
      const svc = this.api.get(services, svcNs, svcName);
      if (!svc) return null;
      const sel = svc.spec.selector || {};
      const pods = this.api.list(this.pods, svcNs).filter((p) => !p.metadata.deletionTimestamp &&
        Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v));
      if (podHost) {
        const p = pods.find((x) => (x.spec.hostname || x.metadata.name) === podHost && x.spec.subdomain === svcName);
        return p ? [this.addressOf(p)] : [];
      }
      const ready = (p) => (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
      return pods.filter((p) => svc.spec.publishNotReadyAddresses || ready(p)).map((p) => this.addressOf(p))
        .sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]));
    };
    for (const suf of suffixes) {
      const tail = parts.slice(parts.length - suf.length);
      if (JSON.stringify(tail) !== JSON.stringify(suf)) continue;
      const head = parts.slice(0, parts.length - suf.length);
      // svc | svc.ns | pod.svc | pod.svc.ns
      const tries = [];
      if (head.length === 1 && !suf.length) tries.push([head[0], ns, null]);
      if (head.length === 2) tries.push([head[0], head[1], null], [head[1], ns, head[0]]);
      if (head.length === 3) tries.push([head[1], head[2], head[0]]);
      for (const [svc, svcNs, podHost] of tries) {
        const r = tryService(svc, svcNs, podHost);
        if (r && r.length) return r;
      }
    }
    return null;
  }

  renderTernYaml(text, pod, ip, mapPath, dir) {
    const YAML = this.YAML;
    const cfg = YAML.parse(text) || {};
    cfg.node = cfg.node || {};
    cfg.node.address = ip;
    const mapped = cfg.node.data_dir ? mapPath(cfg.node.data_dir) : null;
    cfg.node.data_dir = mapped || path.join(dir, 'data');
    for (const ns of cfg.namespaces || []) {
      if (ns.data_dir) ns.data_dir = mapPath(ns.data_dir) || path.join(dir, `data-${ns.name}`);
    }
    if (cfg.cluster?.seeds) {
      const seeds = [];
      for (const s of cfg.cluster.seeds) {
        const m = String(s).match(/^(.*?)(?::(\d+))?$/);
        const addrs = this.resolve(m[1], pod.metadata.namespace);
        if (!addrs) {
          seeds.push(s);
          continue;
        }
        for (const a of addrs) seeds.push(m[2] ? `${a}:${m[2]}` : a);
      }
      cfg.cluster.seeds = [...new Set(seeds)];
    }
    return `# Rendered by the kubelet test double from the pod's tern.yaml.\n${YAML.stringify(cfg)}`;
  }

  async start(pod) {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const container = pod.spec.containers.find((x) => x.name === 'ternd') || pod.spec.containers[0];
    const c = { key, uid: pod.metadata.uid, container: container.name, image: container.image, child: null,
                pid: 0, restarts: 0, ready: false, terminating: false, ip: this.addressOf(pod) };
    this.running.set(key, c);
    const dir = this.podDir(pod);
    let uidFile = '';
    try {
      uidFile = fs.readFileSync(path.join(dir, 'uid'), 'utf8');
    } catch {}
    if (uidFile !== pod.metadata.uid) {
      // A new pod of that name: fresh container filesystem (logs of the old one kept aside).
      if (fs.existsSync(dir)) {
        const oldPid = Number(fs.existsSync(path.join(dir, 'ternd.pid')) ? fs.readFileSync(path.join(dir, 'ternd.pid'), 'utf8') : 0);
        if (oldPid && alive(oldPid) && fs.readFileSync(`/proc/${oldPid}/cmdline`, 'utf8').includes(dir)) process.kill(oldPid, 'SIGKILL');
        fs.rmSync(`${dir}.previous`, { recursive: true, force: true });
        fs.renameSync(dir, `${dir}.previous`);
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'uid'), pod.metadata.uid);
    }
    // Bind to the node.
    if (!pod.spec.nodeName) {
      try {
        this.api.mutate(this.pods, pod.metadata.namespace, pod.metadata.name, (p) => {
          if (p.metadata.uid !== c.uid || p.spec.nodeName) return null;
          p.spec.nodeName = this.nodeName;
          return p;
        });
      } catch (e) {
        this.server.log(`kubelet bind ${key}: ${e.message}`);
      }
    }
    await this.runContainer(c);
  }

  async runContainer(c) {
    while (!c.terminating) {
      const [ns, name] = c.key.split('/');
      const pod = this.api.get(this.pods, ns, name);
      if (!pod || pod.metadata.uid !== c.uid || pod.metadata.deletionTimestamp) return;
      const dir = this.podDir(pod);
      const container = pod.spec.containers.find((x) => x.name === c.container);
      c.image = container.image;
      const vols = this.volumes(pod, dir);
      if (vols.missing) {
        this.setStatus(c, { waiting: { reason: 'ContainerCreating', message: `waiting for ${vols.missing}` } });
        await sleep(300);
        continue;
      }
      const mounts = (container.volumeMounts || []).map((m) => ({ mountPath: m.mountPath.replace(/\/+$/, ''),
        local: path.join(vols.volumes.get(m.name) || path.join(dir, 'missing'), m.subPath || '') }))
        .sort((a, b) => b.mountPath.length - a.mountPath.length);
      const mapPath = (p) => {
        for (const m of mounts) {
          if (p === m.mountPath || p.startsWith(`${m.mountPath}/`)) return m.local + p.slice(m.mountPath.length);
        }
        return null;
      };
      // $(NAME) in args expands from the container's env, as the kubelet does (fieldRefs:
      // status.podIP, metadata.name, metadata.namespace).
      const env = new Map();
      for (const e of container.env || []) {
        const field = e.valueFrom && e.valueFrom.fieldRef && e.valueFrom.fieldRef.fieldPath;
        const value = e.value !== undefined ? e.value
          : field === 'status.podIP' ? c.ip
            : field === 'metadata.name' ? pod.metadata.name
              : field === 'metadata.namespace' ? pod.metadata.namespace : undefined;
        if (value !== undefined) env.set(e.name, String(value));
      }
      const expand = (a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
                                      (m, name) => (env.has(name) ? env.get(name) : m));
      const args = [...(container.command || []).slice(1), ...(container.args || [])]
        .map(expand).map((a) => mapPath(a) || a);
      const ci = args.indexOf('--config');
      if (ci >= 0 && fs.existsSync(args[ci + 1])) {
        const rendered = path.join(dir, 'tern.yaml');
        fs.writeFileSync(rendered, this.renderTernYaml(fs.readFileSync(args[ci + 1], 'utf8'), pod, c.ip, mapPath, dir));
        args[ci + 1] = rendered;
      }
      const logFd = fs.openSync(path.join(dir, 'ternd.log'), 'a');
      const child = spawn(this.ternd, args, { stdio: ['ignore', logFd, logFd] });
      fs.closeSync(logFd);
      c.child = child;
      c.pid = child.pid;
      c.startedAt = now();
      c.ready = false;
      fs.writeFileSync(path.join(dir, 'ternd.pid'), String(child.pid));
      this.server.log(`kubelet: ${c.key} started ternd pid ${child.pid} on ${c.ip} (image ${c.image})`);
      this.setStatus(c, { running: { startedAt: c.startedAt } });
      const exit = await new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      c.child = null;
      c.ready = false;
      this.server.log(`kubelet: ${c.key} ternd pid ${c.pid} exited ${JSON.stringify(exit)}`);
      if (c.terminating) return;
      c.restarts++;
      const planned = c.restartReason;
      c.restartReason = null;
      this.setStatus(c, { terminated: { exitCode: exit.code ?? 137, signal: exit.signal ?? undefined,
                                        reason: planned ? 'Completed' : 'Error', finishedAt: now() } });
      if (!planned) await sleep(Math.min(1000 * 2 ** Math.min(c.restarts - 1, 3), 5000));  // crash backoff
    }
  }

  setStatus(c, state) {
    const [ns, name] = c.key.split('/');
    const t = now();
    try {
      this.api.mutate(this.pods, ns, name, (p) => {
        if (p.metadata.uid !== c.uid) return null;
        const running = !!state.running;
        const ready = running && c.ready;
        const cond = (type, status) => {
          const old = (p.status?.conditions || []).find((x) => x.type === type);
          return { type, status, lastProbeTime: null,
                   lastTransitionTime: old && old.status === status ? old.lastTransitionTime : t };
        };
        const statusStr = (b) => (b ? 'True' : 'False');
        p.status = {
          ...p.status,
          phase: 'Running',
          hostIP: this.server.opts.address, hostIPs: [{ ip: this.server.opts.address }],
          podIP: c.ip, podIPs: [{ ip: c.ip }],
          startTime: p.status?.startTime || t,
          conditions: [cond('PodReadyToStartContainers', 'True'), cond('Initialized', 'True'),
                       cond('Ready', statusStr(ready)), cond('ContainersReady', statusStr(ready)),
                       cond('PodScheduled', 'True')],
          containerStatuses: p.spec.containers.map((x) => ({
            name: x.name, image: x.image, imageID: `tern-test-double://${x.image}`,
            containerID: c.pid ? `tern-test-double://${c.pid}` : undefined,
            ready: x.name === c.container ? ready : false, started: running, restartCount: c.restarts,
            state: x.name === c.container ? state : { running: { startedAt: t } }
          }))
        };
        if (state.waiting && !c.pid) p.status.phase = 'Pending';
        return p;
      }, { subresource: 'status' });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) this.server.log(`kubelet status ${c.key}: ${e.message}`);
    }
  }

  async probeAll() {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all([...this.running.values()].map(async (c) => {
        if (!c.child || c.terminating) return;
        const [ns, name] = c.key.split('/');
        const pod = this.api.get(this.pods, ns, name);
        if (!pod) return;
        const container = pod.spec.containers.find((x) => x.name === c.container);
        const probe = container.readinessProbe;
        let ok = true;
        if (probe?.httpGet) {
          let port = probe.httpGet.port;
          if (typeof port === 'string' && !/^\d+$/.test(port)) {
            port = (container.ports || []).find((p) => p.name === port)?.containerPort;
          }
          try {
            const res = await fetch(`http://${c.ip}:${port}${probe.httpGet.path || '/'}`,
                                    { signal: AbortSignal.timeout(1000) });
            await res.arrayBuffer();
            ok = res.status >= 200 && res.status < 400;
          } catch {
            ok = false;
          }
        } else if (probe?.tcpSocket) {
          ok = true;
        }
        if (ok !== c.ready && c.child) {
          c.ready = ok;
          this.setStatus(c, { running: { startedAt: c.startedAt } });
        }
      }));
    } finally {
      this.probing = false;
    }
  }

  async stop() {
    this.unsubscribe();
    clearInterval(this.probeTimer);
    const all = [...this.running.values()];
    for (const c of all) {
      c.terminating = true;
      if (c.pid && alive(c.pid)) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {}
      }
    }
    for (let i = 0; i < 50 && all.some((c) => c.child); i++) await sleep(100);
    this.running.clear();
  }

  // The ternd pids this kubelet runs (pod key -> pid).
  pids() {
    return Object.fromEntries([...this.running.values()].filter((c) => c.child).map((c) => [c.key, c.pid]));
  }
}

export async function startControllers(server, opts) {
  const sts = new StatefulSetController(server);
  const kubelet = new Kubelet(server, opts);
  return { sts, kubelet, async stop() { sts.stop(); await kubelet.stop(); } };
}
