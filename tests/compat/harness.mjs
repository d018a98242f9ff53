// Shared plumbing of the compat runners (run-ours.mjs, run-official.mjs): command line,
// installing the Node modules into the build tree, starting and stopping a real ternd on a
// loopback address.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.resolve(SOURCE_DIR, '..', '..');

export function log(msg) {
  process.stdout.write(`[compat] ${msg}\n`);
}

// --ternd PATH --work-dir DIR [--update] [--strict]; the environment may stand in for them.
export function parseArgs(argv) {
  const opts = {
    ternd: process.env.TERN_TERND || path.join(REPO_DIR, 'build/release/server/ternd'),
    workDir: process.env.TERN_COMPAT_WORK_DIR || path.join(REPO_DIR, 'build/release/compat'),
    update: process.env.TERN_COMPAT_UPDATE === '1',
    strict: process.env.TERN_COMPAT_STRICT === '1',
    rest: []
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ternd') opts.ternd = argv[++i];
    else if (a === '--work-dir') opts.workDir = argv[++i];
    else if (a === '--update') opts.update = true;
    else if (a === '--strict') opts.strict = true;
    else opts.rest.push(a);
  }
  opts.ternd = path.resolve(opts.ternd);
  opts.workDir = path.resolve(opts.workDir);
  fs.mkdirSync(opts.workDir, { recursive: true });
  return opts;
}

// ---------------------------------------------------------------------------------------
// Node modules: tests/compat/package.json (exact versions) installed into <work>/node_modules.

export function modulesDir(workDir) {
  return path.join(workDir, 'node_modules');
}

function wantedPackage() {
  return JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'package.json'), 'utf8'));
}

function missingModules(workDir) {
  const missing = [];
  for (const [name, version] of Object.entries(wantedPackage().dependencies)) {
    const file = path.join(modulesDir(workDir), name, 'package.json');
    let have = null;
    try {
      have = JSON.parse(fs.readFileSync(file, 'utf8')).version;
    } catch {}
    if (have !== version) missing.push(`${name}@${version}` + (have ? ` (have ${have})` : ''));
  }
  return missing;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A directory lock, so two runners (ctest -j) never run npm in the same folder at once.
export async function withLock(lockDir, fn) {
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {}
      if (owner && !alive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });  // left by a killed runner
        continue;
      }
      if (waited > 600000) throw new Error(`timed out waiting for ${lockDir}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

// Installs the pinned modules unless every one is already there at its pinned version.
export async function ensureModules(workDir) {
  if (missingModules(workDir).length === 0) return;
  await withLock(path.join(workDir, '.install-lock'), async () => {
    const missing = missingModules(workDir);
    if (missing.length === 0) return;
    log(`installing Node modules into ${modulesDir(workDir)}: ${missing.join(', ')}`);
    fs.copyFileSync(path.join(SOURCE_DIR, 'package.json'), path.join(workDir, 'package.json'));
    // --ignore-scripts: aerospike ships prebuilt bindings (lib/binding/node-v115-linux-x64 is
    // node 20's), its install script would only prune them or fall back to a source build.
    const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund',
                                '--loglevel=error'],
                        { cwd: workDir, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm install failed (status ${r.status})`);
    const still = missingModules(workDir);
    if (still.length) throw new Error(`npm install left modules missing: ${still.join(', ')}`);
  });
}

// ---------------------------------------------------------------------------------------
// ternd on a loopback address.

export function ternYaml({ address, dataDir }) {
  return `# Written by tests/compat/harness.mjs for a compat run.
node:
  address: ${address}
  data_dir: ${dataDir}
  cluster_name: tern-compat
logging:
  level: info
namespaces:
  - name: test
    storage: memory
    replication_factor: 1
    default_ttl: 0
    memory_size: 1G
    nsup_period_sec: 1
    max_record_size: 1M
  - name: bar
    storage: flash
    replication_factor: 1
    default_ttl: 0
    memory_size: 256M
    disk_size: 1G
    nsup_period_sec: 1
    max_record_size: 1M
`;
}

