#!/usr/bin/env node
// A TEST DOUBLE of the Kubernetes API server, for the operator tests (no kube-apiserver can
// run on the test machines). It reproduces the API semantics tern-operator and kubectl 1.32
// depend on, in memory, over plain HTTP with JSON bodies:
//  - discovery (/version, /api, /apis, resource lists) and /openapi/v3 with
//    x-kubernetes-group-version-kind, so `kubectl apply` validates server-side;
//  - CRUD with one global resourceVersion, 409 on a stale resourceVersion or an existing
//    name, generation bumped by spec changes only, no-op updates not bumped;
//  - list + watch (chunked NDJSON, bookmarks, 410 Expired once history is compacted,
//    label and field selectors, server-side Tables for `kubectl get`);
//  - status and scale subresources, merge / JSON / strategic merge patch;
//  - finalizers, deletionTimestamp, graceful pod deletion, ownerReference garbage collection
//    (background, foreground, orphan), namespace deletion;
//  - CRD registration with structural-schema validation (422), pruning and defaulting;
//  - token auth from a file (kube-apiserver's --token-auth-file format), protobuf refused.
// Controllers (statefulset.mjs) and a kubelet running real ternd processes (kubelet.mjs)
// plug in through subscribe() and the in-process `api` methods.
//
// Standalone: node apiserver.mjs --work-dir DIR [--address 127.0.1.1] [--port 0]
//   [--ternd PATH --pod-base 127.0.1.10] [--crds DIR] [--kubeconfig FILE]
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.mjs';
import { applyDefaults, prune, structuralErrors, validate } from './schema.mjs';

const clone = (v) => (v === undefined ? undefined : structuredClone(v));
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// JSON with sorted keys: objects compare semantically, whatever order a client wrote them in.
export function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export class ApiError extends Error {
  constructor(code, reason, message, details = undefined) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus() {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
             message: this.message, reason: this.reason,
             ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

// ---------------------------------------------------------------------------------------
// Built-in resources.

const BUILTINS = [
  ['', 'v1', 'namespaces', 'Namespace', false, { short: ['ns'], status: true }],
  ['', 'v1', 'pods', 'Pod', true, { short: ['po'], status: true, categories: ['all'] }],
  ['', 'v1', 'services', 'Service', true, { short: ['svc'], status: true, categories: ['all'] }],
  ['', 'v1', 'endpoints', 'Endpoints', true, { short: ['ep'] }],
  ['', 'v1', 'configmaps', 'ConfigMap', true, { short: ['cm'] }],
  ['', 'v1', 'secrets', 'Secret', true, {}],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, { short: ['sa'] }],
  ['', 'v1', 'events', 'Event', true, { short: ['ev'] }],
  ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { short: ['pvc'], status: true }],
  ['', 'v1', 'persistentvolumes', 'PersistentVolume', false, { short: ['pv'], status: true }],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true,
   { short: ['sts'], status: true, generation: true, categories: ['all'],
     scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } }],
  ['apps', 'v1', 'deployments', 'Deployment', true,
   { short: ['deploy'], status: true, generation: true, categories: ['all'],
     scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } }],
  ['apps', 'v1', 'controllerrevisions', 'ControllerRevision', true, {}],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true,
   { short: ['pdb'], status: true, generation: true }],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, {}],
  ['events.k8s.io', 'v1', 'events', 'Event', true, { short: ['ev'], storage: '/events' }],
  ['storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { short: ['sc'] }],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, {}],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, {}],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, {}],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, {}],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false,
   { short: ['crd', 'crds'], status: true, generation: true }]
];

function builtinDesc([group, version, plural, kind, namespaced, o]) {
  return {
    group, version, plural, kind, namespaced, listKind: `${kind}List`,
    singular: kind.toLowerCase(), shortNames: o.short || [], categories: o.categories || [],
    status: !!o.status, scale: o.scale || null, generation: !!o.generation,
    storage: o.storage || `${group}/${plural}`, schema: null, columns: null, crd: null
  };
}

const apiVersionOf = (d) => (d.group ? `${d.group}/${d.version}` : d.version);
const groupResource = (d) => (d.group ? `${d.plural}.${d.group}` : d.plural);

// ---------------------------------------------------------------------------------------
// Selectors.

export function parseLabelSelector(s) {
  if (!s) return () => true;
  const reqs = [];
  // Split on commas outside parentheses.
  let depth = 0, cur = '';
  const parts = [];
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += c;
  }
  parts.push(cur);
  for (let p of parts) {
    p = p.trim();
    if (!p) continue;
    let m;
    if ((m = p.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const vals = m[3].split(',').map((x) => x.trim());
      const [k, op] = [m[1], m[2]];
      reqs.push((l) => (op === 'in' ? k in l && vals.includes(l[k]) : !(k in l) || !vals.includes(l[k])));
    } else if ((m = p.match(/^([^\s!=]+)\s*!=\s*(.*)$/))) {
      const [k, v] = [m[1], m[2].trim()];
      reqs.push((l) => l[k] !== v);
    } else if ((m = p.match(/^([^\s!=]+)\s*==?\s*(.*)$/))) {
      const [k, v] = [m[1], m[2].trim()];
      reqs.push((l) => l[k] === v);
    } else if ((m = p.match(/^!\s*(\S+)$/))) {
      const k = m[1];
      reqs.push((l) => !(k in l));
    } else if (/^\S+$/.test(p)) {
      reqs.push((l) => p in l);
    } else {
      throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${p}`);
    }
  }
  return (obj) => reqs.every((r) => r(obj?.metadata?.labels || {}));
}

function getPath(obj, dotted) {
  let cur = obj;
  for (const k of dotted.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function parseFieldSelector(s) {
  if (!s) return () => true;
  const reqs = s.split(',').filter(Boolean).map((p) => {
    const m = p.match(/^([^!=]+)(==|=|!=)(.*)$/);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid selector: '${s}'`);
    const [, f, op, v] = m;
    return (o) => {
      const have = getPath(o, f.trim());
      const hs = have === undefined || have === null ? '' : String(have);
      return op === '!=' ? hs !== v : hs === v;
    };
  });
  return (o) => reqs.every((r) => r(o));
}

// The subset of JSONPath CRD printer columns use: .a.b, [n], [?(@.k=='v')].
export function jsonPathGet(obj, expr) {
  const tokens = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*['"]([^'"]*)['"]\)\]/g;
  let m;
  let pos = 0;
  while ((m = re.exec(expr))) {
    if (m.index !== pos) return undefined;
    pos = re.lastIndex;
    tokens.push(m);
  }
  if (pos !== expr.length) return undefined;
  let cur = obj;
  for (const t of tokens) {
    if (cur === undefined || cur === null) return undefined;
    if (t[1] !== undefined) cur = isObject(cur) ? cur[t[1]] : undefined;
    else if (t[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(t[2])] : undefined;
    else cur = Array.isArray(cur) ? cur.find((e) => String(getPath(e, t[3])) === t[4]) : undefined;
  }
  return cur;
}

function setJsonPath(obj, expr, value) {
  const parts = expr.replace(/^\./, '').split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p];
  }
  cur[parts[parts.length - 1]] = value;
}

