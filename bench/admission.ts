// npm run bench -- admission [--rate 500] [--seconds 10] [--apps 200] [--rounds 2]
//
// 1. The validating webhook's latency at a fixed rate (open loop, default 500 requests/s) of
//    AdmissionReviews that create an app with a premium plugin in a licensed tenant (tenant lookup,
//    plugin tier, license, quotas, engine config validation: the whole decision), against the peer:
//    a no-op HTTPS handler in the same process that reads the body, parses it and allows, with the
//    same certificate, measured in the same run. The load comes from a child process
//    (bench/_admission-load.ts) and reports how many requests it sent late (its own bottleneck).
// 2. `kubectl apply -f` of N WorkflowApps (one file) with the webhooks registered vs without them
//    (the configurations deleted), alternating, on the same devcluster and operator.
// Targets: p99 < 10 ms and within 2x of the no-op; apply overhead within 1.2x.
import { execFile } from 'node:child_process';
import { createServer } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { startDevCluster } from '../devcluster/index.ts';
import { engineImage } from '../engine/index.ts';
import { generateKeyPair, issueLicense } from '../license/index.ts';
import {
  admissionFacts,
  decideWorkflowApp,
  engineConfigValidator,
  parseReview,
  reviewResponse,
  startOperator,
  webhookConfigurationNames,
} from '../operator/index.ts';
import { corePlugins } from '../plugins/index.ts';

const run = promisify(execFile);
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 10);
const APPS = arg('apps', 200);
const ROUNDS = arg('rounds', 2);
const root = new URL('..', import.meta.url).pathname;

interface Load {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  lateStarts: number;
}

const config = `modules:
  - name: server
    type: http.server
    config: { address: ":8080" }
  - name: router
    type: http.router
    dependsOn: [server]
`;

