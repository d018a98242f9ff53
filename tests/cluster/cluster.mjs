// Shared helpers of the cluster tests: ternd nodes on their own loopback addresses
// (127.0.0.71, .72, ...), each seeded with all the others, the official Node client, and
// the admin API to wait for a stable cluster.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import { killStale, log, startTernd } from '../compat/harness.mjs';

const require = createRequire(path.join(process.env.TERN_COMPAT_MODULES, 'tern-cluster.cjs'));
export const Aerospike = require('aerospike');
export { sleep, log };

export const NS = 'test';
export const SET = 'cl';

export function address(i) {
  return `127.0.0.${70 + i}`;
}

function yaml(i, seeds) {
  return (dataDir) => `# Written by tests/cluster for node ${i}.
node:
  address: ${address(i)}
  data_dir: ${dataDir}
  cluster_name: tern-cluster-test
cluster:
  seeds: [${seeds.map((s) => `${address(s)}:3001`).join(', ')}]
  heartbeat_interval_ms: 100
  heartbeat_timeout_beats: 10
namespaces:
  - name: ${NS}
    storage: memory
    replication_factor: 2
    nsup_period_sec: 0
  - name: bar
    storage: flash
    replication_factor: 2
    nsup_period_sec: 0
`;
}

// Stops a node an earlier, interrupted run left behind (it would join this run's cluster).
export function killLeftover(i) {
  const dir = path.join(process.env.TERN_CLUSTER_WORK_DIR, `node${i}`);
  if (fs.existsSync(dir)) killStale(path.join(dir, 'ternd.pid'), path.join(dir, 'tern.yaml'));
}

// Starts node i (1-based) seeded with nodes `seeds`. `as` = { uid, ternd, workDir } runs it as
// another user, from a binary and directory that user can reach.
export function startNode(i, seeds, keepData = false, as = {}) {
  return startTernd({ ternd: as.ternd || process.env.TERN_TERND,
                      workDir: as.workDir || process.env.TERN_CLUSTER_WORK_DIR,
                      name: `node${i}`, address: address(i), yaml: yaml(i, seeds), keepData,
                      uid: as.uid });
}

export async function info(i, command) {
  const res = await fetch(`http://${address(i)}:8080/v1/info/${command}`,
                          { signal: AbortSignal.timeout(5000) });
  return (await res.text()).trim();
}

export async function stats(i) {
  const out = {};
  for (const kv of (await info(i, 'statistics')).split(';')) {
    const [k, v] = kv.split('=');
    out[k] = v;
  }
  return out;
}

// Waits until every listed node says the cluster has `size` nodes, one key and no
// migrations left.
export async function waitStable(nodes, size, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const keys = await Promise.all(nodes.map((i) => info(i, `cluster-stable:size=${size}`)));
      if (keys.every((k) => !k.startsWith('ERROR') && k === keys[0])) return keys[0];
      last = keys.join(' ');
    } catch (e) {
      last = String(e);
    }
    await sleep(200);
  }
  throw new Error(`cluster of ${size} not stable within ${timeoutMs} ms: ${last}`);
}

export async function connect(nodes) {
  const policy = { totalTimeout: 4000, socketTimeout: 2000, maxRetries: 3 };
  return Aerospike.connect({
    hosts: nodes.map((i) => ({ addr: address(i), port: 3000 })),
    log: { level: Aerospike.log.OFF },
    policies: { read: policy, write: policy, scan: { totalTimeout: 30000, socketTimeout: 30000 } },
    tenderInterval: 250
  });
}

export function key(k) {
  return new Aerospike.Key(NS, SET, k);
}

// Runs `fn(i)` for i in [from, to) with `conc` in flight; returns the failures.
export async function forEach(from, to, conc, fn) {
  let next = from;
  const errors = [];
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < to) {
      const i = next++;
      try {
        await fn(i);
      } catch (e) {
        errors.push({ i, message: e.message, code: e.code });
      }
    }
  }));
  return errors;
}

// A closed-loop writer: keys `<prefix><n>` with value n, `conc` in flight, until stop().
// `acked` holds every key whose write was acknowledged; `errors` every failure with its time.
export function startWriter(client, prefix, conc = 16) {
  const w = { acked: new Map(), errors: [], running: true, n: 0 };
  w.done = Promise.all(Array.from({ length: conc }, async () => {
    while (w.running) {
      const n = w.n++;
      const k = `${prefix}${n}`;
      try {
        await client.put(key(k), { v: n });
        w.acked.set(k, n);
      } catch (e) {
        w.errors.push({ at: Date.now(), message: e.message, code: e.code });
      }
    }
  }));
  w.stop = async () => {
    w.running = false;
    await w.done;
  };
  return w;
}

// Every key of `expected` (key → value of bin v) reads back with its value.
export async function checkAll(client, expected) {
  const entries = [...expected.entries()];
  const bad = [];
  await forEach(0, entries.length, 64, async (i) => {
    const [k, v] = entries[i];
    try {
      const rec = await client.get(key(k));
      if (rec.bins.v !== v) bad.push(`${k}: ${rec.bins.v} != ${v}`);
    } catch (e) {
      bad.push(`${k}: ${e.message}`);
    }
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${entries.length} keys wrong`);
}

// Partitions node i masters in namespace NS, from its `replicas` answer.
export async function mastered(i) {
  const entry = (await info(i, 'replicas')).split(';').find((e) => e.startsWith(`${NS}:`));
  const cols = entry.slice(NS.length + 1).split(',');
  const bits = Buffer.from(cols[2], 'base64');
  let n = 0;
  for (const b of bits) for (let m = b; m; m &= m - 1) n++;
  return n;
}

// Records the scan of set SET returns.
export async function scanCount(client) {
  let n = 0;
  await new Promise((resolve, reject) => {
    const s = client.scan(NS, SET).foreach();
    s.on('data', () => n++);
    s.on('error', reject);
    s.on('end', resolve);
  });
  return n;
}
