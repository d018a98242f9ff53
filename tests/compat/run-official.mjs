#!/usr/bin/env node
// Runs the official Aerospike Node.js client's own mocha suite (the `test/` folder of the npm
// package aerospike@6.7.1) against a real ternd on 127.0.0.32, records per-file counts in
// <work>/results.json and compares them with tests/compat/baseline.json.
//
//   node tests/compat/run-official.mjs [--ternd PATH] [--work-dir DIR] [--update] [--strict]
//                                      [--files get,put,...]
//
// Fails (exit 1) when a file the baseline records as passing whole now has a failure, or when
// a file's passing count dropped, and the file does so again when run once more on its own
// (TERN_COMPAT_RETRY=0: no second run); exit 2 when the harness itself could not run the suite.
// --update (or TERN_COMPAT_UPDATE=1) rewrites baseline.json and the table in docs/compat.md
// from this run. --strict (TERN_COMPAT_STRICT=1) also fails while a target file does not pass
// whole. --files (TERN_COMPAT_FILES) runs only some files, for quick iteration: it compares
// only those files and cannot --update. See docs/compat.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_DIR, SOURCE_DIR, ensureModules, log, modulesDir, parseArgs, startTernd, tail, tcpOpen
} from './harness.mjs';

const CLIENT = 'aerospike@6.7.1';
const ADDRESS = process.env.TERN_COMPAT_OFFICIAL_ADDRESS || '127.0.0.32';
const SUITE_TIMEOUT_SEC = Number(process.env.TERN_COMPAT_SUITE_TIMEOUT_SEC || 780);
const BASELINE = path.join(SOURCE_DIR, 'baseline.json');
const DOC = path.join(REPO_DIR, 'docs', 'compat.md');
const REPORTER = path.join(SOURCE_DIR, 'mocha-reporter.cjs');
const RETRY = process.env.TERN_COMPAT_RETRY !== '0';

// The files that must pass whole (the issues' lists); the others are recorded too.
const TARGET_FILES = [
  'aerospike_module', 'get', 'put', 'remove', 'exists', 'key', 'select', 'operate',
  'bin_projection', 'remove_bin', 'batch_get', 'batch_exists', 'batch_read', 'batch_select',
  'batch_write', 'batch_remove', 'scan', 'truncate', 'info', 'double', 'bigint', 'error',
  'status', 'policy', 'command', 'config', 'client', 'connect_timeout', 'stats', 'utils',
  // issue 7 (indexes, queries) and issue 8 (collections, expressions, HLL, bits, geo, paths)
  'index', 'index_job', 'query', 'query_numeric_filter', 'query_string_filter', 'index_on_exp',
  'lists', 'maps', 'cdt_context', 'exp', 'exp_list', 'exp_map', 'exp_bit', 'exp_hll', 'hll',
  'bitwise', 'geojson', 'query_geojson_filter', 'query_geojson_filter_exp',
  'query_numeric_filter_exp', 'query_string_filter_exp', 'path_expressions', 'path_operations'
];