const dir = mkdtempSync(join(tmpdir(), 'bench-admission-'));
const cluster = await startDevCluster({ dataDir: join(dir, 'cluster'), nodeAgent: false });
const kubectl = async (...args: string[]) =>
  (await run('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], { cwd: root, maxBuffer: 64 << 20 })).stdout;
let op: Awaited<ReturnType<typeof startOperator>> | undefined;
try {
  await kubectl('apply', '-k', 'crds');
  await kubectl('wait', '--for=condition=established', 'crd/workflowtenants.workflow.gocodealone.com');
  const pair = generateKeyPair();
  const { token } = issueLicense({ tenant: 'bench', tier: 'enterprise', features: ['payments'] }, pair.privateKey);
  const namespaces = ['bench-load', ...Array.from({ length: ROUNDS }, (_, r) => [`with-${r}`, `without-${r}`]).flat()];
  op = await startOperator({
    kubeconfigPath: cluster.kubeconfigPath,
    defaultImage: engineImage,
    validateConfig: engineConfigValidator(corePlugins),
    leaderElection: false,
    metricsPort: null,
    logger: pino({ level: 'silent' }),
    tenancy: {
      tiers: { tier: (n) => (n === 'payments' ? 'premium' : undefined), known: true },
      license: { publicKey: pair.publicKey },
      webhook: { port: 0, host: '127.0.0.1', endpoint: 'local' },
    },
  });
  const tenantYaml = `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowTenant
metadata: { name: bench }
spec:
  namespaces: [${namespaces.join(', ')}]
  licenseSecretRef: { name: bench-license, namespace: bench-load }
  quotas: { maxApps: 100000, maxReplicas: 100000 }
`;
  writeFileSync(join(dir, 'tenant.yaml'), tenantYaml);
  await kubectl('apply', '-f', join(dir, 'tenant.yaml'));
  for (let i = 0; !(await kubectl('get', 'ns', 'bench-load').catch(() => '')); i++) {
    if (i > 200) throw new Error('the tenant namespace never appeared');
    await new Promise((r) => setTimeout(r, 100));
  }
  await kubectl('create', 'secret', 'generic', 'bench-license', '-n', 'bench-load', `--from-literal=license=${token}`);
  for (let i = 0; !op.tenants?.license('bench')?.valid; i++) {
    if (i > 200) throw new Error('the tenant license never became valid');
    await new Promise((r) => setTimeout(r, 100));
  }
  const tls = JSON.parse(
    await kubectl('get', 'secret', 'workflow-operator-webhook-tls', '-n', 'default', '-o', 'json'),
  );
  const pem = (k: string) => Buffer.from(tls.data[k], 'base64').toString();
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, pem('ca.crt'));

  // 1. latency at a fixed rate: the webhook vs a no-op handler
  const bodies = Array.from({ length: 500 }, (_, i) =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: `u-${i}`,
        kind: { group: 'workflow.gocodealone.com', version: 'v1alpha1', kind: 'WorkflowApp' },
        resource: { group: 'workflow.gocodealone.com', version: 'v1alpha1', resource: 'workflowapps' },
        operation: 'CREATE',
        namespace: 'bench-load',
        name: `load-${i}`,
        dryRun: true,
        userInfo: { username: 'bench', groups: [] },
        object: {
          apiVersion: 'workflow.gocodealone.com/v1alpha1',
          kind: 'WorkflowApp',
          metadata: { name: `load-${i}`, namespace: 'bench-load' },
          spec: { replicas: 1, plugins: [{ name: 'payments', version: '^1' }], config },
        },
        oldObject: null,
      },
    }),
  );
  const bodiesFile = join(dir, 'bodies.json');
  writeFileSync(bodiesFile, JSON.stringify(bodies));
  const noop = createServer({ cert: pem('tls.crt'), key: pem('tls.key') }, (req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const uid = (JSON.parse(raw) as { request: { uid: string } }).request.uid;
      const body = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid, allowed: true },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => noop.listen(0, '127.0.0.1', r));
  const noopUrl = `https://127.0.0.1:${(noop.address() as AddressInfo).port}/validate-workflowapp`;
  const webhookUrl = `${op.admission!.url}/validate-workflowapp`;
  const load = (url: string): Promise<Load> =>
    run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'bench/_admission-load.ts'),
        url,
        bodiesFile,
        String(RATE),
        String(SECONDS),
        caFile,
      ],
      {
        cwd: root,
      },
    ).then(({ stdout }) => JSON.parse(stdout) as Load);
  await load(webhookUrl); // warm-up: JIT, TLS sessions, the config validator's memo
  const results: Array<{ who: string; r: Load }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    results.push({ who: 'no-op handler', r: await load(noopUrl) });
    results.push({ who: 'webhook', r: await load(webhookUrl) });
  }
  noop.close();
  const f = (n: number) => n.toFixed(2);
  console.log(`\nwebhook latency at ${RATE} requests/s for ${SECONDS} s (open loop; child-process load generator)`);
  console.log('who             requests  errors  rps     p50 ms  p99 ms  max ms  late sends');
  for (const { who, r } of results)
    console.log(
      `${who.padEnd(16)}${String(r.requests).padEnd(10)}${String(r.errors).padEnd(8)}` +
        `${r.rps.toFixed(0).padEnd(8)}${f(r.p50).padEnd(8)}${f(r.p99).padEnd(8)}${f(r.max).padEnd(8)}${r.lateStarts}`,
    );
  const med = (who: string, k: 'p50' | 'p99') => {
    const xs = results
      .filter((x) => x.who === who)
      .map((x) => x.r[k])
      .sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  const p99 = med('webhook', 'p99');
  console.log(
    `webhook p50 ${f(med('webhook', 'p50'))} ms, p99 ${f(p99)} ms (target < 10); p99 vs no-op ` +
      `${(p99 / med('no-op handler', 'p99')).toFixed(2)}x (target <= 2x); p50 vs no-op ` +
      `${(med('webhook', 'p50') / med('no-op handler', 'p50')).toFixed(2)}x`,
  );

  // CPU per decision, in process (parse, decide over the caches, format): what the webhook adds to a
  // request whatever the machine's scheduling does to wall-clock latency.
  const view = op.tenants!;
  const check = await engineConfigValidator(corePlugins)(config, 'spec.config');
  const decideOnce = (raw: string) => {
    const review = parseReview(raw);
    return reviewResponse(review.uid, decideWorkflowApp(review, admissionFacts(view, Date.now(), check)));
  };
  for (let i = 0; i < 2000; i++) decideOnce(bodies[i % bodies.length]!);
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) decideOnce(bodies[i % bodies.length]!);
  const perCall = ((performance.now() - t0) * 1000) / n;
  console.log(`decision in process: ${perCall.toFixed(1)} µs per AdmissionReview (parse, decide, format; ${n} calls)`);

  // 2. kubectl apply of N apps with the webhooks vs without them
  const saved = [webhookConfigurationNames.validating, webhookConfigurationNames.mutating].map((name, i) => {
    const kind = i === 0 ? 'validatingwebhookconfiguration' : 'mutatingwebhookconfiguration';
    return { kind, name };
  });
  // (kubectl runs asynchronously: devcluster and the operator live in this process's event loop)
  const configFiles: string[] = [];
  for (const s of saved) {
    const obj = JSON.parse(await kubectl('get', s.kind, s.name, '-o', 'json'));
    obj.metadata = { name: obj.metadata.name, labels: obj.metadata.labels };
    const file = join(dir, `${s.name}.json`);
    writeFileSync(file, JSON.stringify(obj));
    configFiles.push(file);
  }
  const appsFile = (ns: string) => {
    const file = join(dir, `${ns}.yaml`);
    const docs = Array.from(
      { length: APPS },
      (_, i) => `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata: { name: app-${i}, namespace: ${ns} }
spec:
  replicas: 1
  plugins: [{ name: payments, version: "^1" }]
  config: |
${config
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`,
    );
    writeFileSync(file, docs.join('---\n'));
    return file;
  };
  const quiet = async () => {
    for (let i = 0; i < 600 && !(op!.controller()?.idle() && op!.tenantController()?.idle()); i++)
      await new Promise((r) => setTimeout(r, 100));
  };
  const timeApply = async (ns: string) => {
    const file = appsFile(ns);
    await quiet();
    const started = performance.now();
    await kubectl('apply', '-f', file);
    return (performance.now() - started) / 1000;
  };
  const applies: Array<{ webhook: boolean; seconds: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const webhook of order) {
      if (webhook) for (const file of configFiles) await kubectl('apply', '-f', file);
      else for (const s of saved) await kubectl('delete', s.kind, s.name, '--ignore-not-found');
      applies.push({ webhook, seconds: await timeApply(`${webhook ? 'with' : 'without'}-${round}`) });
    }
  }
  console.log(`\nkubectl apply -f of ${APPS} WorkflowApps (one file), operator running`);
  for (const a of applies)
    console.log(`${a.webhook ? 'with webhooks   ' : 'without webhooks'}  ${a.seconds.toFixed(2)} s`);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const withS = median(applies.filter((a) => a.webhook).map((a) => a.seconds));
  const withoutS = median(applies.filter((a) => !a.webhook).map((a) => a.seconds));
  console.log(`apply with webhooks / without: ${(withS / withoutS).toFixed(2)}x (target <= 1.2x)`);
} finally {
  await op?.stop();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
