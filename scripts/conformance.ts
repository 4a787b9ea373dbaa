// npm run conformance [-- ID...]: upstream's own end-to-end scenarios (the vendored
// test/fixtures/corpus/workflow-scenarios) against devcluster, with the real kubectl. For each scenario,
// on a copy and unmodified: `scripts/deploy.sh ID`, then `scripts/test.sh ID`; the PASS:/FAIL: lines of
// its test output are counted as upstream's test.sh counts them. Prints one line per scenario and a
// closing `N passed, M failed`. Scripts that start a server of their own get ours in WORKFLOW_SERVER
// (scripts/workflow-server.ts). Exits non-zero when a scenario fails that conformance-expectations.yaml
// does not expect to fail.
//
// The scenarios' scripts port-forward to fixed local ports (18080, 18081, 18020-18022), so when it may
// (root, or unprivileged user namespaces) the run happens in a network namespace of its own: nothing
// else on the machine can hold those ports, and nothing it starts outlives it.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startDevCluster } from '../devcluster/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXPECTATIONS = join(root, 'scripts', 'conformance-expectations.yaml');
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

export interface ScenarioResult {
  id: string;
  deployed: boolean;
  testExit: number | null;
  pass: number;
  fail: number;
  /** True when test.sh exited 0 with no FAIL and at least one PASS. */
  ok: boolean;
  /** Why the scenario is expected to fail (conformance-expectations.yaml), if it is. */
  expectedFailure?: string;
  /** deploy and test output. */
  logFile: string;
}

export interface ConformanceOptions {
  /** The workflow-scenarios folder (default: the vendored copy). */
  corpus?: string;
  /** Scenario ids (or unique prefixes such as "14"); default: all. */
  only?: string[];
  /** Where the copy, the cluster and the logs go (default: a temp dir, removed unless keep). */
  workDir?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export function loadExpectations(file = EXPECTATIONS): Record<string, string> {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  return Object.fromEntries(Object.entries(doc ?? {}).map(([id, why]) => [id, String(why)]));
}

export function countResults(output: string): { pass: number; fail: number } {
  const lines = output.split('\n');
  return {
    pass: lines.filter((l) => l.startsWith('PASS:')).length,
    fail: lines.filter((l) => l.startsWith('FAIL:')).length,
  };
}

function checkTools(): void {
  const missing = ['bash', 'python3', 'curl', 'kubectl'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length)
    throw new Error(`upstream's scenario scripts need ${missing.join(', ')} on PATH; install them and run again`);
}

function runScript(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      writeFileSync(log, chunk, { flag: 'a' });
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      take(
        Buffer.from(`\nconformance: ${args.join(' ')} did not finish within ${SCRIPT_TIMEOUT_MS / 60_000} minutes\n`),
      );
      killGroup(child.pid);
    }, SCRIPT_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      // the scripts background `kubectl port-forward`s and trap them on exit; make sure none is left
      killGroup(child.pid);
      resolvePromise({ code, output });
    });
  });
}

/**
 * Upstream's server binary for the scripts that start one of their own instead of using the cluster
 * (scenario 24's test/run.sh takes it from WORKFLOW_SERVER, else builds upstream's Go repository):
 * scripts/workflow-server.ts, our engine behind upstream's server flags, as an executable.
 */
