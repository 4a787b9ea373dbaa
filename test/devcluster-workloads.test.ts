// Workloads on devcluster with the real kubectl: Jobs complete (completions, parallelism, Indexed)
// or fail at their backoff limit, a CronJob fires on its schedule and `kubectl create job --from`
// works, a StatefulSet keeps ordinal names and one claim per ordinal across pod deletion, scaling and
// `kubectl rollout restart`, and a DaemonSet runs one pod on the node and rolls it on a template
// change. A tiny node script stands in for the image (`exit N` completes, `serve` serves HTTP).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestCluster, type TestCluster } from './devcluster-harness.ts';

const TASK = `
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [mode, ...rest] = process.argv.slice(2);
if (mode === 'exit') {
  const index = process.env.JOB_COMPLETION_INDEX ?? '-';
  console.log('task ' + process.env.HOSTNAME + ' index=' + index + ' exiting ' + (rest[0] ?? 0));
  process.exit(Number(rest[0] ?? 0));
}
const server = createServer((req, res) => {
  if (req.url === '/readyz') return res.writeHead(200).end('ok');
  if (req.url === '/whoami') return res.writeHead(200).end(process.env.HOSTNAME + ' ' + (process.env.VERSION ?? ''));
  const file = join(process.env.DATA ?? '/nonexistent', req.url.slice(1));
  if (req.method === 'PUT') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { writeFileSync(file, Buffer.concat(chunks)); res.writeHead(201).end(); });
    return;
  }
  try { res.writeHead(200).end(readFileSync(file)); } catch { res.writeHead(404).end('missing'); }
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

let tc: TestCluster;
let scriptDir: string;

before(async () => {
  scriptDir = mkdtempSync(join(tmpdir(), 'devcluster-task-'));
  const script = join(scriptDir, 'task.mjs');
  writeFileSync(script, TASK);
  tc = await startTestCluster({
    nodeAgent: {
      images: { task: { command: [process.execPath, script, '{{command}}', '{{args}}'], template: true } },
      restartBackoff: { initialMs: 200, maxMs: 1000 },
      maxGraceMs: 2000,
    },
  });
});
after(async () => {
  await tc?.stop();
  rmSync(scriptDir, { recursive: true, force: true });
});

const json = async (args: string[]) => JSON.parse(await tc.ok([...args, '-o', 'json']));
const conditions = (o: { status?: { conditions?: Array<{ type: string; status: string; reason?: string }> } }) =>
  Object.fromEntries((o.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason ?? ''}`]));

test('a Job completes: completions and parallelism, Completed pods, logs, tracking finalizers released', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: batch/v1
kind: Job
metadata: {name: hello}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: task, image: task:1, args: [exit, "0"]}]
`,
  );
  await tc.ok(['wait', '--for=condition=complete', 'job/hello', '--timeout=60s']);
  const job = await json(['get', 'job', 'hello']);
  assert.equal(job.status.succeeded, 3);
  assert.ok(job.status.completionTime);
  assert.deepEqual(
    { complete: conditions(job).Complete, criteria: conditions(job).SuccessCriteriaMet },
    { complete: 'True/CompletionsReached', criteria: 'True/CompletionsReached' },
  );
  assert.match(job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], /^[0-9a-f-]{36}$/);
  assert.match(await tc.ok(['get', 'jobs']), /hello\s+Complete\s+3\/3/);
  const pods = (await json(['get', 'pods', '-l', 'job-name=hello'])).items;
  assert.equal(pods.length, 3);
  for (const p of pods) assert.equal(p.status.phase, 'Succeeded');
  assert.match(await tc.ok(['get', 'pods', '-l', 'job-name=hello']), /0\/1\s+Completed/);
  await eventually(
    async () =>
      (await json(['get', 'pods', '-l', 'job-name=hello'])).items.every(
        (p: { metadata: { finalizers?: string[] } }) => !p.metadata.finalizers?.length,
      ),
    30_000,
    'job-tracking finalizers removed',
  );
  assert.match(await tc.ok(['logs', 'job/hello']), /exiting 0/);
  await tc.ok(['delete', 'job', 'hello']);
  await eventually(
    async () => (await tc.ok(['get', 'pods', '-l', 'job-name=hello', '-o', 'name'])).trim() === '',
    60_000,
    'pods collected',
  );
});

test('a failing Job stops at its backoff limit; kubectl create job (protobuf) runs a command to the end', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: batch/v1
kind: Job
metadata: {name: broken}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: task, image: task:1, args: [exit, "3"]}]
`,
  );
  await tc.ok(['wait', '--for=condition=failed', 'job/broken', '--timeout=60s']);
  const job = await json(['get', 'job', 'broken']);
  assert.equal(job.status.failed, 2, 'the first try and one retry');
  assert.equal(conditions(job).Failed, 'True/BackoffLimitExceeded');
  assert.equal(job.status.completionTime, undefined);
  assert.match(await tc.ok(['describe', 'job', 'broken']), /BackoffLimitExceeded/);
  assert.match(await tc.ok(['get', 'pods', '-l', 'job-name=broken']), /0\/1\s+Error/);

  await tc.ok(['create', 'job', 'quick', '--image=task:1', '--', 'exit', '0']);
  await tc.ok(['wait', '--for=condition=complete', 'job/quick', '--timeout=60s']);
  const badRestart = await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: batch/v1