// kube's duration.HumanDuration, for Age cells.
export function humanDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 ? `${Math.floor(h / 24)}d${h % 24}h` : `${Math.floor(h / 24)}d`;
  return `${Math.floor(h / 24)}d`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseQuantity(q) {
  if (typeof q === 'number') return q;
  const m = String(q ?? '').match(/^([0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/);
  if (!m) return NaN;
  const mult = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
                 k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 }[m[2]] ?? 1;
  return Number(m[1]) * mult;
}

// ---------------------------------------------------------------------------------------

export class ApiServer {
  constructor(opts = {}) {
    this.opts = {
      address: '127.0.1.1', port: 0, tokens: null, workDir: null,
      watchTimeoutSec: 300, bookmarkIntervalMs: 2000, historyLimit: 20000, ...opts
    };
    if (!/^127\./.test(this.opts.address)) throw new Error('the test API server binds loopback only');
    this.rv = 1;
    this.compactedRv = 0;  // watches from an older resourceVersion get 410
    this.history = [];     // { rv, storage, type, obj, old }
    this.resources = new Map();  // `${group}/${version}/${plural}` -> desc
    this.store = new Map();      // storage -> Map(`${ns}/${name}` -> object)
    this.byUid = new Map();      // uid -> { storage, key }
    this.watches = new Set();
    this.listeners = new Set();
    this.faults = [];
    this.requestLog = [];
    this.nextClusterIP = 10;
    this.gcTimer = null;
    this.logFile = this.opts.workDir ? path.join(this.opts.workDir, 'apiserver.log') : null;
    for (const b of BUILTINS) this.addResource(builtinDesc(b));
    this.api = this.makeApi();
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      this.api.create(this.desc('v1', 'namespaces'), '', { metadata: { name: ns } });
    }
    const sc = this.desc('storage.k8s.io/v1', 'storageclasses');
    this.api.create(sc, '', {
      metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'tern.dev/test-double', allowVolumeExpansion: true, reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate'
    });
    this.api.create(sc, '', { metadata: { name: 'fixed' }, provisioner: 'tern.dev/test-double',
                              allowVolumeExpansion: false, reclaimPolicy: 'Delete',
                              volumeBindingMode: 'Immediate' });
  }

  log(line) {
    if (this.logFile) fs.appendFileSync(this.logFile, `${new Date().toISOString()} ${line}\n`);
  }

  addResource(d) {
    this.resources.set(`${d.group}/${d.version}/${d.plural}`, d);
    if (!this.store.has(d.storage)) this.store.set(d.storage, new Map());
  }

  // desc('tern.dev/v1alpha1', 'ternclusters' | 'TernCluster')
  desc(apiVersion, name) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const d of this.resources.values()) {
      if (d.group === group && d.version === version && (d.plural === name || d.kind === name)) return d;
    }
    return null;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- in-process API (what the HTTP handlers and the controllers call) ----

  makeApi() {
    const self = this;
    return {
      get: (d, ns, name) => self.toExternal(d, self.getStored(d, ns, name)),
      list: (d, ns, sel = {}) => self.listObjects(d, ns, sel).map((o) => self.toExternal(d, o)),
      create: (d, ns, obj, o = {}) => self.create(d, ns, obj, o),
      update: (d, ns, obj, o = {}) => self.update(d, ns, obj, o),
      patch: (d, ns, name, type, body, o = {}) => self.patch(d, ns, name, type, body, o),
      delete: (d, ns, name, o = {}) => self.delete(d, ns, name, o),
      // Mutates with retries on conflict: fn(obj) returns the object to write (or null).
      mutate: (d, ns, name, fn, o = {}) => {
        for (let i = 0; i < 10; i++) {
          const cur = self.toExternal(d, self.getStored(d, ns, name));
          if (!cur) return null;
          const next = fn(cur);
          if (!next) return cur;
          try {
            return self.update(d, ns, next, o);
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 409)) throw e;
          }
        }
        throw new ApiError(409, 'Conflict', 'too many conflicts');
      }
    };
  }

  bucket(d) {
    return this.store.get(d.storage);
  }

  getStored(d, ns, name) {
    return this.bucket(d).get(`${d.namespaced ? ns : ''}/${name}`) || null;
  }

  listObjects(d, ns, { labelSelector, fieldSelector } = {}) {
    const lm = typeof labelSelector === 'function' ? labelSelector : parseLabelSelector(labelSelector);
    const fm = typeof fieldSelector === 'function' ? fieldSelector : parseFieldSelector(fieldSelector);
    const out = [];
    for (const [key, o] of this.bucket(d)) {
      if (d.namespaced && ns && !key.startsWith(`${ns}/`)) continue;
      const ext = this.toExternal(d, o);
      if (lm(ext) && fm(ext)) out.push(o);
    }
    return out.sort((a, b) => (`${a.metadata.namespace}/${a.metadata.name}` <
                                `${b.metadata.namespace}/${b.metadata.name}` ? -1 : 1));
  }

  // Objects are stored in their external form of the first registered version; the
  // events.k8s.io/v1 view of core Events is converted both ways.
  toExternal(d, o) {
    if (!o) return null;
    let out = clone(o);
    if (d.group === 'events.k8s.io') out = coreEventToEvents(out);
    out.apiVersion = apiVersionOf(d);
    out.kind = d.kind;
    return out;
  }

  toInternal(d, o) {
    if (d.group === 'events.k8s.io') {
      const c = eventsToCoreEvent(o);
      c.apiVersion = 'v1';
      c.kind = 'Event';
      return c;
    }
    return o;
  }

  nameNotFound(d, name) {
    return new ApiError(404, 'NotFound', `${groupResource(d)} "${name}" not found`,
                        { name, group: d.group, kind: d.plural });
  }

  checkNamespace(d, ns, creating) {
    if (!d.namespaced) return;
    if (!ns) throw new ApiError(400, 'BadRequest', 'the server could not find the requested resource');
    const nsObj = this.getStored(this.desc('v1', 'namespaces'), '', ns);
    if (!nsObj) {
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`,
                         { name: ns, kind: 'namespaces' });
    }
    if (creating && nsObj.metadata.deletionTimestamp && d.plural !== 'events') {
      throw new ApiError(403, 'Forbidden',
                         `${d.plural} "${''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  invalid(d, name, causes) {
    const kind = d.group ? `${d.kind}.${d.group}` : d.kind;
    const msgs = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const msg = `${kind} "${name}" is invalid: ${msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`}`;
    return new ApiError(422, 'Invalid', msg, { name, group: d.group, kind: d.kind, causes });
  }

  commit(d, type, obj, old) {
    const key = `${d.namespaced ? obj.metadata.namespace : ''}/${obj.metadata.name}`;
    const b = this.bucket(d);
    if (type === 'DELETED') {
      b.delete(key);
      this.byUid.delete(obj.metadata.uid);
    } else {
      b.set(key, obj);
      this.byUid.set(obj.metadata.uid, { storage: d.storage, key });
    }
    const ev = { rv: Number(obj.metadata.resourceVersion), storage: d.storage, type, obj, old };
    this.history.push(ev);
    if (this.history.length > this.opts.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.opts.historyLimit);
      this.compactedRv = dropped[dropped.length - 1].rv;
    }
    for (const w of this.watches) w.deliver(ev);
    for (const fn of this.listeners) {
      try {
        fn({ type, desc: d, obj: this.toExternal(d, obj), old: old && this.toExternal(d, old) });
      } catch (e) {
        this.log(`listener error: ${e.stack}`);
      }
    }
    if (type === 'DELETED' || obj.metadata.deletionTimestamp) this.scheduleGc();
  }

  // Schema, defaults and kind-specific admission for a new or updated object.
  admit(d, obj, old, o) {
    const meta = obj.metadata;
    if (!old) {
      if (!meta.name) {
        throw this.invalid(d, '', [{ field: 'metadata.name', reason: 'FieldValueRequired',
                                     message: 'Required value: name or generateName is required' }]);
      }
      const re = d.plural === 'namespaces' || d.plural === 'services' ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
      const max = d.plural === 'services' ? 63 : 253;
      if (!re.test(meta.name) || meta.name.length > max) {
        throw this.invalid(d, meta.name, [{
          field: 'metadata.name', reason: 'FieldValueInvalid',
          message: `Invalid value: "${meta.name}": a lowercase RFC 1123 ${re === DNS1123_LABEL ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`
        }]);
      }
    }
    for (const ref of meta.ownerReferences || []) {
      if (!ref.apiVersion || !ref.kind || !ref.name || !ref.uid) {
        throw this.invalid(d, meta.name, [{ field: 'metadata.ownerReferences', reason: 'FieldValueRequired',
                                            message: 'Required value: apiVersion, kind, name and uid must be set' }]);
      }
    }
    if ((meta.ownerReferences || []).filter((r) => r.controller).length > 1) {
      throw this.invalid(d, meta.name, [{ field: 'metadata.ownerReferences', reason: 'FieldValueInvalid',
                                          message: 'Invalid value: only one reference can have Controller set to true' }]);
    }
    if (d.schema) {
      const dropped = prune(obj, d.schema);
      if (dropped.length && o.fieldValidation === 'Strict') {
        throw new ApiError(400, 'BadRequest', `${d.kind} in version "${d.version}" cannot be handled as a ${d.kind}: strict decoding error: ${
          dropped.map((p) => `unknown field "${p}"`).join(', ')}`);
      }
      if (dropped.length) o.warnings?.push(...dropped.map((p) => `unknown field "${p}"`));
      applyDefaults(obj, d.schema);
      const errs = validate(obj, d.schema);
      if (errs.length) throw this.invalid(d, meta.name, errs);
    }
    const hook = ADMISSION[d.kind];
    if (hook && d.crd === null) hook.call(this, d, obj, old, o);
  }

  create(d, ns, input, o = {}) {
    this.checkNamespace(d, ns, true);
    let obj = this.toInternal(d, clone(input));
    if (!isObject(obj)) throw new ApiError(400, 'BadRequest', 'the body of the request was not an object');
    obj.metadata = obj.metadata || {};
    const meta = obj.metadata;
    if (d.namespaced) {
      if (meta.namespace && meta.namespace !== ns) {
        throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) {
      meta.name = meta.generateName + crypto.randomBytes(3).toString('hex').slice(0, 5);
    }
    if (meta.resourceVersion) {
      throw new ApiError(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    }
    obj.apiVersion = apiVersionOf(d);
    obj.kind = d.kind;
    if (d.group === 'events.k8s.io') obj.apiVersion = 'v1';
    this.admit(d, obj, null, o);
    if (this.getStored(d, ns, meta.name)) {
      throw new ApiError(409, 'AlreadyExists', `${groupResource(d)} "${meta.name}" already exists`,
                         { name: meta.name, group: d.group, kind: d.plural });
    }
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    if (d.generation || d.crd) meta.generation = 1;
    else delete meta.generation;
    if (d.status && d.crd && obj.status !== undefined && d.plural !== 'customresourcedefinitions') {
      // Custom resources with a status subresource ignore status on create.
      delete obj.status;
    }
    if (o.dryRun) return this.toExternal(d, obj);
    meta.resourceVersion = String(++this.rv);
    this.commit(d, 'ADDED', obj, null);
    this.afterWrite(d, obj, null);
    return this.toExternal(d, obj);
  }

  update(d, ns, input, o = {}) {
    const sub = o.subresource || '';
    let obj = this.toInternal(d, clone(input));
    if (!isObject(obj) || !isObject(obj.metadata)) throw new ApiError(400, 'BadRequest', 'the body of the request was not an object');
    const name = o.name || obj.metadata.name;
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    }
    const old = this.getStored(d, ns, name);
    if (!old) throw this.nameNotFound(d, name);  // no create-on-update in the double
    const rv = obj.metadata.resourceVersion;
    if (!rv && d.crd && !sub) {
      throw this.invalid(d, name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid',
                                     message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    if (rv && rv !== old.metadata.resourceVersion) throw this.conflict(d, name);
    let next;
    if (sub === 'status') {
      next = clone(old);
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      // Pods and namespaces take metadata changes along with status too; CRs don't.
    } else {
      next = obj;
      next.apiVersion = old.apiVersion;
      next.kind = old.kind;
      const m = next.metadata;
      const om = old.metadata;
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds',
                       'generation', 'namespace']) {
        if (om[k] === undefined) delete m[k];
        else m[k] = om[k];
      }
      delete m.managedFields;
      if (d.status) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      if (om.deletionTimestamp) {
        const added = (m.finalizers || []).filter((f) => !(om.finalizers || []).includes(f));
        if (added.length) {
          throw this.invalid(d, name, [{ field: 'metadata.finalizers', reason: 'FieldValueForbidden',
                                         message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}` }]);
        }
      }
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    this.admit(d, next, old, { ...o, subresource: sub });
    const specOf = (x) => canon({ ...x, metadata: undefined, status: undefined });
    if (next.metadata.generation !== undefined && specOf(next) !== specOf(old)) {
      next.metadata.generation = old.metadata.generation + 1;
    }
    if (canon(next) === canon(old)) return this.toExternal(d, old);  // no-op
    if (o.dryRun) return this.toExternal(d, next);
    next.metadata.resourceVersion = String(++this.rv);
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers || []).length &&
        !(d.plural === 'pods' && !o.force)) {
      this.commit(d, 'DELETED', next, old);
      this.afterWrite(d, null, old);
      return this.toExternal(d, next);
    }
    this.commit(d, 'MODIFIED', next, old);
    this.afterWrite(d, next, old);
    return this.toExternal(d, next);
  }

  conflict(d, name) {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResource(d)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
                        { name, group: d.group, kind: d.plural });
  }

  patch(d, ns, name, type, body, o = {}) {
    const sub = o.subresource || '';
    const cur = this.toExternal(d, this.getStored(d, ns, name));
    if (!cur) throw this.nameNotFound(d, name);
    const base = sub === 'scale' ? this.scaleOf(d, cur) : cur;
    let next;
    try {
      if (type === 'application/merge-patch+json') next = mergePatch(base, body);
      else if (type === 'application/json-patch+json') next = jsonPatch(base, body);
      else if (type === 'application/strategic-merge-patch+json') {
        if (d.crd) {
          throw new ApiError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources');
        }
        next = strategicMergePatch(base, body, d.kind);
      } else {
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(e.code, e.code === 400 ? 'BadRequest' : 'Invalid', e.message);
      throw e;
    }
    if (!isObject(next) || !isObject(next.metadata)) throw new ApiError(422, 'Invalid', 'patched object has no metadata');
    // A patch carries a resourceVersion only as a precondition; otherwise it applies to the
    // current object.
    if (!next.metadata.resourceVersion || next.metadata.resourceVersion === base.metadata.resourceVersion) {
      next.metadata.resourceVersion = cur.metadata.resourceVersion;
    }
    next.metadata.name = name;
    if (sub === 'scale') return this.updateScale(d, ns, name, next, o);
    return this.update(d, ns, next, { ...o, name });
  }

  scaleOf(d, obj) {
    const sc = d.scale;
    let selector = sc.labelSelectorPath ? jsonPathGet(obj, sc.labelSelectorPath) : undefined;
    if (!d.crd && obj.spec?.selector?.matchLabels) {
      selector = Object.entries(obj.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
    }
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid,
                  resourceVersion: obj.metadata.resourceVersion,
                  creationTimestamp: obj.metadata.creationTimestamp },
      spec: { replicas: jsonPathGet(obj, sc.specReplicasPath) ?? 0 },
      status: { replicas: jsonPathGet(obj, sc.statusReplicasPath) ?? 0,
                ...(selector ? { selector } : {}) }
    };
  }

  updateScale(d, ns, name, scale, o = {}) {
    const cur = this.toExternal(d, this.getStored(d, ns, name));
    if (!cur) throw this.nameNotFound(d, name);
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw this.conflict(d, name);
    const replicas = scale.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`);
    }
    setJsonPath(cur, d.scale.specReplicasPath, replicas);
    const out = this.update(d, ns, cur, { ...o, name, subresource: '' });
    return this.scaleOf(d, out);
  }

  delete(d, ns, name, o = {}) {
    const old = this.getStored(d, ns, name);
    if (!old) throw this.nameNotFound(d, name);
    const pre = o.preconditions || {};
    if (pre.uid && pre.uid !== old.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResource(d)} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResource(d)} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${old.metadata.resourceVersion}`);
    }
    const next = clone(old);
    const m = next.metadata;
    const fin = new Set(m.finalizers || []);
    const policy = o.propagationPolicy || (o.orphanDependents === true ? 'Orphan' : 'Background');
    if (policy === 'Foreground') fin.add('foregroundDeletion');
    if (policy === 'Orphan') fin.add('orphan');
    if (d.plural === 'namespaces') fin.add('kubernetes');
    if (d.plural === 'customresourcedefinitions') fin.add('customresourcecleanup.apiextensions.k8s.io');
    // Pods on a node terminate gracefully: the kubelet kills the process, then deletes for good.
    const grace = o.gracePeriodSeconds ?? old.spec?.terminationGracePeriodSeconds ?? 30;
    const graceful = d.plural === 'pods' && old.spec?.nodeName && grace > 0 &&
                     !['Succeeded', 'Failed'].includes(old.status?.phase) && !o.force;
    if (fin.size === 0 && !graceful) {
      if (o.dryRun) return { gone: true, obj: this.toExternal(d, old) };
      m.resourceVersion = String(++this.rv);
      this.commit(d, 'DELETED', next, old);
      this.afterWrite(d, null, old);
      return { gone: true, obj: this.toExternal(d, next) };
    }
    if (m.deletionTimestamp && [...fin].every((f) => (m.finalizers || []).includes(f))) {
      if (d.plural === 'pods' && o.gracePeriodSeconds === 0 && m.deletionGracePeriodSeconds !== 0) {
        m.deletionGracePeriodSeconds = 0;  // shorten the grace period
      } else {
        return { gone: false, obj: this.toExternal(d, old) };
      }
    }
    m.finalizers = [...fin];
    if (!m.finalizers.length) delete m.finalizers;
    if (!m.deletionTimestamp) {
      m.deletionTimestamp = graceful ? new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : now();
      m.deletionGracePeriodSeconds = graceful ? grace : 0;
      if (m.generation !== undefined) m.generation++;
    }
    if (d.plural === 'namespaces') next.status = { ...(next.status || {}), phase: 'Terminating' };
    if (o.dryRun) return { gone: false, obj: this.toExternal(d, next) };
    m.resourceVersion = String(++this.rv);
    this.commit(d, 'MODIFIED', next, old);
    this.afterWrite(d, next, old);
    return { gone: false, obj: this.toExternal(d, next) };
  }

  // Side effects of a committed write: CRD registration, PVC binding.
  afterWrite(d, obj, old) {
    if (d.plural === 'customresourcedefinitions' && d.group === 'apiextensions.k8s.io') {
      if (obj && !obj.metadata.deletionTimestamp) this.registerCrd(obj);
    }
    if (d.plural === 'persistentvolumeclaims' && obj && !obj.metadata.deletionTimestamp) {
      setImmediate(() => this.bindPvc(d, obj.metadata.namespace, obj.metadata.name));
    }
  }

  // The volume "provisioner": binds a claim at once and grows its capacity on resize.
  bindPvc(d, ns, name) {
    try {
      this.api.mutate(d, ns, name, (pvc) => {
        const want = pvc.spec?.resources?.requests?.storage;
        const status = { phase: 'Bound', accessModes: pvc.spec.accessModes || ['ReadWriteOnce'],
                         capacity: { storage: want } };
        if (JSON.stringify(pvc.status) === JSON.stringify(status)) return null;
        pvc.status = status;
        return pvc;
      }, { subresource: 'status' });
      this.api.mutate(d, ns, name, (pvc) => {
        if (pvc.spec.volumeName) return null;
        pvc.spec.volumeName = `pvc-${pvc.metadata.uid}`;
        return pvc;
      });
    } catch (e) {
      this.log(`bindPvc ${ns}/${name}: ${e.message}`);
    }
  }

  registerCrd(crd) {
    const spec = crd.spec;
    for (const v of spec.versions) {
      if (!v.served) continue;
      const storageVersion = spec.versions.find((x) => x.storage).name;
      this.addResource({
        group: spec.group, version: v.name, plural: spec.names.plural, kind: spec.names.kind,
        listKind: spec.names.listKind || `${spec.names.kind}List`, namespaced: spec.scope === 'Namespaced',
        singular: spec.names.singular || spec.names.kind.toLowerCase(),
        shortNames: spec.names.shortNames || [], categories: spec.names.categories || [],
        status: !!v.subresources?.status, scale: v.subresources?.scale || null, generation: true,
        storage: `${spec.group}/${spec.names.plural}`, schema: v.schema?.openAPIV3Schema || null,
        columns: v.additionalPrinterColumns || null, crd: crd.metadata.name, storageVersion
      });
    }
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    setImmediate(() => {
      try {
        const d = this.desc('apiextensions.k8s.io/v1', 'customresourcedefinitions');
        this.api.mutate(d, '', crd.metadata.name, (c) => {
          const t = now();
          c.status = {
            acceptedNames: c.spec.names,
            conditions: [
              { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: t },
              { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: t }
            ],
            storedVersions: c.spec.versions.filter((v) => v.storage).map((v) => v.name)
          };
          return c;
        }, { subresource: 'status' });
      } catch (e) {
        this.log(`establish ${crd.metadata.name}: ${e.message}`);
      }
    });
  }

  // ---- garbage collector, namespace and CRD cleanup ----

  scheduleGc() {
    if (this.gcTimer) return;
    this.gcTimer = setTimeout(() => {
      this.gcTimer = null;
      this.gc();
    }, 20);
  }

  allObjects() {
    const out = [];
    const byStorage = new Map();
    for (const d of this.resources.values()) {
      if (!byStorage.has(d.storage) && d.group !== 'events.k8s.io') byStorage.set(d.storage, d);
    }
    for (const [storage, d] of byStorage) for (const o of this.store.get(storage).values()) out.push({ d, o });
    return out;
  }

  gc() {
    let again = false;
    const all = this.allObjects();
    const dependents = new Map();
    for (const x of all) {
      for (const r of x.o.metadata.ownerReferences || []) {
        if (!dependents.has(r.uid)) dependents.set(r.uid, []);
        dependents.get(r.uid).push({ ...x, ref: r });
      }
    }
    const tryDo = (fn) => {
      try {
        fn();
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) this.log(`gc: ${e.stack}`);
        again = true;
      }
    };
    for (const { d, o } of all) {
      const m = o.metadata;
      const ns = m.namespace || '';
      // Dependents of an owner that is gone: delete (or drop the dangling reference).
      const refs = m.ownerReferences || [];
      if (refs.length && !m.deletionTimestamp) {
        const live = refs.filter((r) => this.byUid.has(r.uid));
        if (live.length === 0) {
          tryDo(() => this.delete(d, ns, m.name, { propagationPolicy: 'Background' }));
        } else if (live.length < refs.length) {
          tryDo(() => this.api.mutate(d, ns, m.name, (c) => {
            c.metadata.ownerReferences = c.metadata.ownerReferences.filter((r) => this.byUid.has(r.uid));
            return c;
          }));
        }
      }
      if (!m.deletionTimestamp) continue;
      const fins = m.finalizers || [];
      const deps = dependents.get(m.uid) || [];
      const dropFinalizer = (f) => tryDo(() => this.api.mutate(d, ns, m.name, (c) => {
        c.metadata.finalizers = (c.metadata.finalizers || []).filter((x) => x !== f);
        return c;
      }));
      if (fins.includes('orphan')) {
        for (const dep of deps) {
          tryDo(() => this.api.mutate(dep.d, dep.o.metadata.namespace || '', dep.o.metadata.name, (c) => {
            c.metadata.ownerReferences = (c.metadata.ownerReferences || []).filter((r) => r.uid !== m.uid);
            return c;
          }));
        }
        dropFinalizer('orphan');
        again = true;
      } else if (fins.includes('foregroundDeletion')) {
        for (const dep of deps) {
          if (!dep.o.metadata.deletionTimestamp) {
            tryDo(() => this.delete(dep.d, dep.o.metadata.namespace || '', dep.o.metadata.name,
                                    { propagationPolicy: 'Foreground' }));
          }
        }
        if (!deps.some((dep) => dep.ref.blockOwnerDeletion)) dropFinalizer('foregroundDeletion');
        again = true;
      }
      if (d.plural === 'namespaces' && fins.includes('kubernetes')) {
        const inside = all.filter((x) => x.d.namespaced && x.o.metadata.namespace === m.name);
        for (const x of inside) {
          if (!x.o.metadata.deletionTimestamp) tryDo(() => this.delete(x.d, m.name, x.o.metadata.name, { propagationPolicy: 'Background' }));
        }
        if (inside.length === 0) dropFinalizer('kubernetes');
        again = true;
      }
      if (d.plural === 'customresourcedefinitions' && fins.includes('customresourcecleanup.apiextensions.k8s.io')) {
        const storage = `${o.spec.group}/${o.spec.names.plural}`;
        const crs = [...(this.store.get(storage)?.values() || [])];
        const cd = [...this.resources.values()].find((r) => r.storage === storage);
        for (const cr of crs) {
          if (!cr.metadata.deletionTimestamp) tryDo(() => this.delete(cd, cr.metadata.namespace || '', cr.metadata.name, {}));
        }
        if (crs.length === 0) {
          for (const [k, r] of this.resources) if (r.storage === storage) this.resources.delete(k);
          dropFinalizer('customresourcecleanup.apiextensions.k8s.io');
        }
        again = true;
      }
    }
    if (again) this.scheduleGc();
  }

  // ---- HTTP ----

  async start() {
    if (this.opts.tokenFile) this.loadTokens();
    const handler = (req, res) => this.handle(req, res).catch((e) => {
      this.log(`handler crashed: ${e.stack}`);
      if (!res.headersSent) this.sendError(res, new ApiError(500, 'InternalError', String(e.message)));
      else res.destroy();
    });
    const listen = async (server, port) => {
      server.keepAliveTimeout = 60000;
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.opts.address, resolve);
      });
      return server.address().port;
    };
    // Plain HTTP for the operator under test; HTTPS (when given a key and certificate) for
    // kubectl, which sends bearer tokens over TLS only.
    this.server = http.createServer(handler);
    this.port = await listen(this.server, this.opts.port);
    this.url = `http://${this.opts.address}:${this.port}`;
    if (this.opts.tls) {
      this.tlsServer = https.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, handler);
      this.tlsPort = await listen(this.tlsServer, 0);
      this.tlsUrl = `https://${this.opts.address}:${this.tlsPort}`;
    }
    this.sweep = setInterval(() => this.gc(), 1000);
    this.bookmarks = setInterval(() => {
      for (const w of this.watches) w.bookmark();
    }, this.opts.bookmarkIntervalMs);
    this.log(`listening on ${this.url}${this.tlsUrl ? ` and ${this.tlsUrl}` : ''}`);
    return this;
  }

  async stop() {
    clearInterval(this.sweep);
    clearInterval(this.bookmarks);
    clearTimeout(this.gcTimer);
    for (const w of this.watches) w.close();
    for (const srv of [this.server, this.tlsServer]) {
      if (!srv) continue;
      srv.closeAllConnections?.();
      await new Promise((resolve) => srv.close(resolve));
    }
  }

  loadTokens() {
    // kube-apiserver --token-auth-file: token,user,uid[,"group1,group2"]
    this.tokens = new Map();
    for (const line of fs.readFileSync(this.opts.tokenFile, 'utf8').split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const [token, user, uid] = t.split(',');
      this.tokens.set(token, { user, uid });
    }
  }

  // Test control: the next `count` requests matching method and path regex answer `code`.
  injectFault({ method = '.*', path: p = '.*', code = 500, count = 1 }) {
    this.faults.push({ method: new RegExp(`^(${method})$`), path: new RegExp(p), code, count });
  }

  // Test control: forget the event history, so a watch from any earlier resourceVersion
  // gets 410 Expired; with `expireWatches`, also end every open watch with an ERROR 410.
  compact({ expireWatches = false } = {}) {
    this.history = [];
    this.compactedRv = this.rv;
    if (expireWatches) for (const w of this.watches) w.expire();
  }

  send(res, code, body, headers = {}) {
    const data = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data),
                          'Cache-Control': 'no-cache, private', ...headers });
    res.end(data);
  }

  sendError(res, e) {
    this.send(res, e.code, e.toStatus());
  }

  async readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > 3 * 1024 * 1024) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      chunks.push(c);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ApiError(400, 'BadRequest', `the server rejected our request due to an error in our request: ${e.message}`);
    }
  }

  async handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    res.on('finish', () => this.log(`${req.method} ${req.url} ${res.statusCode}`));
    if (['/healthz', '/livez', '/readyz'].includes(p)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end('ok');
    }
    if (this.tokens) {
      const auth = req.headers.authorization || '';
      const m = auth.match(/^Bearer\s+(\S+)$/i);
      if (!m || !this.tokens.has(m[1])) {
        return this.sendError(res, new ApiError(401, 'Unauthorized', 'Unauthorized'));
      }
    }
    for (const f of this.faults) {
      if (f.count > 0 && f.method.test(req.method) && f.path.test(p)) {
        f.count--;
        const reason = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
                         409: 'Conflict', 410: 'Expired' }[f.code] || 'Unknown';
        const headers = f.code === 429 ? { 'Retry-After': '1' } : {};
        this.faults = this.faults.filter((x) => x.count > 0);
        return this.send(res, f.code, new ApiError(f.code, reason, `injected fault ${f.code}`).toStatus(), headers);
      }
    }
    const ctype = (req.headers['content-type'] || '').split(';')[0].trim();
    if (ctype.includes('protobuf')) {
      return this.sendError(res, new ApiError(415, 'UnsupportedMediaType', 'the test API server accepts JSON bodies only'));
    }
    const accept = req.headers.accept || '*/*';
    if (!/json|\*\/\*/.test(accept)) {
      return this.sendError(res, new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json'));
    }
    try {
      if (p === '/version') {
        return this.send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-tern-test-double',
                                     gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
                                     buildDate: '2026-01-01T00:00:00Z', goVersion: 'none', compiler: 'none',
                                     platform: 'linux/amd64' });
      }
      if (p === '/api') {
        return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'],
                                     serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${this.opts.address}:${this.port}` }] });
      }
      if (p === '/apis') return this.send(res, 200, this.groupList());
      if (p.startsWith('/openapi/v3')) return this.openapi(res, p);
      if (p === '/openapi/v2') return this.sendError(res, new ApiError(404, 'NotFound', 'the server could not find the requested resource'));
      if (p.startsWith('/__test/')) return this.testControl(req, res, p);
      const parts = p.split('/').filter(Boolean);
      let group, version, rest;
      if (parts[0] === 'api') [group, version, rest] = ['', parts[1], parts.slice(2)];
      else if (parts[0] === 'apis') [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
      else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (parts[0] === 'apis' && parts.length === 2) {
        const g = this.groupList().groups.find((x) => x.name === group);
        if (!g) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
      }
      if (rest.length === 0) return this.send(res, 200, this.resourceList(group, version));
      return await this.resourceRequest(req, res, group, version, rest, q);
    } catch (e) {
      if (e instanceof ApiError) return this.sendError(res, e);
      throw e;
    }
  }

  groupList() {
    const groups = new Map();
    for (const d of this.resources.values()) {
      if (!d.group) continue;
      if (!groups.has(d.group)) groups.set(d.group, new Set());
      groups.get(d.group).add(d.version);
    }
    return {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: [...groups].map(([name, vs]) => {
        const versions = [...vs].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions, preferredVersion: versions[0] };
      })
    };
  }

  resourceList(group, version) {
    const resources = [];
    for (const d of this.resources.values()) {
      if (d.group !== group || d.version !== version) continue;
      resources.push({ name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind,
                       verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
                       ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
                       ...(d.categories.length ? { categories: d.categories } : {}) });
      if (d.status) {
        resources.push({ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind,
                         verbs: ['get', 'patch', 'update'] });
      }
      if (d.kind === 'Pod') {
        resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
      }
      if (d.scale) {
        resources.push({ name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling',
                         version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      }
    }
    if (!resources.length) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  // /openapi/v3: enough for kubectl to find each kind's PATCH operation (with the
  // fieldValidation parameter) and for `kubectl explain` of custom resources.
  openapi(res, p) {
    const gvs = new Map();
    for (const d of this.resources.values()) {
      const key = d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`;
      if (!gvs.has(key)) gvs.set(key, []);
      gvs.get(key).push(d);
    }
    if (p === '/openapi/v3') {
      const paths = {};
      for (const [k, ds] of gvs) {
        const hash = crypto.createHash('sha512').update(JSON.stringify(ds.map((d) => [d.plural, d.schema]))).digest('hex').toUpperCase();
        paths[k] = { serverRelativeURL: `/openapi/v3/${k}?hash=${hash}` };
      }
      return this.send(res, 200, { paths });
    }
    const key = p.slice('/openapi/v3/'.length);
    const ds = gvs.get(key);
    if (!ds) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const doc = { openapi: '3.0.0', info: { title: 'Kubernetes (tern test double)', version: 'v1.32.0' },
                  paths: {}, components: { schemas: {} } };
    const param = (name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
    for (const d of ds) {
      const gvk = { group: d.group, version: d.version, kind: d.kind };
      const ref = `${(d.group || 'core').split('.').reverse().join('.')}.${d.version}.${d.kind}`;
      const schema = d.schema ? clone(d.schema) : { type: 'object' };
      schema['x-kubernetes-group-version-kind'] = [gvk];
      doc.components.schemas[ref] = schema;
      const base = `/${key}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;
      const body = { content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } };
      const ok = { 200: { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } } };
      const op = (action, extra = {}) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk,
                                            responses: ok, ...extra });
      const patchTypes = { 'application/json-patch+json': { schema: { type: 'object' } },
                           'application/merge-patch+json': { schema: { type: 'object' } } };
      doc.paths[base] = {
        get: op('list', { parameters: [param('labelSelector'), param('fieldSelector'), param('watch')] }),
        post: op('post', { requestBody: body, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')] })
      };
      doc.paths[`${base}/{name}`] = {
        get: op('get'),
        put: op('put', { requestBody: body, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')] }),
        patch: op('patch', { requestBody: { content: patchTypes }, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation'), param('force')] }),
        delete: op('delete')
      };
    }
    return this.send(res, 200, doc);
  }

  async testControl(req, res, p) {
    const body = req.method === 'POST' ? await this.readBody(req) : null;
    if (p === '/__test/compact') {
      this.compact(body || {});
      return this.send(res, 200, { compactedRv: this.compactedRv });
    }
    if (p === '/__test/fault') {
      this.injectFault(body || {});
      return this.send(res, 200, { faults: this.faults.length });
    }
    throw new ApiError(404, 'NotFound', 'no such test control');
  }

  async resourceRequest(req, res, group, version, rest, q) {
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    let ns = '';
    if (rest[0] === 'namespaces' && rest.length >= 3 && this.resources.has(`${group}/${version}/${rest[2]}`) &&
        !(group === '' && ['status', 'finalize'].includes(rest[2]))) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest;
    const d = this.resources.get(`${group}/${version}/${plural}`);
    if (!d || rest.length > 3) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (ns && !d.namespaced) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (sub === 'log' && d.kind === 'Pod' && req.method === 'GET') {
      // `kubectl logs`: the kubelet double serves the process's output.
      const pod = this.api.get(d, ns, name);
      if (!pod) throw this.nameNotFound(d, name);
      const text = this.podLogs ? this.podLogs(ns, name, { previous: q.get('previous') === 'true' }) : null;
      if (text === null || text === undefined) {
        throw new ApiError(400, 'BadRequest', `container "${pod.spec.containers[0].name}" in pod "${name}" is waiting to start: ContainerCreating`);
      }
      const lines = q.has('tailLines') ? text.split('\n').slice(-Number(q.get('tailLines')) - 1).join('\n') : text;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end(lines);
    }
    if (sub && !((sub === 'status' && d.status) || (sub === 'scale' && d.scale))) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (d.namespaced && name && !ns) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const o = {
      dryRun: q.getAll('dryRun').includes('All'),
      fieldValidation: q.get('fieldValidation') || 'Warn',
      subresource: sub || '', warnings: []
    };
    const warn = () => (o.warnings.length ? { Warning: o.warnings.map((w) => `299 - "${w}"`).join(', ') } : {});
    const method = req.method;
    if (method === 'GET' && (watchPath || q.get('watch') === 'true' || q.get('watch') === '1')) {
      const sel = name ? `metadata.name=${name}` : q.get('fieldSelector');
      return this.watch(req, res, d, ns, q, sel);
    }
    if (method === 'GET' && !name) return this.list(req, res, d, ns, q);
    if (method === 'GET') {
      const obj = this.api.get(d, ns, name);
      if (!obj) throw this.nameNotFound(d, name);
      if (sub === 'scale') return this.send(res, 200, this.scaleOf(d, obj));
      if (wantsTable(req)) return this.send(res, 200, this.table(d, [obj], q));
      return this.send(res, 200, obj);
    }
    if (method === 'POST' && !name) {
      const body = await this.readBody(req);
      const out = this.create(d, ns, body, o);
      return this.send(res, 201, out, warn());
    }
    if (method === 'PUT' && name) {
      const body = await this.readBody(req);
      if (sub === 'scale') return this.send(res, 200, this.updateScale(d, ns, name, body, o));
      return this.send(res, 200, this.update(d, ns, body, { ...o, name }), warn());
    }
    if (method === 'PATCH' && name) {
      const body = await this.readBody(req);
      const type = (req.headers['content-type'] || '').split(';')[0].trim();
      if (type === 'application/apply-patch+yaml') {
        throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by the test API server');
      }
      if (q.get('force') && type !== 'application/apply-patch+yaml') {
        throw new ApiError(400, 'BadRequest', 'force is only valid for apply patches');
      }
      return this.send(res, 200, this.patch(d, ns, name, type, body, o), warn());
    }
    if (method === 'DELETE' && name) {
      const body = (await this.readBody(req)) || {};
      const opts = { ...o, propagationPolicy: body.propagationPolicy || q.get('propagationPolicy') || undefined,
                     orphanDependents: body.orphanDependents, preconditions: body.preconditions,
                     gracePeriodSeconds: body.gracePeriodSeconds ?? (q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : undefined) };
      const r = this.delete(d, ns, name, opts);
      return this.send(res, r.gone ? 200 : 202, r.obj);
    }
    if (method === 'DELETE' && !name) {
      const body = (await this.readBody(req)) || {};
      for (const obj of this.listObjects(d, ns, { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector') })) {
        try {
          this.delete(d, obj.metadata.namespace || '', obj.metadata.name, { ...o, propagationPolicy: body.propagationPolicy });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
    }
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  list(req, res, d, ns, q) {
    const items = this.listObjects(d, ns, { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector') })
      .map((o) => this.toExternal(d, o));
    let start = 0;
    const cont = q.get('continue');
    if (cont) {
      let c;
      try {
        c = JSON.parse(Buffer.from(cont, 'base64').toString('utf8'));
      } catch {
        throw new ApiError(400, 'BadRequest', 'continue key is not valid');
      }
      if (c.rv < this.compactedRv) {
        throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      start = items.findIndex((o) => `${o.metadata.namespace || ''}/${o.metadata.name}` > c.after);
      if (start < 0) start = items.length;
    }
    const limit = Number(q.get('limit') || 0);
    let page = items.slice(start);
    const meta = { resourceVersion: String(this.rv) };
    if (limit > 0 && page.length > limit) {
      page = page.slice(0, limit);
      const last = page[page.length - 1];
      meta.continue = Buffer.from(JSON.stringify({ rv: this.rv, after: `${last.metadata.namespace || ''}/${last.metadata.name}` })).toString('base64');
      meta.remainingItemCount = items.length - start - limit;
    }
    if (wantsTable(req)) return this.send(res, 200, { ...this.table(d, page, q), metadata: meta });
    return this.send(res, 200, { kind: d.listKind, apiVersion: apiVersionOf(d), metadata: meta, items: page });
  }

  table(d, objs, q) {
    const nameCol = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
    const ageCol = { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp', priority: 0 };
    let cols;
    let cells;
    const age = (o) => humanDuration(Date.now() - Date.parse(o.metadata.creationTimestamp));
    if (d.columns) {
      cols = [nameCol, ...d.columns.map((c) => ({ name: c.name, type: c.type, format: c.format || '',
                                                  description: c.description || '', priority: c.priority || 0 }))];
      cells = (o) => [o.metadata.name, ...d.columns.map((c) => {
        const v = jsonPathGet(o, c.jsonPath);
        if (c.type === 'date') return v ? humanDuration(Date.now() - Date.parse(v)) : '<unknown>';
        return v === undefined ? null : v;
      })];
    } else if (d.kind === 'Pod') {
      cols = [nameCol, { name: 'Ready', type: 'string', format: '', description: '', priority: 0 },
              { name: 'Status', type: 'string', format: '', description: '', priority: 0 },
              { name: 'Restarts', type: 'string', format: '', description: '', priority: 0 }, ageCol,
              { name: 'IP', type: 'string', format: '', description: '', priority: 1 }];
      cells = (o) => {
        const cs = o.status?.containerStatuses || [];
        const phase = o.metadata.deletionTimestamp ? 'Terminating' : o.status?.phase || 'Pending';
        return [o.metadata.name, `${cs.filter((c) => c.ready).length}/${o.spec?.containers?.length || 0}`, phase,
                String(cs.reduce((n, c) => n + (c.restartCount || 0), 0)), age(o), o.status?.podIP || '<none>'];
      };
    } else if (d.kind === 'StatefulSet') {
      cols = [nameCol, { name: 'Ready', type: 'string', format: '', description: '', priority: 0 }, ageCol];
      cells = (o) => [o.metadata.name, `${o.status?.readyReplicas || 0}/${o.spec?.replicas ?? 1}`, age(o)];
    } else {
      cols = [nameCol, ageCol];
      cells = (o) => [o.metadata.name, age(o)];
    }
    const include = q.get('includeObject') || 'Metadata';
    return {
      kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(this.rv) },
      columnDefinitions: cols,
      rows: objs.map((o) => ({
        cells: cells(o),
        object: include === 'Object' ? o
          : include === 'None' ? undefined
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata }
      }))
    };
  }

  watch(req, res, d, ns, q, fieldSelector) {
    const lm = parseLabelSelector(q.get('labelSelector'));
    const fm = parseFieldSelector(fieldSelector);
    const match = (o) => o && (!d.namespaced || !ns || o.metadata.namespace === ns) && lm(o) && fm(o);
    const rvParam = q.get('resourceVersion') || '';
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const initial = q.get('sendInitialEvents') === 'true';
    const timeout = q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds'))
      : this.opts.watchTimeoutSec * (1 + Math.random());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked',
                         'Cache-Control': 'no-cache, private' });
    res.flushHeaders?.();
    // `kubectl get -w` asks for Tables: each event's object is a one-row Table, the column
    // definitions in the first one only.
    const asTable = wantsTable(req);
    let columnsSent = false;
    const write = (type, object) => {
      if (res.writableEnded) return;
      if (asTable && type !== 'ERROR' && type !== 'BOOKMARK') {
        object = this.table(d, [object], q);
        if (columnsSent) object.columnDefinitions = [];
        columnsSent = true;
      }
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const self = this;
    const w = {
      closed: false,
      deliver(ev) {
        if (ev.storage !== d.storage || w.closed) return;
        const obj = self.toExternal(d, ev.obj);
        const old = ev.old ? self.toExternal(d, ev.old) : null;
        const now = match(obj), before = old ? match(old) : false;
        if (ev.type === 'ADDED' && now) write('ADDED', obj);
        else if (ev.type === 'DELETED' && (now || before)) write('DELETED', obj);
        else if (ev.type === 'MODIFIED') {
          if (now && before) write('MODIFIED', obj);
          else if (now) write('ADDED', obj);
          else if (before) write('DELETED', obj);
        }
      },
      bookmark() {
        if (bookmarks && !w.closed) {
          write('BOOKMARK', { kind: d.kind, apiVersion: apiVersionOf(d), metadata: { resourceVersion: String(self.rv) } });
        }
      },
      expire() {
        write('ERROR', new ApiError(410, 'Expired', `too old resource version: ${rvParam || 0} (${self.rv})`).toStatus());
        w.close();
      },
      close() {
        if (w.closed) return;
        w.closed = true;
        clearTimeout(w.timer);
        self.watches.delete(w);
        if (!res.writableEnded) res.end();
      }
    };
    if (rvParam && rvParam !== '0' && !initial) {
      const from = Number(rvParam);
      if (!Number.isFinite(from) || from < this.compactedRv) {
        write('ERROR', new ApiError(410, 'Expired', `too old resource version: ${rvParam} (${this.compactedRv + 1})`).toStatus());
        return res.end();
      }
      for (const ev of this.history) if (ev.rv > from) w.deliver(ev);
    } else {
      for (const o of this.listObjects(d, ns, { labelSelector: lm, fieldSelector: fm })) write('ADDED', this.toExternal(d, o));
      if (initial && bookmarks) {
        write('BOOKMARK', { kind: d.kind, apiVersion: apiVersionOf(d),
                            metadata: { resourceVersion: String(this.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } });
      }
    }
    this.watches.add(w);
    w.timer = setTimeout(() => w.close(), timeout * 1000);
    req.on('close', () => w.close());
    res.on('close', () => w.close());
  }
}

function wantsTable(req) {
  return /as=Table/.test(req.headers.accept || '');
}

// ---------------------------------------------------------------------------------------
// core/v1 Event <-> events.k8s.io/v1 Event.

function coreEventToEvents(e) {
  const out = { metadata: e.metadata, eventTime: e.eventTime ?? null, reason: e.reason, note: e.message,
                type: e.type, regarding: e.involvedObject, related: e.related, action: e.action,
                reportingController: e.reportingComponent, reportingInstance: e.reportingInstance,
                series: e.series, deprecatedSource: e.source, deprecatedFirstTimestamp: e.firstTimestamp,
                deprecatedLastTimestamp: e.lastTimestamp, deprecatedCount: e.count };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function eventsToCoreEvent(e) {
  const out = { metadata: e.metadata, involvedObject: e.regarding || {}, reason: e.reason, message: e.note,
                type: e.type, eventTime: e.eventTime, related: e.related, action: e.action,
                reportingComponent: e.reportingController, reportingInstance: e.reportingInstance,
                series: e.series, source: e.deprecatedSource, firstTimestamp: e.deprecatedFirstTimestamp,
                lastTimestamp: e.deprecatedLastTimestamp, count: e.deprecatedCount, _eventsV1: true };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

// ---------------------------------------------------------------------------------------
// Per-kind admission: defaults the real API server applies and the validations operators
// trip over (immutable fields).

function defaultPodSpec(spec) {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [...(spec.containers || []), ...(spec.initContainers || [])]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= /:latest$|^[^:]*$/.test(c.image || '') ? 'Always' : 'IfNotPresent';
    c.resources ??= {};
    for (const port of c.ports || []) port.protocol ??= 'TCP';
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      if (!probe) continue;
      probe.timeoutSeconds ??= 1;
      probe.periodSeconds ??= 10;
      probe.successThreshold ??= 1;
      probe.failureThreshold ??= 3;
      if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP';
    }
  }
  for (const v of spec.volumes || []) {
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.secret) v.secret.defaultMode ??= 420;
  }
}

function requireContainers(d, name, spec, field) {
  const cs = spec?.containers;
  if (!Array.isArray(cs) || cs.length === 0) {
    throw this.invalid(d, name, [{ field: `${field}.containers`, reason: 'FieldValueRequired', message: 'Required value' }]);
  }
  cs.forEach((c, i) => {
    if (!c.name) throw this.invalid(d, name, [{ field: `${field}.containers[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' }]);
    if (!c.image) throw this.invalid(d, name, [{ field: `${field}.containers[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' }]);
  });
}

const ADMISSION = {
  Namespace(d, obj, old) {
    obj.spec ??= { finalizers: ['kubernetes'] };
    if (!old) obj.status = { phase: 'Active' };
    obj.metadata.labels = { ...(obj.metadata.labels || {}), 'kubernetes.io/metadata.name': obj.metadata.name };
  },
  Pod(d, obj, old, o) {
    if (o.subresource === 'status') return;
    requireContainers.call(this, d, obj.metadata.name, obj.spec, 'spec');
    defaultPodSpec(obj.spec);
    if (!old) {
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      return;
    }
    // Pod specs are immutable but for images, activeDeadlineSeconds and added tolerations.
    const strip = (s) => {
      const c = clone(s);
      for (const x of [...(c.containers || []), ...(c.initContainers || [])]) delete x.image;
      delete c.activeDeadlineSeconds;
      delete c.tolerations;
      delete c.nodeName;  // binding
      return canon(c);
    };
    if (strip(obj.spec) !== strip(old.spec)) {
      throw this.invalid(d, obj.metadata.name, [{ field: 'spec', reason: 'FieldValueForbidden',
                                                  message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' }]);
    }
  },
  Service(d, obj, old, o) {
    if (o.subresource === 'status') return;
    const s = (obj.spec ??= {});
    s.type ??= 'ClusterIP';
    s.sessionAffinity ??= 'None';
    if (!s.ports?.length && s.clusterIP !== 'None') {
      throw this.invalid(d, obj.metadata.name, [{ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' }]);
    }
    for (const p of s.ports || []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
    if (old) {
      if (!s.clusterIP) s.clusterIP = old.spec.clusterIP;  // as the real server fills it back
      if (s.clusterIP !== old.spec.clusterIP) {
        throw this.invalid(d, obj.metadata.name, [{ field: 'spec.clusterIP', reason: 'FieldValueInvalid',
                                                    message: `Invalid value: "${s.clusterIP}": field is immutable` }]);
      }
    } else if (!s.clusterIP) {
      s.clusterIP = `10.96.${Math.floor(this.nextClusterIP / 250)}.${(this.nextClusterIP++ % 250) + 1}`;
    }
    s.clusterIPs = [s.clusterIP];
    s.ipFamilies ??= ['IPv4'];
    s.ipFamilyPolicy ??= 'SingleStack';
    s.internalTrafficPolicy ??= 'Cluster';
    if (!old) obj.status = { loadBalancer: {} };
  },
  StatefulSet(d, obj, old, o) {
    if (o.subresource === 'status') return;
    const s = (obj.spec ??= {});
    const name = obj.metadata.name;
    s.replicas ??= 1;
    s.podManagementPolicy ??= 'OrderedReady';
    s.updateStrategy ??= { type: 'RollingUpdate' };
    if (s.updateStrategy.type === 'RollingUpdate') s.updateStrategy.rollingUpdate ??= { partition: 0 };
    s.revisionHistoryLimit ??= 10;
    s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    const sel = s.selector?.matchLabels;
    const labels = s.template?.metadata?.labels || {};
    if (!sel || !Object.keys(sel).length) {
      throw this.invalid(d, name, [{ field: 'spec.selector', reason: 'FieldValueInvalid', message: 'Invalid value: "null": empty selector is invalid for statefulset' }]);
    }
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) {
      throw this.invalid(d, name, [{ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid',
                                     message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\`` }]);
    }
    requireContainers.call(this, d, name, s.template.spec, 'spec.template.spec');
    defaultPodSpec(s.template.spec);
    for (const t of s.volumeClaimTemplates || []) {
      t.apiVersion ??= 'v1';
      t.kind ??= 'PersistentVolumeClaim';
      t.spec ??= {};
      t.spec.volumeMode ??= 'Filesystem';
    }
    if (old) {
      const frozen = (x) => canon({ ...x.spec, replicas: 0, template: 0, updateStrategy: 0,
                                             persistentVolumeClaimRetentionPolicy: 0, minReadySeconds: 0, ordinals: 0 });
      if (frozen(obj) !== frozen(old)) {
        throw this.invalid(d, name, [{ field: 'spec', reason: 'FieldValueForbidden',
                                       message: "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" }]);
      }
    }
  },
  PersistentVolumeClaim(d, obj, old, o) {
    if (o.subresource === 'status') return;
    const s = (obj.spec ??= {});
    const name = obj.metadata.name;
    if (!s.resources?.requests?.storage) {
      throw this.invalid(d, name, [{ field: 'spec.resources[storage]', reason: 'FieldValueRequired', message: 'Required value' }]);
    }
    s.accessModes ??= ['ReadWriteOnce'];
    s.volumeMode ??= 'Filesystem';
    if (!old) {
      if (s.storageClassName === undefined) s.storageClassName = 'standard';
      obj.status = { phase: 'Pending' };
      return;
    }
    const strip = (x) => canon({ ...x.spec, resources: 0, volumeName: 0 });
    if (strip(obj) !== strip(old) || (old.spec.volumeName && obj.spec.volumeName !== old.spec.volumeName)) {
      throw this.invalid(d, name, [{ field: 'spec', reason: 'FieldValueForbidden',
                                     message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' }]);
    }
    const want = parseQuantity(s.resources.requests.storage);
    const had = parseQuantity(old.spec.resources.requests.storage);
    if (want < had) {
      throw this.invalid(d, name, [{ field: 'spec.resources.requests.storage', reason: 'FieldValueForbidden',
                                     message: 'Forbidden: field can not be less than status.capacity' }]);
    }
    if (want > had) {
      const sc = this.getStored(this.desc('storage.k8s.io/v1', 'storageclasses'), '', s.storageClassName);
      if (!sc?.allowVolumeExpansion) {
        throw new ApiError(403, 'Forbidden', `persistentvolumeclaims "${name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`);
      }
    }
  },
  PodDisruptionBudget(d, obj, old, o) {
    if (o.subresource === 'status') return;
    const s = obj.spec || {};
    if (s.minAvailable !== undefined && s.maxUnavailable !== undefined) {
      throw this.invalid(d, obj.metadata.name, [{ field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: minAvailable and maxUnavailable cannot be both set' }]);
    }
  },
  Event(d, obj) {
    if (obj._eventsV1) {
      delete obj._eventsV1;
      const causes = [];
      if (!obj.eventTime) causes.push({ field: 'eventTime', reason: 'FieldValueRequired', message: 'Required value' });
      if (!obj.reportingComponent) causes.push({ field: 'reportingController', reason: 'FieldValueRequired', message: 'Required value' });
      if (!obj.reportingInstance) causes.push({ field: 'reportingInstance', reason: 'FieldValueRequired', message: 'Required value' });
      if (!obj.action) causes.push({ field: 'action', reason: 'FieldValueRequired', message: 'Required value' });
      if (!obj.reason) causes.push({ field: 'reason', reason: 'FieldValueRequired', message: 'Required value' });
      if (obj.type && !['Normal', 'Warning'].includes(obj.type)) {
        causes.push({ field: 'type', reason: 'FieldValueNotSupported', message: `Unsupported value: "${obj.type}": supported values: "Normal", "Warning"` });
      }
      if (causes.length) throw this.invalid(d, obj.metadata.name, causes);
    }
    const io = obj.involvedObject || {};
    if (io.namespace && io.namespace !== obj.metadata.namespace) {
      throw this.invalid(d, obj.metadata.name, [{ field: 'involvedObject.namespace', reason: 'FieldValueInvalid',
                                                  message: `Invalid value: "${io.namespace}": does not match event.namespace` }]);
    }
  },
  CustomResourceDefinition(d, obj, old, o) {
    if (o.subresource === 'status') return;
    const s = obj.spec || {};
    const causes = [];
    const names = s.names || {};
    if (!s.group || !s.group.includes('.')) causes.push({ field: 'spec.group', reason: 'FieldValueInvalid', message: `Invalid value: "${s.group}": should be a domain with at least one dot` });
    if (!names.plural || !names.kind) causes.push({ field: 'spec.names', reason: 'FieldValueRequired', message: 'Required value: plural and kind' });
    if (obj.metadata.name !== `${names.plural}.${s.group}`) {
      causes.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${obj.metadata.name}": must be spec.names.plural+"."+spec.group` });
    }
    if (!['Namespaced', 'Cluster'].includes(s.scope)) causes.push({ field: 'spec.scope', reason: 'FieldValueNotSupported', message: `Unsupported value: "${s.scope}": supported values: "Cluster", "Namespaced"` });
    const versions = s.versions || [];
    if (versions.filter((v) => v.storage).length !== 1) causes.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version' });
    versions.forEach((v, i) => {
      const sch = v.schema?.openAPIV3Schema;
      if (!sch) {
        causes.push({ field: `spec.versions[${i}].schema.openAPIV3Schema`, reason: 'FieldValueRequired', message: 'Required value: schemas are required' });
        return;
      }
      for (const e of structuralErrors(sch, `spec.versions[${i}].schema.openAPIV3Schema`)) {
        causes.push({ field: '', reason: 'FieldValueInvalid', message: e });
      }
      const sc = v.subresources?.scale;
      if (sc && (!sc.specReplicasPath?.startsWith('.spec') || !sc.statusReplicasPath?.startsWith('.status'))) {
        causes.push({ field: `spec.versions[${i}].subresources.scale`, reason: 'FieldValueInvalid', message: 'Invalid value: specReplicasPath must be under .spec and statusReplicasPath under .status' });
      }
    });
    if (old && old.spec.group !== s.group) causes.push({ field: 'spec.group', reason: 'FieldValueInvalid', message: 'Invalid value: field is immutable' });
    if (causes.length) throw this.invalid(d, obj.metadata.name, causes);
    s.conversion ??= { strategy: 'None' };
    names.singular ??= names.kind.toLowerCase();
    names.listKind ??= `${names.kind}List`;
  }
};

// ---------------------------------------------------------------------------------------
// Helpers for tests.

export function writeKubeconfig(file, url, token, { namespace = 'default', ca = null } = {}) {
  fs.writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
- name: tern-test
  cluster:
    server: ${url}
${ca ? `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}\n` : ''}users:
- name: tern-test
  user:
    token: ${token}
contexts:
- name: tern-test
  context:
    cluster: tern-test
    user: tern-test
    namespace: ${namespace}
current-context: tern-test
`);
}

// A self-signed serving certificate for the address (made once per work dir with openssl).
function servingCert(workDir, address) {
  const key = path.join(workDir, `apiserver-${address}.key`);
  const cert = path.join(workDir, `apiserver-${address}.crt`);
  if (!fs.existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                             '-days', '3650', '-subj', '/CN=tern-test-apiserver',
                             '-addext', `subjectAltName=IP:${address},DNS:localhost`], { stdio: 'ignore' });
  }
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

// Starts a server with a fresh token. Returns { server, token, kubeconfig (https, for
// kubectl), kubeconfigHttp (plain http, for the operator under test) }.
export async function startApiServer({ workDir, address = '127.0.1.1', port = 0, ...rest }) {
  fs.mkdirSync(workDir, { recursive: true });
  const token = crypto.randomBytes(16).toString('hex');
  const tokenFile = path.join(workDir, 'tokens.csv');
  fs.writeFileSync(tokenFile, `${token},tern-test,1000,"system:masters"\n`);
  const tls = servingCert(workDir, address);
  const server = new ApiServer({ address, port, tokenFile, workDir, tls, ...rest });
  await server.start();
  const kubeconfig = path.join(workDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server.tlsUrl, token, { ca: tls.cert });
  const kubeconfigHttp = path.join(workDir, 'kubeconfig-http');
  writeKubeconfig(kubeconfigHttp, server.url, token);
  return { server, token, kubeconfig, kubeconfigHttp };
}

// Standalone mode. Not a top-level await: controllers.mjs imports this module, and a
// dynamic import of it would wait for this module's evaluation to finish.
async function main() {
  const args = process.argv.slice(2);
  const arg = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const workDir = path.resolve(arg('--work-dir', 'build/operator-double'));
  const { server, kubeconfig, kubeconfigHttp } = await startApiServer({ workDir, address: arg('--address', '127.0.1.1'),
                                                        port: Number(arg('--port', '0')) });
  if (arg('--ternd')) {
    const { startControllers } = await import('./controllers.mjs');
    await startControllers(server, { workDir, ternd: path.resolve(arg('--ternd')),
                                     podBase: arg('--pod-base', '127.0.1.10'),
                                     modulesDir: arg('--modules') });
  }
  if (arg('--crds')) {
    const { loadYamlDocs } = await import('./controllers.mjs');
    const dir = path.resolve(arg('--crds'));
    const crd = server.desc('apiextensions.k8s.io/v1', 'customresourcedefinitions');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      for (const doc of await loadYamlDocs(path.join(dir, f), arg('--modules'))) server.api.create(crd, '', doc);
    }
  }
  if (arg('--kubeconfig')) fs.copyFileSync(kubeconfig, path.resolve(arg('--kubeconfig')));
  process.stdout.write(`test API server on ${server.url} and ${server.tlsUrl}; kubeconfig (https) ${
    arg('--kubeconfig') || kubeconfig}, kubeconfig (http) ${kubeconfigHttp}\n`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => {
    await server.stop();
    process.exit(0);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(2);
  });
}