export function writeServerCommand(dir: string): string {
  const file = join(dir, 'workflow-server');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [
    process.execPath,
    '--import',
    import.meta.resolve('tsx'),
    join(root, 'scripts', 'workflow-server.ts'),
  ];
  writeFileSync(file, `#!/bin/sh\nexec ${command.map(quote).join(' ')} "$@"\n`, { mode: 0o755 });
  return file;
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function runConformance(opts: ConformanceOptions = {}): Promise<ScenarioResult[]> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const corpus = resolve(
    opts.corpus ?? join(process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus'), 'workflow-scenarios'),
  );
  if (!existsSync(join(corpus, 'scripts', 'deploy.sh')))
    throw new Error(`${corpus} is not a workflow-scenarios checkout (no scripts/deploy.sh)`);
  checkTools();
  const expectations = loadExpectations();
  const work = opts.workDir ?? mkdtempSync(join(tmpdir(), 'wf-conformance-'));
  const copy = join(work, 'workflow-scenarios');
  rmSync(copy, { recursive: true, force: true });
  cpSync(corpus, copy, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', copy]);
  chmodSync(copy, 0o755);
  const logs = join(work, 'logs');
  mkdirSync(logs, { recursive: true });

  let ids = readdirSync(join(copy, 'scenarios')).filter((d) => existsSync(join(copy, 'scenarios', d, 'scenario.yaml')));
  ids.sort();
  if (opts.only?.length) {
    ids = ids.filter((id) => opts.only!.some((o) => id === o || id.startsWith(`${o}-`)));
    if (ids.length === 0) throw new Error(`no scenario matches ${opts.only.join(', ')}`);
  }

  const cluster = await startDevCluster({ dataDir: join(work, 'cluster') });
  log(`devcluster at ${cluster.url}; scenarios copied to ${copy}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    KUBECACHEDIR: join(work, 'kube-cache'),
    WORKFLOW_SERVER: writeServerCommand(work),
  };
  const results: ScenarioResult[] = [];
  try {
    for (const id of ids) {
      const logFile = join(logs, `${id}.log`);
      const deploy = await runScript(copy, ['scripts/deploy.sh', id], env, logFile);
      // test.sh runs even when deploy.sh failed, as a user would run it: some scenarios' tests set up
      // what their deploy step lacks (17's seed waits for a ConfigMap that only its test creates)
      const t = await runScript(copy, ['scripts/test.sh', id], env, logFile);
      const { pass, fail } = countResults(t.output);
      const result: ScenarioResult = {
        id,
        deployed: deploy.code === 0,
        testExit: t.code,
        pass,
        fail,
        ok: t.code === 0 && fail === 0 && pass > 0,
        logFile,
      };
      result.expectedFailure = expectations[id];
      results.push(result);
      log(describe(result));
      if (!result.ok) {
        const text = readFileSync(logFile, 'utf8');
        const failures = text.split('\n').filter((l) => l.startsWith('FAIL:'));
        const shown = failures.length ? failures : text.trimEnd().split('\n').slice(-15);
        for (const line of shown) log(`    ${line.slice(0, 300)}`);
      }
    }
  } finally {
    await cluster.stop();
    if (!opts.keep && !opts.workDir) rmSync(work, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  log(`${passed} passed, ${results.length - passed} failed`);
  for (const r of results) {
    if (!r.ok && r.expectedFailure) log(`expected to fail: ${r.id}: ${r.expectedFailure}`);
    if (r.ok && r.expectedFailure) log(`${r.id} now passes: remove it from scripts/conformance-expectations.yaml`);
  }
  return results;
}

function describe(r: ScenarioResult): string {
  const notes = [
    ...(r.deployed ? [] : ['deploy.sh failed']),
    ...(r.testExit !== 0 ? [`test.sh exited ${r.testExit}`] : []),
  ];
  return (
    `${r.ok ? 'PASS' : 'FAIL'} ${r.id}: ${r.pass} PASS, ${r.fail} ` +
    `FAIL${notes.length ? ` (${notes.join('; ')})` : ''}`
  );
}

/** Re-runs this script in a fresh network namespace with its loopback up, when the system allows it. */
function isolated(argv: string[]): void {
  if (process.env.WF_CONFORMANCE_ISOLATED || process.platform !== 'linux') return;
  const asRoot = process.getuid?.() === 0;
  const unshare = asRoot ? ['unshare', '--net'] : ['unshare', '--user', '--map-root-user', '--net'];
  const probe = spawnSync(unshare[0]!, [...unshare.slice(1), 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  if (probe.status !== 0) return;
  const child = spawnSync(
    unshare[0]!,
    [
      ...unshare.slice(1),
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      process.execPath,
      ...process.execArgv,
      ...argv,
    ],
    { stdio: 'inherit', env: { ...process.env, WF_CONFORMANCE_ISOLATED: '1' } },
  );
  process.exit(child.status ?? 1);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'usage: npm run conformance [-- [--keep] [--shared-network] [ID...]]\n' +
        "  runs upstream's workflow-scenarios (deploy.sh, then test.sh) against devcluster with the real kubectl\n",
    );
    return;
  }
  if (!args.includes('--shared-network')) isolated(process.argv.slice(1));
  const only = args.filter((a) => !a.startsWith('--'));
  const results = await runConformance({ only, keep: args.includes('--keep') });
  const unexpected = results.filter((r) => !r.ok && !r.expectedFailure);
  process.exitCode = unexpected.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    process.stderr.write(`conformance: ${err.message}\n`);
    process.exit(2);
  });
}
