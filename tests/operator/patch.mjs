// The three patch formats of the Kubernetes API, for the test API server (apiserver.mjs):
// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch with the
// patch merge keys of the built-in kinds kubectl and controllers touch.

export class PatchError extends Error {
  constructor(message, code = 422) {
    super(message);
    this.code = code;
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const clone = (v) => structuredClone(v);

// RFC 7386.
export function mergePatch(target, patch) {
  if (!isObject(patch)) return clone(patch);
  const out = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// RFC 6902.
export function jsonPatch(doc, ops) {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be a list of operations', 400);
  let root = clone(doc);
  const parse = (ptr) => {
    if (typeof ptr !== 'string' || (ptr !== '' && !ptr.startsWith('/'))) {
      throw new PatchError(`invalid JSON pointer ${JSON.stringify(ptr)}`, 400);
    }
    return ptr === '' ? [] : ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parent = (parts, op) => {
    let cur = root;
    for (const p of parts.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(p)];
      else if (isObject(cur)) cur = cur[p];
      else cur = undefined;
      if (cur === undefined) {
        throw new PatchError(`${op.op} operation does not apply: doc is missing path: ${op.path}`);
      }
    }
    return cur;
  };
  const get = (ptr, op) => {
    const parts = parse(ptr);
    if (parts.length === 0) return root;
    const par = parent(parts, op);
    const last = parts[parts.length - 1];
    const v = Array.isArray(par) ? par[Number(last)] : par?.[last];
    if (v === undefined) throw new PatchError(`${op.op} operation does not apply: doc is missing path: ${ptr}`);
    return v;
  };
  const remove = (ptr, op) => {
    const parts = parse(ptr);
    const par = parent(parts, op);
    const last = parts[parts.length - 1];
    if (Array.isArray(par)) {
      const i = Number(last);
      if (!Number.isInteger(i) || i < 0 || i >= par.length) {
        throw new PatchError(`${op.op} operation does not apply: doc is missing path: ${ptr}`);
      }
      return par.splice(i, 1)[0];
    }
    if (!isObject(par) || !(last in par)) {
      throw new PatchError(`${op.op} operation does not apply: doc is missing path: ${ptr}`);
    }
    const v = par[last];
    delete par[last];
    return v;
  };
  const add = (ptr, value, op, replace) => {
    const parts = parse(ptr);
    if (parts.length === 0) {
      root = value;
      return;
    }
    const par = parent(parts, op);
    const last = parts[parts.length - 1];
    if (Array.isArray(par)) {
      const i = last === '-' ? par.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > par.length || (replace && i >= par.length)) {
        throw new PatchError(`${op.op} operation does not apply: doc is missing path: ${ptr}`);
      }
      if (replace) par[i] = value;
      else par.splice(i, 0, value);
    } else if (isObject(par)) {
      if (replace && !(last in par)) {
        throw new PatchError(`replace operation does not apply: doc is missing key: ${ptr}`);
      }
      par[last] = value;
    } else {
      throw new PatchError(`${op.op} operation does not apply: doc is missing path: ${ptr}`);
    }
  };
  for (const op of ops) {
    if (!isObject(op)) throw new PatchError('json patch operation must be an object', 400);
    switch (op.op) {
      case 'add': add(op.path, clone(op.value), op, false); break;
      case 'remove': remove(op.path, op); break;
      case 'replace': add(op.path, clone(op.value), op, true); break;
      case 'move': { const v = remove(op.from, op); add(op.path, v, op, false); break; }
      case 'copy': add(op.path, clone(get(op.from, op)), op, false); break;
      case 'test':
        if (JSON.stringify(get(op.path, op)) !== JSON.stringify(op.value)) {
          throw new PatchError(`testing value ${op.path} failed`);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op.op}`, 400);
    }
  }
  return root;
}

// Patch merge keys (patchStrategy "merge") of the built-in types, by field name; `path` is the
// list of field names from the object root (array indices left out) so that the two kinds of
// `ports` differ. Fields not listed are replaced as a whole, as atomic lists are.
function mergeKeyOf(kind, path) {
  const field = path[path.length - 1];
  switch (field) {
    case 'containers': case 'initContainers': case 'ephemeralContainers':
    case 'volumes': case 'env': case 'imagePullSecrets': case 'resourceClaims':
      return 'name';
    case 'volumeMounts': return 'mountPath';
    case 'volumeDevices': return 'devicePath';
    case 'hostAliases': return 'ip';
    case 'podIPs': case 'hostIPs': return 'ip';
    case 'conditions': return 'type';
    case 'ownerReferences': return 'uid';
    case 'topologySpreadConstraints': return 'topologyKey';
    case 'ports':
      // Container ports merge on containerPort, Service ports on port.
      if (path.includes('containers') || path.includes('initContainers')) return 'containerPort';
      return kind === 'Service' ? 'port' : null;
    default: return null;
  }
}

// Primitive lists with patchStrategy merge (set-like union).
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

export function strategicMergePatch(original, patch, kind) {
  return smp(original, patch, kind, []);
}

function smp(orig, patch, kind, path) {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  let out = isObject(orig) ? { ...orig } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  const orders = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/')) orders[k.slice(17)] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice(25);
      if (Array.isArray(out[f])) {
        out[f] = out[f].filter((x) => !v.includes(x));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const sub = [...path, k];
    if (Array.isArray(v)) {
      out[k] = mergeList(out[k], v, kind, sub);
    } else if (isObject(v)) {
      const r = smp(out[k], v, kind, sub);
      if (r === undefined) delete out[k];
      else out[k] = r;
    } else {
      out[k] = v;
    }
  }
  for (const [f, order] of Object.entries(orders)) {
    if (Array.isArray(out[f])) out[f] = applyOrder(out[f], order, mergeKeyOf(kind, [...path, f]));
  }
  return out;
}

function mergeList(orig, patch, kind, path) {
  const field = path[path.length - 1];
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = Array.isArray(orig) ? [...orig] : [];
    for (const x of patch) if (!out.includes(x)) out.push(x);
    return out;
  }
  const key = mergeKeyOf(kind, path);
  if (!key || !Array.isArray(orig)) return patch.filter((e) => !(isObject(e) && e.$patch)).map(stripDirectives);
  const out = orig.map((e) => clone(e));
  for (const e of patch) {
    if (!isObject(e)) {
      out.push(e);
      continue;
    }
    const i = out.findIndex((o) => isObject(o) && o[key] === e[key]);
    if (e.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = smp(out[i], e, kind, path);
    } else {
      out.push(smp(undefined, e, kind, path));
    }
  }
  return out;
}

function applyOrder(list, order, key) {
  const id = (e) => (key && isObject(e) ? e[key] : JSON.stringify(e));
  const wanted = order.map((o) => (key && isObject(o) ? o[key] : JSON.stringify(o)));
  const rank = new Map(wanted.map((w, i) => [w, i]));
  const ordered = list.filter((e) => rank.has(id(e))).sort((a, b) => rank.get(id(a)) - rank.get(id(b)));
  const rest = list.filter((e) => !rank.has(id(e)));
  return [...ordered, ...rest];
}

function stripDirectives(v) {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