async function httpOk(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const body = await res.text();
    return res.ok ? body : null;
  } catch {
    return null;
  }
}

export function tcpOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

// Stops a ternd left running by an earlier, killed run of the same runner: its pid is in
// <dir>/ternd.pid and its command line names our config file.
export function killStale(pidFile, configPath) {
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8'));
  } catch {
    return;
  }
  if (pid > 0 && alive(pid)) {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {}
    if (cmdline.includes('ternd') && cmdline.includes(configPath)) {
      log(`stopping ternd pid ${pid} left by an earlier run`);
      process.kill(pid, 'SIGKILL');
    }
  }
  fs.rmSync(pidFile, { force: true });
}

// Starts ternd with a fresh data_dir under <workDir>/<name> (kept with `keepData`), on the
// config `yaml(dataDir)` returns (default ternYaml), and waits for /v1/ready.
// Returns { pid, address, log, version, stop(), kill() }; ternd is killed when this process
// exits.
// `uid`: run ternd as that user (its directory is handed to it) — the cluster partition test
// tells nodes apart in iptables rules by their owner.
export async function startTernd({ ternd, workDir, name, address, yaml, keepData = false, uid }) {
  if (!/^127\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`not a loopback address: ${address}`);
  if (!fs.existsSync(ternd)) throw new Error(`no ternd binary at ${ternd}`);
  const dir = path.join(workDir, name);
  const dataDir = path.join(dir, 'data');
  const configPath = path.join(dir, 'tern.yaml');
  const pidFile = path.join(dir, 'ternd.pid');
  const logPath = path.join(dir, 'ternd.log');
  fs.mkdirSync(dir, { recursive: true });
  killStale(pidFile, configPath);
  if (await httpOk(`http://${address}:8080/v1/health`)) {
    throw new Error(`something already answers on ${address}:8080; is another run going on?`);
  }
  if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.writeFileSync(configPath, yaml ? yaml(dataDir) : ternYaml({ address, dataDir }));
  if (uid !== undefined) {
    fs.chownSync(dir, uid, uid);
    fs.chownSync(configPath, uid, uid);
  }
  const logFd = fs.openSync(logPath, 'w');
  const child = spawn(ternd, ['--config', configPath],
                      { stdio: ['ignore', logFd, logFd], ...(uid !== undefined ? { uid, gid: uid } : {}) });
  fs.closeSync(logFd);
  fs.writeFileSync(pidFile, String(child.pid));
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const killNow = () => {
    if (exited === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {}
    }
  };
  process.on('exit', killNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      killNow();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }

  const node = {
    pid: child.pid,
    address,
    log: logPath,
    version: null,
    exited: () => exited,
    // kill -9, and wait until it is gone.
    async kill() {
      killNow();
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      fs.rmSync(pidFile, { force: true });
    },
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        for (let i = 0; i < 100 && exited === null; i++) await sleep(100);
        if (exited === null) {
          log(`ternd pid ${child.pid} did not stop in 10 s; killing it`);
          killNow();
          for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
        }
      }
      fs.rmSync(pidFile, { force: true });
      return exited;
    }
  };

  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(`ternd exited during start (${JSON.stringify(exited)}); see ${logPath}:\n` +
                      tail(logPath, 20));
    }
    const body = await httpOk(`http://${address}:8080/v1/health`);
    if (body && (await httpOk(`http://${address}:8080/v1/ready`))) {
      try {
        node.version = JSON.parse(body).version || null;
      } catch {}
      log(`ternd ${node.version ?? ''} pid ${child.pid} ready on ${address} (log ${logPath})`);
      return node;
    }
    await sleep(100);
  }
  await node.stop();
  throw new Error(`ternd not ready on ${address}:8080 within 30 s; see ${logPath}`);
}

export function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}
