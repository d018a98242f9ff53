// Mocha reporter for the official client's suite (used by run-official.mjs).
//
// It writes the same JSON document as mocha's built-in JSON reporter (`stats`, `tests`,
// `pending`, `failures`, `passes`, each test with title, fullTitle, file, duration, err) to
// the file given with `--reporter-option output=FILE`, with three differences the suite needs:
//  * it is also written when the process exits before the end of the run, with
//    `aborted: true` and the exit code: the suite's global `before` hook calls process.exit(1)
//    when the client cannot connect, and the runner's watchdog stops a run that hangs;
//  * values JSON cannot hold (BigInt in assertion errors, cycles) are written as strings
//    instead of making the reporter throw;
//  * one progress line per test file goes to stdout, prefixed with "[tern-compat]", so the
//    runner can echo progress while the rest of mocha's output goes to a log file.
// Each test also carries `type` ("test" or "hook") so hook failures can be told apart.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// The mocha that is running us: resolved from the suite's directory (the working directory).
const Mocha = require(require.resolve('mocha', { paths: [process.cwd()] }));
const Base = Mocha.reporters.Base;
const C = Mocha.Runner.constants;

function fileOf(runnable) {
  return runnable.file ? path.basename(runnable.file).replace(/\.[cm]?js$/, '') : 'test_helper';
}

function safeErr(err) {
  if (!err || typeof err !== 'object') return err === undefined ? {} : { message: String(err) };
  const out = {};
  for (const key of Object.getOwnPropertyNames(err)) {
    if (key === 'client') continue;
    out[key] = err[key];
  }
  return out;
}

function clean(runnable) {
  let fullTitle = runnable.title;
  try {
    fullTitle = runnable.fullTitle();
  } catch {}
  return {
    title: runnable.title,
    fullTitle,
    file: runnable.file,
    type: runnable.type,
    duration: runnable.duration,
    currentRetry: typeof runnable.currentRetry === 'function' ? runnable.currentRetry() : 0,
    speed: runnable.speed,
    err: safeErr(runnable.err)
  };
}

function stringify(obj) {
  const seen = new WeakSet();
  return JSON.stringify(obj, (key, value) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  }, 2);
}

class TernCompatReporter extends Base {
  constructor(runner, options = {}) {
    super(runner, options);
    const output = options.reporterOption && options.reporterOption.output;
    const doc = { tests: [], pending: [], failures: [], passes: [] };
    const perFile = new Map();
    let current = null;
    let written = false;

    const progress = (f) => {
      const c = perFile.get(f);
      process.stdout.write(`[tern-compat] ${f}: ${c.passing} passing, ${c.failing} failing, ` +
                           `${c.pending} pending\n`);
    };
    const count = (runnable, what) => {
      const f = fileOf(runnable);
      if (!perFile.has(f)) perFile.set(f, { passing: 0, failing: 0, pending: 0 });
      if (current !== null && current !== f) progress(current);
      current = f;
      perFile.get(f)[what]++;
    };
    const write = (extra) => {
      if (written) return;
      written = true;
      if (current !== null) progress(current);
      if (!output) return;
      const obj = { ...extra, stats: this.stats, ...doc };
      try {
        fs.mkdirSync(path.dirname(output), { recursive: true });
        fs.writeFileSync(output, stringify(obj));
      } catch (e) {
        process.stderr.write(`[tern-compat] could not write ${output}: ${e.message}\n`);
      }
    };

    runner.on(C.EVENT_TEST_END, (t) => doc.tests.push(clean(t)));
    runner.on(C.EVENT_TEST_PASS, (t) => { doc.passes.push(clean(t)); count(t, 'passing'); });
    runner.on(C.EVENT_TEST_FAIL, (t) => { doc.failures.push(clean(t)); count(t, 'failing'); });
    runner.on(C.EVENT_TEST_PENDING, (t) => { doc.pending.push(clean(t)); count(t, 'pending'); });
    runner.once(C.EVENT_RUN_END, () => write({}));
    // Only does something when the process exits before the end of the run.
    process.on('exit', (code) => write({ aborted: true, exitCode: code }));
    // The runner's watchdog stops a hanging run with SIGTERM: exit so the handler above runs.
    process.once('SIGTERM', () => process.exit(143));
  }
}

TernCompatReporter.description = 'mocha JSON document, also written on an early exit';
module.exports = TernCompatReporter;