const opts = parseArgs(process.argv.slice(2));
let onlyFiles = process.env.TERN_COMPAT_FILES || '';
for (let i = 0; i < opts.rest.length; i++) {
  if (opts.rest[i] === '--files') onlyFiles = opts.rest[++i] || '';
  else {
    console.error(`unknown argument: ${opts.rest[i]}`);
    process.exit(2);
  }
}
const only = onlyFiles ? onlyFiles.split(',').map((s) => s.trim().replace(/\.js$/, '')) : null;

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`ERROR: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  });

async function main() {
  if (only && opts.update) throw new Error('--update needs a full run (no --files)');
  const outDir = path.join(opts.workDir, 'official');
  fs.mkdirSync(path.join(outDir, 'tmp'), { recursive: true });

  await ensureModules(opts.workDir);
  const pkgDir = path.join(modulesDir(opts.workDir), 'aerospike');
  compileSuite(pkgDir);

  // Every test file of the folder (the compiled .ts and the plain .js ones), sorted the way
  // mocha's --sort sorts them; a few tests depend on running in this order.
  let files = fs.readdirSync(path.join(pkgDir, 'test')).filter((f) => f.endsWith('.js')).sort();
  if (only) {
    const unknown = only.filter((f) => !files.includes(`${f}.js`));
    if (unknown.length) throw new Error(`no such test files: ${unknown.join(', ')}`);
    files = files.filter((f) => only.includes(f.replace(/\.js$/, '')));
  }
  const env = suiteEnv(outDir);

  // 1. Dry run: the tests each file defines (no hooks or tests are executed).
  const dryOut = path.join(outDir, 'dry-run.json');
  const dry = await runMocha({ pkgDir, env, files, out: dryOut, log: path.join(outDir, 'dry-run.log'),
                               extra: ['--dry-run'], quiet: true });
  if (!dry.json || dry.json.aborted || !dry.json.tests.length) {
    throw new Error(`mocha --dry-run of the suite failed (exit ${dry.code}); see ` +
                    `${path.join(outDir, 'dry-run.log')}:\n${tail(path.join(outDir, 'dry-run.log'), 30)}`);
  }

  // 2. The real run, against a fresh ternd.
  const node = await startTernd({ ternd: opts.ternd, workDir: opts.workDir, name: 'official-node',
                                  address: ADDRESS });
  const servicePortOpen = await tcpOpen(ADDRESS, 3000);
  log(`wire protocol port ${ADDRESS}:3000 ${servicePortOpen ? 'accepts connections' : 'is not listening'}`);
  log(`running ${files.length} files of the ${CLIENT} suite in one mocha invocation ` +
      `(log ${path.join(outDir, 'mocha.log')})`);
  const started = Date.now();
  const runOut = path.join(outDir, 'mocha-results.json');
  const run = await runMocha({ pkgDir, env, files, out: runOut, log: path.join(outDir, 'mocha.log'),
                               extra: ['--exit'], timeoutSec: SUITE_TIMEOUT_SEC });
  const durationSec = Math.round((Date.now() - started) / 100) / 10;
  let nodeExit = node.exited();

  const results = summarize({ files, dry: dry.json, run, durationSec, servicePortOpen,
                              terndVersion: node.version, terndExit: nodeExit,
                              mochaLog: path.join(outDir, 'mocha.log') });
  const resultsPath = path.join(opts.workDir, 'results.json');
  printSummary(results);
  if (nodeExit !== null) {
    // A run without its server compares nothing and must never become the baseline.
    fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
    await node.stop();
    throw new Error(`ternd pid ${node.pid} exited during the run (${JSON.stringify(nodeExit)}; ` +
                    `see ${node.log}): the results above are not comparable` +
                    (opts.update ? ', the baseline was not updated' : ''));
  }

  const baseline = readBaseline();
  let { regressions, improvements } = compare(baseline, results, only);
  for (const s of improvements) log(`improved: ${s}`);
  if (improvements.length && !opts.update) {
    log('record improvements with: TERN_COMPAT_UPDATE=1 ctest --preset release -R compat_official_suite');
  }

  // A regression must show twice: the files that regressed run once more (one mocha
  // invocation, same ternd) and only what regresses again fails the test. Timing-sensitive
  // tests (TTLs counted in whole seconds) can fail on a loaded 2-core machine.
  const retryNames = [...new Set(regressions.map((r) => r.file))]
    .filter((f) => files.includes(`${f}.js`)).sort();
  if (regressions.length && !opts.update && RETRY && retryNames.length) {
    for (const r of regressions) log(`regression in the full run: ${r.msg}`);
    log(`running the files that regressed once more: ${retryNames.join(', ')}`);
    const retryLog = path.join(outDir, 'retry.log');
    const retryFiles = retryNames.map((f) => `${f}.js`);
    const retryRun = await runMocha({ pkgDir, env, files: retryFiles, log: retryLog,
                                      out: path.join(outDir, 'retry-results.json'),
                                      extra: ['--exit'], timeoutSec: SUITE_TIMEOUT_SEC });
    const retryDry = { tests: dry.json.tests.filter((t) => retryNames.includes(fileName(t.file))) };
    const retried = summarize({ files: retryFiles, dry: retryDry, run: retryRun, durationSec: 0,
                                servicePortOpen, terndVersion: node.version, terndExit: node.exited(),
                                mochaLog: retryLog });
    const confirmed = compare(baseline, retried, retryNames).regressions;
    const flaky = retryNames.filter((f) => !confirmed.some((r) => r.file === f));
    if (flaky.length) log(`passed on the second run (flaky): ${flaky.join(', ')}`);
    results.retry = { files: retryNames, flaky, confirmed: confirmed.map((r) => r.msg),
                      counts: retried.files };
    regressions = confirmed;
  }
  nodeExit = node.exited();
  await node.stop();
  if (nodeExit !== null) {
    throw new Error(`ternd pid ${node.pid} exited during the second run of the regressed files ` +
                    `(${JSON.stringify(nodeExit)}; see ${node.log})`);
  }
  fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  log(`per-file results: ${resultsPath}`);

  let code = 0;
  if (regressions.length) {
    for (const r of regressions) log(`REGRESSION: ${r.msg}`);
    code = 1;
  }
  if (opts.strict) {
    const notWhole = TARGET_FILES.filter((f) => results.files[f] && !results.files[f].whole);
    if (notWhole.length) {
      log(`strict: target files not passing whole: ${notWhole.join(', ')}`);
      code = 1;
    }
  }
  if (opts.update) {
    writeBaseline(results);
    writeDoc(results);
    log(`updated ${path.relative(REPO_DIR, BASELINE)} and ${path.relative(REPO_DIR, DOC)}`);
    if (regressions.length) log('the regressions above are now in the baseline');
    code = opts.strict ? code : 0;
  }
  log(code === 0 ? 'compat_official_suite: OK (no regression against the baseline)'
                 : 'compat_official_suite: FAILED');
  return code;
}

function compileSuite(pkgDir) {
  const version = (m) =>
    JSON.parse(fs.readFileSync(path.join(modulesDir(opts.workDir), m, 'package.json'), 'utf8')).version;
  const want = `aerospike@${version('aerospike')} typescript@${version('typescript')}`;
  const stamp = path.join(pkgDir, 'test', '.tern-compiled');
  let have = '';
  try {
    have = fs.readFileSync(stamp, 'utf8').trim();
  } catch {}
  if (have === want && fs.existsSync(path.join(pkgDir, 'test', 'test_helper.js'))) return;
  log(`compiling the suite's TypeScript (${want}) in ${path.join(pkgDir, 'test')}`);
  const tsc = path.join(modulesDir(opts.workDir), 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'test'], { cwd: pkgDir, encoding: 'utf8' });
  const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
  if (out) log(`tsc reported:\n${out.split('\n').slice(0, 40).join('\n')}`);
  // tsc writes the .js files even with type errors; what matters is that they exist.
  if (!fs.existsSync(path.join(pkgDir, 'test', 'test_helper.js'))) {
    throw new Error(`tsc did not produce test/test_helper.js (status ${r.status})`);
  }
  fs.writeFileSync(stamp, want + '\n');
}

