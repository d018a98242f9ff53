// Installs tests/operator/package.json's pinned modules (yaml) into <work>/node_modules once,
// under a directory lock so parallel ctest runs never run npm in the same folder at once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function ensureOperatorModules(workDir) {
  fs.mkdirSync(workDir, { recursive: true });
  if (missing(workDir).length === 0) return path.join(workDir, 'node_modules');
  const lock = path.join(workDir, '.install-lock');
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {}
      if (owner && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      if (waited > 300000) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const still = missing(workDir);
    if (still.length) {
      process.stdout.write(`[operator] installing ${still.join(', ')} into ${workDir}/node_modules\n`);
      fs.copyFileSync(path.join(here, 'package.json'), path.join(workDir, 'package.json'));
      const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
                          { cwd: workDir, stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`npm install failed (status ${r.status})`);
      if (missing(workDir).length) throw new Error(`npm install left modules missing: ${missing(workDir).join(', ')}`);
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  return path.join(workDir, 'node_modules');
}
