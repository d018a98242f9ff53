#!/usr/bin/env node
// Runs the cluster tests (tests/cluster/*.test.mjs, node's built-in test runner): each file
// starts its own ternd nodes on 127.0.0.7x and drives them with the official Node client.
//
//   node tests/cluster/run-cluster.mjs [--ternd PATH] [--work-dir DIR] [files...]
//
// Exit status: that of `node --test`, 2 when the harness could not run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModules, log, modulesDir, parseArgs } from '../compat/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const opts = parseArgs(process.argv.slice(2));

main().then((code) => process.exit(code), (err) => {
  log(`ERROR: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});

async function main() {
  await ensureModules(opts.workDir);
  const files = opts.rest.filter((a) => !a.startsWith('--'));
  const tests = files.length
    ? files.map((f) => path.resolve(f))
    : fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort()
        .map((f) => path.join(here, f));
  const workDir = path.join(opts.workDir, 'cluster');
  fs.mkdirSync(workDir, { recursive: true });
  const env = {
    ...process.env,
    TERN_TERND: opts.ternd,
    TERN_CLUSTER_WORK_DIR: workDir,
    TERN_COMPAT_MODULES: modulesDir(opts.workDir)
  };
  const args = ['--test', '--test-concurrency=1', '--test-timeout=300000', '--test-force-exit',
                '--test-reporter=spec', ...tests];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
}