function suiteEnv(outDir) {
  const env = { ...process.env };
  // The suite reads its options from OPTIONS (util/options.ts): host, port, namespace, set.
  env.OPTIONS = `--host ${ADDRESS} --port 3000 --namespace test --set demo`;
  // metrics.ts reads the client version from here (as under `npm test`).
  env.npm_package_version = '6.7.1';
  // runInNewProcess writes its scripts with the `tmp` module: keep them in the build tree.
  env.TMPDIR = path.join(outDir, 'tmp');
  for (const k of ['AEROSPIKE_HOSTS', 'AEROSPIKE_VERSION_OVERRIDE', 'AEROSPIKE_CLIENT_CONFIG_URL',
                   'GLOBAL_CLIENT', 'NODE_OPTIONS', 'MOCHA_OPTIONS']) {
    delete env[k];
  }
  return env;
}

// One mocha invocation over `files` (in the given, sorted order) with our JSON reporter.
function runMocha({ pkgDir, env, files, out, log: logPath, extra, timeoutSec, quiet }) {
  fs.rmSync(out, { force: true });
  const mocha = path.join(modulesDir(opts.workDir), 'mocha', 'bin', 'mocha.js');
  const args = [mocha, ...extra, '--sort', '--reporter', REPORTER, '--reporter-option',
                `output=${out}`, ...files.map((f) => `test/${f}`)];
  const logStream = fs.createWriteStream(logPath);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: pkgDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const killOnExit = () => child.kill('SIGKILL');
    process.on('exit', killOnExit);
    let watchdog = false;
    let timer = null;
    if (timeoutSec) {
      timer = setTimeout(() => {
        watchdog = true;
        log(`the suite is still running after ${timeoutSec} s: stopping it ` +
            '(set TERN_COMPAT_SUITE_TIMEOUT_SEC to change)');
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15000).unref();
      }, timeoutSec * 1000);
    }
    let pending = '';
    child.stdout.on('data', (chunk) => {
      logStream.write(chunk);
      if (quiet) return;
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) if (l.startsWith('[tern-compat] ')) process.stdout.write(`  ${l.slice(14)}\n`);
    });
    child.stderr.on('data', (chunk) => logStream.write(chunk));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      logStream.end();
      let json = null;
      try {
        json = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {}
      resolve({ code, signal, watchdog, json });
    });
  });
}

const HOOK = /^"(before|after) (all|each)" hook/;

function fileName(file) {
  return file ? path.basename(file).replace(/\.js$/, '') : 'test_helper';
}

