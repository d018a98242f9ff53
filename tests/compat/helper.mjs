// Shared helpers of our compat tests (*.test.mjs): the official client, loaded from the
// modules the harness installed in the build tree, and a client connected to the ternd the
// harness started (TERN_COMPAT_HOST / TERN_COMPAT_PORT).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.TERN_COMPAT_MODULES ||
                path.resolve(here, '..', '..', 'build', 'release', 'compat', 'node_modules');
const require = createRequire(path.join(modules, 'tern-compat.cjs'));

export const Aerospike = require('aerospike');
export const status = Aerospike.status;
export const op = Aerospike.operations;

export const HOST = process.env.TERN_COMPAT_HOST || '127.0.0.31';
export const PORT = Number(process.env.TERN_COMPAT_PORT || 3000);
export const NS = 'test';        // memory namespace
export const FLASH_NS = 'bar';   // flash namespace
export const NAMESPACES = [NS, FLASH_NS];

export function config(extra = {}) {
  const policy = { totalTimeout: 5000, socketTimeout: 5000, maxRetries: 1 };
  return {
    hosts: [{ addr: HOST, port: PORT }],
    log: { level: Aerospike.log.OFF },
    policies: {
      read: policy, write: policy, operate: policy, remove: policy, batch: policy,
      scan: { ...policy, totalTimeout: 20000, socketTimeout: 20000 }, info: policy
    },
    connTimeoutMs: 2000,
    ...extra
  };
}

export function connect(extra) {
  return Aerospike.connect(config(extra));
}

// A set name no other test (or earlier run) uses.
let counter = 0;
export function uniqueSet(prefix) {
  return `${prefix}_${process.pid.toString(36)}${Date.now().toString(36)}${(counter++).toString(36)}`;
}

export function key(set, k, ns = NS) {
  return new Aerospike.Key(ns, set, k);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Awaits `promise`, which must reject with an AerospikeError of the given status code.
export async function rejectsWith(promise, code, what = '') {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `${what} should fail with status ${code}, it succeeded`);
  assert.ok(error instanceof Aerospike.AerospikeError,
            `${what} should fail with an AerospikeError, got ${error && error.stack}`);
  assert.equal(error.code, code, `${what}: expected status ${code}, got ${error.code}: ${error.message}`);
  return error;
}

// TTL reported for a record written with `ttl` seconds a moment ago.
export function assertTtl(actual, ttl, slack = 3) {
  assert.ok(typeof actual === 'number', `ttl should be a number, got ${actual}`);
  assert.ok(actual <= ttl && actual >= ttl - slack, `ttl ${actual} should be about ${ttl}`);
}

// The partition a key falls in: the first 12 bits of its digest, little-endian.
export function partitionOf(k) {
  return (k.digest[0] | (k.digest[1] << 8)) & 0x0fff;
}

export async function scanAll(client, ns, set, options = {}, policy = {}) {
  const scan = client.scan(ns, set, options);
  return scan.results(policy);
}

// Polls `fn` until it returns true or `ms` elapse; asserts it became true.
export async function eventually(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await sleep(100);
  }
}
