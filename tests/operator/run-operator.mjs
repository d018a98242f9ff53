#!/usr/bin/env node
// Runs the operator tests (tests/operator/*.test.mjs, node's built-in test runner) against
// the test Kubernetes API server double (apiserver.mjs), its StatefulSet controller and
// kubelet (controllers.mjs, real ternd processes on 127.0.1.x), the real kubectl and the
// real tern-operator binary.
//
//   node tests/operator/run-operator.mjs --ternd PATH --operator PATH --work-dir DIR
//        [--kubectl PATH] files...
//
// Exit status: that of `node --test`, 2 when the harness could not run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModules, log, modulesDir } from '../compat/harness.mjs';
import { ensureHelm } from './helm.mjs';
import { ensureOperatorModules } from './modules.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const buildDir = path.resolve(opt('--work-dir', path.join(here, '../../build/release')));
const ternd = path.resolve(opt('--ternd', path.join(buildDir, 'server/ternd')));
const operator = path.resolve(opt('--operator', path.join(buildDir, 'operator/tern-operator')));
let kubectl = opt('--kubectl', '/usr/bin/kubectl');
const needClient = opt('--client', 'yes') === 'yes';

main().then((code) => process.exit(code), (err) => {
  log(`ERROR: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});

async function main() {
  const compatDir = path.join(buildDir, 'compat');
  fs.mkdirSync(compatDir, { recursive: true });
  if (needClient) await ensureModules(compatDir);
  const workDir = path.join(buildDir, 'operator-tests');
  const operatorModules = await ensureOperatorModules(workDir);
  if (!fs.existsSync(kubectl)) {
    // No kubectl on the machine: the 1.32.3 one from the npm package that also has helm.
    kubectl = path.join(path.dirname(await ensureHelm(workDir)), 'kubectl');
    log(`no kubectl given; using ${kubectl}`);
  }
  const tests = args.filter((a) => !a.startsWith('--')).map((f) => path.resolve(here, f));
  const env = {
    ...process.env,
    TERN_TERND: ternd,
    TERN_OPERATOR: operator,
    TERN_KUBECTL: kubectl,
    TERN_OPERATOR_WORK_DIR: workDir,
    TERN_OPERATOR_MODULES: operatorModules,
    TERN_COMPAT_MODULES: modulesDir(compatDir)
  };
  fs.mkdirSync(workDir, { recursive: true });
  const nodeArgs = ['--test', '--test-concurrency=1', '--test-timeout=300000', '--test-force-exit',
                    '--test-reporter=spec', ...tests];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, { env, stdio: 'inherit' });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
}
