// Installs tests/operator/package.json's pinned modules (yaml) into <work>/node_modules once,
// under a directory lock so parallel ctest runs never run npm in the same folder at once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLock } from '../compat/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function missing(workDir) {
  const want = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).dependencies;
  return Object.entries(want).filter(([name, version]) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(workDir, 'node_modules', name, 'package.json'), 'utf8')).version !== version;
    } catch {
      return true;
    }
  }).map(([n, v]) => `${n}@${v}`);
}

export async function ensureOperatorModules(workDir) {
  fs.mkdirSync(workDir, { recursive: true });
  if (missing(workDir).length === 0) return path.join(workDir, 'node_modules');
  await withLock(path.join(workDir, '.install-lock'), () => {
    const still = missing(workDir);
    if (still.length) {
      process.stdout.write(`[operator] installing ${still.join(', ')} into ${workDir}/node_modules\n`);
      fs.copyFileSync(path.join(here, 'package.json'), path.join(workDir, 'package.json'));
      const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
                          { cwd: workDir, stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`npm install failed (status ${r.status})`);
      if (missing(workDir).length) throw new Error(`npm install left modules missing: ${missing(workDir).join(', ')}`);
    }
  });
  return path.join(workDir, 'node_modules');
}
