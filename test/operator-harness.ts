// Shared by the operator's end-to-end suites: a devcluster in a temp dir, real kubectl against it,
// the CRD installed the way a user installs it, and the operator started in-process (or as a
// wfctl child process for the kill tests). Everything is torn down by stop().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startDevCluster, type DevCluster, type DevClusterOptions } from '../devcluster/index.ts';
import { engineImage } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';
import {
  engineConfigValidator,
  startEngineStandins,
  type EngineStandins,
  startOperator,
  type OperatorOptions,
  type RunningOperator,
} from '../operator/index.ts';

const exec = promisify(execFile);
export const repoRoot = new URL('../', import.meta.url).pathname;

export interface Harness {
  dir: string;
  cluster: DevCluster;
  kubeconfig: string;
  /** Runs kubectl against the cluster; rejects with kubectl's stderr on a non-zero exit. */
  kubectl(...args: string[]): Promise<string>;
  /** kubectl apply -f of YAML text. */
  apply(yaml: string): Promise<string>;
  json<T = any>(...args: string[]): Promise<T>;
  startOperator(opts?: Partial<OperatorOptions>): Promise<RunningOperator>;
  /** Stops and restarts the API server on the same data dir and port. */
  restartCluster(): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * What runs engine pods: the real engine (`wfctl run`, ~60 MB a pod), a ~1 MB stand-in that
   * answers every request with 200 (many apps), or nothing (pods never start).
   */
  pods?: 'engine' | 'standin' | 'none';
  /** More devcluster options (e.g. tokenAuthFile for users other than the kubeconfig's admin). */
  cluster?: Partial<DevClusterOptions>;
}

function nodeAgentOption(
  pods: HarnessOptions['pods'],
  standins: EngineStandins | undefined,
): Pick<DevClusterOptions, 'nodeAgent'> {
  if (pods === 'none') return { nodeAgent: false };
  if (standins) return { nodeAgent: { images: { 'workflow-engine': standins.runtime } } };
  return {};
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'wf-operator-e2e-'));
  const standins = opts.pods === 'standin' ? startEngineStandins() : undefined;
  const clusterOpts: DevClusterOptions = {
    dataDir: join(dir, 'cluster'),
    ...nodeAgentOption(opts.pods ?? 'engine', standins),
    ...opts.cluster,
  };
  let cluster = await startDevCluster(clusterOpts);
  const operators: RunningOperator[] = [];
  let files = 0;
  const kubectl = async (...args: string[]) => {
    try {
      const { stdout } = await exec('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], {
        cwd: repoRoot,
        timeout: 120_000,
        maxBuffer: 256 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
    }
  };
  const h: Harness = {
    dir,
    get cluster() {
      return cluster;
    },
    get kubeconfig() {
      return cluster.kubeconfigPath;
    },
    kubectl,
    async apply(yaml) {
      const file = join(dir, `manifest-${++files}.yaml`);
      writeFileSync(file, yaml);
      return kubectl('apply', '-f', file);
    },
    async json(...args) {
      return JSON.parse(await kubectl(...args, '-o', 'json'));
    },
    async startOperator(o = {}) {
      const op = await startOperator({
        kubeconfigPath: cluster.kubeconfigPath,
        defaultImage: engineImage,
        validateConfig: engineConfigValidator(corePlugins),
        leaderElection: false,
        metricsPort: 0,
        resyncMs: 60_000,
        logger: pino({ level: process.env.OPERATOR_LOG_LEVEL ?? 'silent' }),
        ...o,
      });
      operators.push(op);
      return op;
    },
    async restartCluster() {
      await cluster.stop();
      cluster = await startDevCluster({ ...clusterOpts, port: cluster.port });
    },
    async stop() {
      await Promise.allSettled(operators.map((o) => o.stop()));
      await cluster.stop().catch(() => undefined);
      await standins?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await kubectl('apply', '-k', 'crds');
  await kubectl('wait', '--for=condition=established', '--timeout=30s', 'crd/workflowapps.workflow.gocodealone.com');
  return h;
}

/**
 * A small WorkflowApp manifest (an HTTP server and router) for tests that need many or varied apps.
 * `spec` lines are added under spec:, e.g. "replicas: 2" or "plugins: [...]".
 */
export function appManifest(name: string, opts: { namespace?: string; spec?: string[] } = {}): string {
  return `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata: { name: ${name}, namespace: ${opts.namespace ?? 'default'} }
spec:
${(opts.spec ?? []).map((l) => `  ${l}\n`).join('')}  config: |
    modules:
      - name: server
        type: http.server
        config: { address: ":8080" }
      - name: router
        type: http.router
        dependsOn: [server]
`;
}

/** The condition of `type` in a WorkflowApp's status, if any. */
export const condition = (app: any, type: string) => app?.status?.conditions?.find((c: any) => c.type === type);

/** Polls `probe` until it returns a truthy value; fails with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<Exclude<T, false | undefined | null | '' | 0>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as Exclude<T, false | undefined | null | '' | 0>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ` +
          `${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `wfctl operator` as a child process (for SIGKILL): resolves once it logs that it leads or runs. */
export function spawnOperator(kubeconfig: string, args: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [join(repoRoot, 'bin/wfctl.js'), 'operator', '--kubeconfig', kubeconfig, '--metrics-addr', '127.0.0.1:0', ...args],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}
