// Shared by the devcluster suites: a cluster in a temp dir, a kubectl runner with its own HOME and
// discovery cache (so one run's cache never leaks into another), and small polling helpers.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster, type DevCluster, type DevClusterOptions } from '../devcluster/index.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  cluster: DevCluster;
  dataDir: string;
  home: string;
  /** Runs real kubectl against the cluster; never throws on a non-zero exit. */
  kubectl(
    args: string[],
    opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
  ): Promise<KubectlResult>;
  /** Like kubectl, but fails the test with kubectl's stderr on a non-zero exit. */
  ok(args: string[], input?: string): Promise<string>;
  restart(overrides?: Partial<DevClusterOptions>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * When the harness gives up on a kubectl run: 30 s, or 30 s past kubectl's own `--timeout=` (a wait,
 * a rollout status), so a slow, loaded machine gets kubectl's timeout error and never a kill before it.
 */
export function killDeadlineMs(args: string[]): number {
  const flag = args.map((a) => /^--timeout=(\d+)(ms|s|m)?$/.exec(a)).find((m) => m);
  if (!flag) return 30_000;
  const unit = { ms: 1, s: 1000, m: 60_000 }[(flag[2] ?? 's') as 'ms' | 's' | 'm'];
  return Number(flag[1]) * unit + 30_000;
}

export async function startTestCluster(options: Partial<DevClusterOptions> = {}): Promise<TestCluster> {
  const root = mkdtempSync(join(tmpdir(), 'devcluster-test-'));
  const dataDir = join(root, 'data');
  const home = join(root, 'home');
  const base: DevClusterOptions = { dataDir, nodeAgent: false, ...options } as DevClusterOptions;
  let cluster = await startDevCluster(base);
  const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<KubectlResult>((resolve) => {
      const child = execFile(
        'kubectl',
        ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', join(home, 'cache'), ...args],
        {
          env: { ...process.env, HOME: home, KUBECONFIG: '', ...opts.env },
          timeout: opts.timeoutMs ?? killDeadlineMs(args),
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  const handle: TestCluster = {
    get cluster() {
      return cluster;
    },
    dataDir,
    home,
    kubectl,
    async ok(args, input) {
      const r = await kubectl(args, { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async restart(overrides = {}) {
      await cluster.stop();
      cluster = await startDevCluster({ ...base, ...overrides });
    },
    async stop() {
      await cluster.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Watch streams open on the cluster's API server (its apiserver_registered_watchers gauge). */
export async function openWatches(tc: TestCluster): Promise<number> {
  const m = /^apiserver_registered_watchers (\d+)/m.exec(await tc.ok(['get', '--raw', '/metrics']));
  if (!m) throw new Error('apiserver_registered_watchers missing from /metrics');
  return Number(m[1]);
}

/** Starts a kubectl command that watches, and resolves once its watch is open on the server. */
export async function startWatching(
  tc: TestCluster,
  args: string[],
  opts?: { timeoutMs?: number },
): Promise<{ done: Promise<KubectlResult> }> {
  const before = await openWatches(tc);
  const done = tc.kubectl(args, opts);
  await eventually(async () => (await openWatches(tc)) > before, 30_000, `kubectl ${args[0]} to open its watch`);
  return { done };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const WORKFLOWAPP_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: workflowapps.example.com
spec:
  group: example.com
  names: {kind: WorkflowApp, listKind: WorkflowAppList, plural: workflowapps, singular: workflowapp, shortNames: [wfa]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Image, type: string, jsonPath: .spec.image}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [image]
            properties:
              image: {type: string, minLength: 1}
              replicas: {type: integer, minimum: 0, default: 1}
              tier: {type: string, enum: [free, pro]}
              plugins:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    version: {type: string}
          status:
            type: object
            properties:
              observedGeneration: {type: integer}
              conditions:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [type]
                items:
                  type: object
                  required: [type, status]
                  properties:
                    type: {type: string}
                    status: {type: string}
                    reason: {type: string}
                    message: {type: string}
                    observedGeneration: {type: integer}
                    lastTransitionTime: {type: string, format: date-time}
`;

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/**
 * A plain HTTPS request to the cluster (verifying its CA), for what kubectl cannot send. The path goes
 * on the wire as written (like `curl --path-as-is`): `%2e%2e` and `//` are not normalised away.
 */
export async function rawRequest(
  cluster: DevCluster,
  method: string,
  path: string,
  opts: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null } = {},
): Promise<RawResponse> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(cluster.url);
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    const token = opts.token === undefined ? cluster.token : opts.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    const req = request({ hostname, port, path, method, headers, ca: cluster.caCert, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