kind: Job
metadata: {name: always}
spec: {template: {spec: {restartPolicy: Always, containers: [{name: t, image: task:1}]}}}
`,
  });
  assert.match(
    badRestart.stderr,
    /spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/,
  );
});

test('an Indexed Job runs each completion index once', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: batch/v1
kind: Job
metadata: {name: indexed}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers: [{name: task, image: task:1, args: [exit, "0"]}]
`,
  );
  await tc.ok(['wait', '--for=condition=complete', 'job/indexed', '--timeout=60s']);
  const job = await json(['get', 'job', 'indexed']);
  assert.equal(job.status.completedIndexes, '0-2');
  const logs = await tc.ok(['logs', '-l', 'job-name=indexed', '--prefix=false']);
  for (const i of [0, 1, 2]) assert.match(logs, new RegExp(`index=${i} exiting 0`));
  const pods = (await json(['get', 'pods', '-l', 'job-name=indexed'])).items.map(
    (p: { metadata: { name: string } }) => p.metadata.name,
  );
  for (const i of [0, 1, 2])
    assert.ok(
      pods.some((n: string) => n.startsWith(`indexed-${i}-`)),
      `a pod for index ${i}`,
    );
});

test('a CronJob fires on its schedule, and kubectl create job --from=cronjob runs it by hand', async () => {
  await tc.ok(['create', 'cronjob', 'tick', '--image=task:1', '--schedule=* * * * *', '--', 'exit', '0']);
  assert.match(await tc.ok(['get', 'cronjob', 'tick']), /tick\s+\* \* \* \* \*\s+<none>\s+false\s+0\s+<none>/);
  await tc.ok(['create', 'job', 'tick-by-hand', '--from=cronjob/tick']);
  await tc.ok(['wait', '--for=condition=complete', 'job/tick-by-hand', '--timeout=60s']);
  assert.equal(
    (await json(['get', 'job', 'tick-by-hand'])).metadata.annotations['cronjob.kubernetes.io/instantiate'],
    'manual',
  );
  // the next minute boundary starts one, named after its schedule time in minutes
  const scheduled = await eventually(
    async () =>
      (await json(['get', 'jobs'])).items.find(
        (j: { metadata: { name: string; ownerReferences?: Array<{ kind: string }> } }) =>
          /^tick-\d+$/.test(j.metadata.name) && j.metadata.ownerReferences?.[0]?.kind === 'CronJob',
      ),
    80_000,
    'a scheduled Job',
  );
  assert.match(scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], /:00Z$/);
  await tc.ok(['wait', '--for=condition=complete', `job/${scheduled.metadata.name}`, '--timeout=60s']);
  const cj = await eventually(
    async () => {
      const c = await json(['get', 'cronjob', 'tick']);
      return c.status.lastSuccessfulTime ? c : undefined;
    },
    60_000,
    'lastSuccessfulTime',
  );
  assert.equal(
    cj.status.lastScheduleTime,
    scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'],
  );
  const bad = await tc.kubectl(['create', 'cronjob', 'bad', '--image=task:1', '--schedule=61 * * * *']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /spec.schedule: Invalid value: "61 \* \* \* \*"/);
});

const statefulSet = (version: string, replicas: number) => `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 8080}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: task:1
        args: [serve]
        ports: [{containerPort: 8080}]
        env: [{name: DATA, value: /data}, {name: VERSION, value: "${version}"}]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
`;

async function podPort(name: string): Promise<string> {
  const pod = await eventually(
    async () => {
      const p = await json(['get', 'pod', name]);
      const ready = p.status.conditions?.some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      );
      return ready && !p.metadata.deletionTimestamp ? p : undefined;
    },
    60_000,
    `pod ${name} ready`,
  );
  return pod.metadata.annotations['devcluster.io/port'];
}