function summarize({ files, dry, run, durationSec, servicePortOpen, terndVersion, terndExit, mochaLog }) {
  const per = {};
  for (const f of files) {
    per[f.replace(/\.js$/, '')] = { tests: 0, passing: 0, failing: 0, pending: 0, not_run: 0,
                                    hook_failures: 0, whole: false };
  }
  const at = (file) => (per[fileName(file)] ??= { tests: 0, passing: 0, failing: 0, pending: 0,
                                                  not_run: 0, hook_failures: 0, whole: false });
  for (const t of dry.tests) at(t.file).tests++;
  const r = run.json;
  const firstErrors = {};
  if (r) {
    for (const t of r.passes) at(t.file).passing++;
    for (const t of r.pending) at(t.file).pending++;
    for (const t of r.failures) {
      const c = at(t.file);
      c.failing++;
      if (t.type === 'hook' || HOOK.test(t.title)) c.hook_failures++;
      const name = fileName(t.file);
      if (!firstErrors[name] && t.err && t.err.message) {
        firstErrors[name] = `${t.fullTitle}: ${String(t.err.message).split('\n')[0].slice(0, 200)}`;
      }
    }
  }
  const totals = { files: 0, files_whole: 0, tests: 0, passing: 0, failing: 0, pending: 0, not_run: 0 };
  for (const [name, c] of Object.entries(per)) {
    const failedTests = c.failing - c.hook_failures;
    c.not_run = Math.max(0, c.tests - c.passing - c.pending - failedTests);
    c.whole = c.tests > 0 && c.passing > 0 && c.failing === 0 && c.not_run === 0;
    if (firstErrors[name]) c.first_error = firstErrors[name];
    totals.files++;
    if (c.whole) totals.files_whole++;
    for (const k of ['tests', 'passing', 'failing', 'pending', 'not_run']) totals[k] += c[k];
  }

  let abortReason = null;
  const aborted = !r || !!r.aborted;
  if (run.watchdog) {
    abortReason = `stopped by the harness after ${SUITE_TIMEOUT_SEC} s`;
  } else if (aborted) {
    const text = fs.existsSync(mochaLog) ? fs.readFileSync(mochaLog, 'utf8') : '';
    if (/Client connection failed/.test(text)) {
      const m = text.match(/ERROR: (.*)/);
      abortReason = 'the suite exited in its global before hook (test_helper: client.connect() ' +
                    'or the info requests after it failed)' + (m ? `: ${m[1].slice(0, 200)}` : '');
    } else {
      abortReason = `mocha exited early (code ${run.code}, signal ${run.signal})`;
    }
  }
  const sorted = Object.fromEntries(Object.entries(per).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    client: CLIENT,
    date: new Date().toISOString(),
    ternd: { version: terndVersion, address: ADDRESS, service_port_open: servicePortOpen,
             exited_during_run: terndExit },
    run: { exit_code: run.code, aborted, abort_reason: abortReason, duration_sec: durationSec,
           partial: !!only },
    totals,
    targets: { files: TARGET_FILES.length,
               whole: TARGET_FILES.filter((f) => sorted[f] && sorted[f].whole).length },
    files: sorted
  };
}

function printSummary(res) {
  const t = res.totals;
  log(`${res.client} suite: ${t.tests} tests in ${t.files} files: ${t.passing} passing, ` +
      `${t.failing} failing, ${t.pending} pending, ${t.not_run} not run; ` +
      `${t.files_whole} files pass whole (${res.run.duration_sec} s)`);
  if (res.run.aborted) log(`the run was cut short: ${res.run.abort_reason}`);
  log(`target files passing whole: ${res.targets.whole}/${res.targets.files}`);
  const w = Math.max(...Object.keys(res.files).map((f) => f.length));
  process.stdout.write(`  ${'file'.padEnd(w)}  tests  pass  fail  pend  notrun  whole\n`);
  for (const [name, c] of Object.entries(res.files)) {
    const mark = TARGET_FILES.includes(name) ? '*' : ' ';
    process.stdout.write(`${mark} ${name.padEnd(w)}  ${String(c.tests).padStart(5)} ` +
                         `${String(c.passing).padStart(5)} ${String(c.failing).padStart(5)} ` +
                         `${String(c.pending).padStart(5)} ${String(c.not_run).padStart(7)}  ` +
                         `${c.whole ? 'yes' : 'no'}\n`);
  }
  process.stdout.write('  (* = a file that must pass whole)\n');
}

