#!/usr/bin/env node
// Runs our own compat tests (tests/compat/*.test.mjs, node's built-in test runner) with the
// official Aerospike Node.js client against a real ternd on 127.0.0.31.
//
//   node tests/compat/run-ours.mjs [--ternd PATH] [--work-dir DIR] [test files or node --test
//                                   options, e.g. tests/compat/kv.test.mjs
//                                   --test-name-pattern=generation]
//
// Exit status: that of `node --test` (0 = all passed), 2 when the harness could not run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, ensureModules, log, modulesDir, parseArgs, startTernd, tcpOpen } from './harness.mjs';

const ADDRESS = process.env.TERN_COMPAT_OURS_ADDRESS || '127.0.0.31';

const opts = parseArgs(process.argv.slice(2));

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`ERROR: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  });

async function main() {
  await ensureModules(opts.workDir);
  const outDir = path.join(opts.workDir, 'ours');
  fs.mkdirSync(outDir, { recursive: true });
  const node = await startTernd({ ternd: opts.ternd, workDir: opts.workDir, name: 'ours-node',
                                  address: ADDRESS });
  const open = await tcpOpen(ADDRESS, 3000);
  log(`wire protocol port ${ADDRESS}:3000 ${open ? 'accepts connections' : 'is not listening'}`);

  const files = opts.rest.filter((a) => !a.startsWith('--'));
  const flags = opts.rest.filter((a) => a.startsWith('--'));
  const tests = files.length
    ? files.map((f) => path.resolve(f))
    : fs.readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.test.mjs')).sort()
        .map((f) => path.join(SOURCE_DIR, f));
  const junit = path.join(outDir, 'junit.xml');
  const args = ['--test', '--test-concurrency=1', '--test-timeout=120000', '--test-force-exit',
                '--test-reporter=spec', '--test-reporter-destination=stdout',
                '--test-reporter=junit', `--test-reporter-destination=${junit}`, ...flags, ...tests];
  const env = {
    ...process.env,
    TERN_COMPAT_HOST: ADDRESS,
    TERN_COMPAT_PORT: '3000',
    TERN_COMPAT_MODULES: modulesDir(opts.workDir),
    TERN_COMPAT_TERND_LOG: node.log
  };
  log(`node ${args.slice(0, 8).join(' ')} ... (${tests.length} files; JUnit report ${junit})`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
    const killOnExit = () => child.kill('SIGKILL');
    process.on('exit', killOnExit);
    child.on('close', (c, signal) => {
      process.removeListener('exit', killOnExit);
      resolve(c ?? (signal ? 1 : 0));
    });
  });
  const nodeExit = node.exited();
  await node.stop();
  if (nodeExit !== null) {
    log(`ternd exited during the tests: ${JSON.stringify(nodeExit)}; see ${node.log}`);
    return code || 1;
  }
  log(code === 0 ? 'compat_ours: OK' : `compat_ours: FAILED (node --test exit ${code})`);
  return code;
}