test('a StatefulSet: ordered ordinal pods, one claim per ordinal, kept across deletion, scaling, restart', async () => {
  await tc.ok(['apply', '-f', '-'], statefulSet('1', 2));
  const rollout = await tc.kubectl(['rollout', 'status', 'sts/web', '--timeout=60s']);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /roll out complete: 2 new pods have been updated/);
  const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
  assert.deepEqual(pods.map((p: { metadata: { name: string } }) => p.metadata.name).sort(), ['web-0', 'web-1']);
  const web0 = pods.find((p: { metadata: { name: string } }) => p.metadata.name === 'web-0');
  const web1 = pods.find((p: { metadata: { name: string } }) => p.metadata.name === 'web-1');
  assert.ok(Date.parse(web0.metadata.creationTimestamp) <= Date.parse(web1.metadata.creationTimestamp), 'web-0 first');
  assert.equal(web0.spec.hostname, 'web-0');
  assert.equal(web0.spec.subdomain, 'web');
  assert.equal(web0.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-0');
  assert.match(await tc.ok(['get', 'pvc']), /data-web-0\s+Bound[\s\S]*data-web-1\s+Bound/);
  assert.match(await tc.ok(['get', 'sts', 'web']), /web\s+2\/2/);

  let port = await podPort('web-0');
  assert.equal((await fetch(`http://127.0.0.1:${port}/state`, { method: 'PUT', body: 'web-0 data' })).status, 201);
  const uid = web0.metadata.uid;
  // --wait=false: kubectl's wait for a deletion GETs the pod, then lists it by name and watches for
  // its DELETED event. When the pod goes and the controller recreates web-0 between that GET and the
  // list (a few hundred ms on a loaded machine), kubectl sees a web-0 and waits forever for an event
  // that never comes. So the test waits on the pod's uid itself.
  await tc.ok(['delete', 'pod', 'web-0', '--wait=false']);
  await eventually(async () => (await json(['get', 'pod', 'web-0'])).metadata.uid !== uid, 60_000, 'web-0 recreated');
  port = await podPort('web-0');
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/state`)).text(), 'web-0 data', 'same name, same claim');

  await tc.ok(['scale', 'sts/web', '--replicas=3']);
  await tc.ok(['rollout', 'status', 'sts/web', '--timeout=60s']);
  assert.match(await tc.ok(['get', 'pod', 'web-2']), /web-2\s+1\/1\s+Running/);
  await tc.ok(['scale', 'sts/web', '--replicas=1']);
  await eventually(
    async () => (await tc.ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim() === 'pod/web-0',
    60_000,
    'scaled down to web-0',
  );
  assert.match(
    await tc.ok(['get', 'pvc', 'data-web-1', 'data-web-2']),
    /data-web-2\s+Bound/,
    'claims are kept (Retain)',
  );

  const before = (await json(['get', 'sts', 'web'])).status.updateRevision;
  await tc.ok(['rollout', 'restart', 'sts/web']);
  await eventually(
    async () => {
      const s = await json(['get', 'sts', 'web']);
      return (
        s.status.updateRevision !== before &&
        s.status.currentRevision === s.status.updateRevision &&
        s.status.readyReplicas === 1
      );
    },
    60_000,
    'the restart rolled out',
  );
  assert.notEqual((await json(['get', 'pod', 'web-0'])).metadata.labels['controller-revision-hash'], before);
  port = await podPort('web-0');
  assert.equal(
    await (await fetch(`http://127.0.0.1:${port}/state`)).text(),
    'web-0 data',
    'the claim survives the restart',
  );
  const history = await tc.ok(['rollout', 'history', 'sts/web']);
  assert.match(history, /^1\s/m);
  assert.match(history, /^2\s/m);
  const immutable = await tc.kubectl(['patch', 'sts', 'web', '--type=merge', '-p', '{"spec":{"serviceName":"other"}}']);
  assert.match(
    immutable.stderr,
    /updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template'/,
  );
});

test('a DaemonSet runs one pod on the node and rolls it when its template changes', async () => {
  const ds = (version: string) => `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: agent
        image: task:1
        args: [serve]
        ports: [{containerPort: 9100}]
        env: [{name: VERSION, value: "${version}"}]
`;
  await tc.ok(['apply', '-f', '-'], ds('1'));
  const rollout = await tc.kubectl(['rollout', 'status', 'ds/agent', '--timeout=60s']);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /daemon set "agent" successfully rolled out/);
  assert.match(await tc.ok(['get', 'ds', 'agent']), /agent\s+1\s+1\s+1\s+1\s+1\s+<none>/);
  const first = (await json(['get', 'pods', '-l', 'app=agent'])).items[0];
  assert.equal(first.spec.nodeName, 'devcluster');
  await tc.ok(['apply', '-f', '-'], ds('2'));
  await tc.ok(['rollout', 'status', 'ds/agent', '--timeout=60s']);
  await eventually(
    async () => {
      const pods = (await json(['get', 'pods', '-l', 'app=agent'])).items.filter(
        (p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp,
      );
      return pods.length === 1 && pods[0].metadata.uid !== first.metadata.uid;
    },
    60_000,
    'the pod replaced',
  );
  const port = await podPort(
    (await json(['get', 'pods', '-l', 'app=agent'])).items.find(
      (p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp,
    ).metadata.name,
  );
  assert.match(await (await fetch(`http://127.0.0.1:${port}/whoami`)).text(), / 2$/);
  assert.match(await tc.ok(['rollout', 'history', 'ds/agent']), /^2\s/m);
});