function readBaseline() {
  try {
    return JSON.parse(fs.readFileSync(BASELINE, 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return { files: {} };
    throw new Error(`cannot read ${BASELINE}: ${e.message}`);
  }
}

function compare(baseline, results, onlyFiles) {
  const regressions = [];
  const improvements = [];
  for (const [name, b] of Object.entries(baseline.files || {})) {
    if (onlyFiles && !onlyFiles.includes(name)) continue;
    const c = results.files[name];
    if (!c) {
      if (b.whole || b.passing > 0) regressions.push({ file: name, msg: `${name}: no longer part of the suite` });
      continue;
    }
    if (b.whole && !c.whole) {
      regressions.push({ file: name,
                         msg: `${name}: passed whole in the baseline, now ${c.failing} failing, ` +
                              `${c.not_run} not run` + (c.first_error ? ` (first: ${c.first_error})` : '') });
    }
    if (c.passing < b.passing) {
      regressions.push({ file: name, msg: `${name}: ${c.passing} passing, the baseline has ${b.passing}` });
    }
    if (c.passing > b.passing) improvements.push(`${name}: ${b.passing} -> ${c.passing} passing`);
    if (c.whole && !b.whole) improvements.push(`${name}: now passes whole`);
  }
  for (const [name, c] of Object.entries(results.files)) {
    if (!(name in (baseline.files || {})) && c.passing > 0) {
      improvements.push(`${name}: ${c.passing} passing (not in the baseline)`);
    }
  }
  return { regressions, improvements };
}

function writeBaseline(res) {
  const files = {};
  for (const [name, c] of Object.entries(res.files)) {
    files[name] = { passing: c.passing, whole: c.whole, tests: c.tests, failing: c.failing,
                    pending: c.pending, not_run: c.not_run };
  }
  const out = {
    comment: 'Written by tests/compat/run-official.mjs --update from a full run; see docs/compat.md. ' +
             'The run fails when a file with whole=true gets a failure or when passing drops.',
    client: res.client,
    date: res.date,
    ternd_version: res.ternd.version,
    service_port_open: res.ternd.service_port_open,
    aborted: res.run.aborted,
    abort_reason: res.run.abort_reason,
    totals: res.totals,
    targets: res.targets,
    files
  };
  fs.writeFileSync(BASELINE, formatBaseline(out));
}

// Indented JSON with one line per file, so a change of the baseline reads as a short diff.
function formatBaseline(obj) {
  const { files, ...rest } = obj;
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, '');
  const w = Math.max(...Object.keys(files).map((f) => f.length));
  const lines = Object.entries(files).map(([name, c]) =>
    `    ${(JSON.stringify(name) + ':').padEnd(w + 4)}${JSON.stringify(c).replace(/,"/g, ', "').replace(/":/g, '": ')}`);
  return `${head},\n  "files": {\n${lines.join(',\n')}\n  }\n}\n`;
}

const BEGIN = '<!-- BEGIN compat-results (generated by tests/compat/run-official.mjs --update) -->';
const END = '<!-- END compat-results -->';

function writeDoc(res) {
  const t = res.totals;
  const lines = [BEGIN, ''];
  lines.push(`Last recorded run: ${res.date.slice(0, 10)}, ternd ${res.ternd.version ?? '?'}, ` +
             `client ${res.client}; wire protocol port ` +
             `${res.ternd.service_port_open ? 'open' : 'not listening'}.`);
  lines.push('');
  lines.push(`- Tests: ${t.tests} in ${t.files} files: ${t.passing} passing, ${t.failing} failing, ` +
             `${t.pending} pending, ${t.not_run} not run.`);
  lines.push(`- Files passing whole: ${t.files_whole}; target files passing whole: ` +
             `${res.targets.whole}/${res.targets.files}.`);
  if (res.run.aborted) lines.push(`- The run was cut short: ${res.run.abort_reason}.`);
  lines.push('');
  lines.push('Target = one of the files that must pass whole. "Not run" = tests the run never reached ' +
             '(a failed `before` hook, or the suite exiting early).');
  lines.push('');
  lines.push('| file | target | tests | passing | failing | pending | not run | whole |');
  lines.push('|---|:-:|--:|--:|--:|--:|--:|:-:|');
  for (const [name, c] of Object.entries(res.files)) {
    lines.push(`| ${name} | ${TARGET_FILES.includes(name) ? 'yes' : ''} | ${c.tests} | ${c.passing} | ` +
               `${c.failing} | ${c.pending} | ${c.not_run} | ${c.whole ? 'yes' : 'no'} |`);
  }
  lines.push('', END);
  const block = lines.join('\n');
  let doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Compatibility\n';
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  if (b >= 0 && e > b) doc = doc.slice(0, b) + block + doc.slice(e + END.length);
  else doc = doc.replace(/\n*$/, '\n\n') + block + '\n';
  fs.writeFileSync(DOC, doc);
}
