// `npm run bench -- portforward [--seconds N] [--connections N] [--mb N] [--rounds N]`: throughput through
// `kubectl port-forward` (the real kubectl 1.32, WebSocket tunnel and SPDY fallback) against the same
// pod reached directly, in the same run: MB/s of one large download and one large upload on one
// connection (bench/_transfer.ts), and HTTP requests/s with N keep-alive connections (bench/_load.ts).
// Both clients run in processes of their own, so they never share an event loop with the cluster, and
// their CPU is reported beside kubectl's and devcluster's: the direct figures, taken with the same
// clients, show they can drive more than the forwarded rate, and the CPU columns show which process a
// forwarded transfer spends its time in. From that CPU a last table derives the bound it puts on each
// ratio: how close to direct any server behind `kubectl port-forward` could come on this machine, given
// what the client, kubectl and the pod cost. Target: port-forward >= 0.5x direct.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster } from '../devcluster/index.ts';
import { type LoadResult, runLoad } from './_load.ts';
import { type Direction, runTransfer } from './_transfer.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 10);
const connections = arg('connections', 16);
const megabytes = arg('mb', 200);
const rounds = arg('rounds', 3);

const SERVER = `
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
writeFileSync(process.argv[2], String(process.pid)); // so the bench can read the pod's CPU time
const [host, port] = process.env.WORKFLOW_ADDR.split(':');
const chunk = Buffer.alloc(1 << 20, 97);
createServer((req, res) => {
  if (req.url.startsWith('/bytes/')) {
    let left = Number(req.url.slice(7));
    res.writeHead(200, { 'Content-Length': String(left) });
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (req.method === 'POST') {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => res.end(String(n)));
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end('{"ok":true}');
}).listen(Number(port), host);
process.on('SIGTERM', () => process.exit(0));
`;

const dir = mkdtempSync(join(tmpdir(), 'bench-portforward-'));
const script = join(dir, 'server.mjs');
const podPidFile = join(dir, 'pod.pid');
writeFileSync(script, SERVER);
const cluster = await startDevCluster({
  dataDir: join(dir, 'cluster'),
  nodeAgent: { images: { 'bench-server': { command: [process.execPath, script, podPidFile] } } },
});
const kubectlEnv = { ...process.env, KUBECONFIG: cluster.kubeconfigPath, KUBECACHEDIR: join(dir, 'kube-cache') };
// asynchronous: the cluster answers kubectl from this very process
const kubectl = (args: string[], input?: string) =>
  new Promise<string>((resolve, reject) => {
    const child = execFile('kubectl', args, { env: kubectlEnv }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
    child.stdin!.end(input);
  });

/** CPU (user + system) a process has used so far, ms; from /proc, as neither kubectl nor the pod is our child. */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  // fields after the ")" that ends the command name: state is field 3, utime and stime fields 14 and 15
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface CpuMs {
  client: number;
  kubectl: number;
  devcluster: number;
  pod: number;
}

/** Runs `work` and says how much CPU the client, kubectl (if any), devcluster and the pod used meanwhile. */
async function withCpu<T extends { clientCpuMs: number }>(kubectlPid: number | undefined, work: () => Promise<T>) {
  const podPid = Number(readFileSync(podPidFile, 'utf8'));
  const kubectlBefore = cpuMsOf(kubectlPid);
  const clusterBefore = ownCpuMs();
  const podBefore = cpuMsOf(podPid);
  const result = await work();
  return {
    result,
    cpuMs: {
      client: result.clientCpuMs,
      kubectl: cpuMsOf(kubectlPid) - kubectlBefore,
      devcluster: ownCpuMs() - clusterBefore,
      pod: cpuMsOf(podPid) - podBefore,
    },
  };
}

async function portForward(pod: string, transport: 'websocket' | 'spdy') {
  const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', `pod/${pod}`, ':8080'], {
    env: { ...kubectlEnv, KUBECTL_PORT_FORWARD_WEBSOCKETS: transport === 'websocket' ? 'true' : 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const deadline = Date.now() + 30_000;
  while (!/Forwarding from 127\.0\.0\.1:(\d+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kubectl port-forward failed: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)![1]),
    pid: child.pid,
    stop: () => child.kill('SIGTERM'),
  };
}

interface Transfer {
  mbs: number;
  /** The wall time and each process's CPU time per MB moved, ms. */
  perMB: CpuMs & { wall: number };
}

interface Figures {
  download: Transfer;
  upload: Transfer;
  load: LoadResult;
  /** Each process's CPU during the load run, in % of one core. */
  loadCpuPercent: CpuMs;
}

interface Target {
  name: string;
  port: number;
  /** kubectl's, for a forwarded path. */
  pid?: number;
}

async function transfer(target: Target, direction: Direction): Promise<Transfer> {
  const bytes = megabytes * 1_000_000;
  const { result, cpuMs } = await withCpu(target.pid, () => runTransfer(target.port, direction, bytes));
  const mb = bytes / 1e6;
  return {
    mbs: mb / (result.ms / 1000),
    perMB: {
      wall: result.ms / mb,
      client: cpuMs.client / mb,
      kubectl: cpuMs.kubectl / mb,
      devcluster: cpuMs.devcluster / mb,
      pod: cpuMs.pod / mb,
    },
  };
}

const faster = (a: Transfer, b: Transfer | undefined) => (b && b.mbs > a.mbs ? b : a);

async function measure(target: Target): Promise<Figures> {
  await runTransfer(target.port, 'download', 10_000_000); // warm-up
  const download = faster(await transfer(target, 'download'), await transfer(target, 'download'));
  const upload = faster(await transfer(target, 'upload'), await transfer(target, 'upload'));
  const { result: load, cpuMs } = await withCpu(target.pid, () =>
    runLoad({ baseUrl: `http://127.0.0.1:${target.port}`, paths: ['/'], seconds, connections }),
  );
  const percent = (ms: number) => (100 * ms) / (load.seconds * 1000);
  return {
    download,
    upload,
    load,
    loadCpuPercent: {
      client: percent(cpuMs.client),
      kubectl: percent(cpuMs.kubectl),
      devcluster: percent(cpuMs.devcluster),
      pod: percent(cpuMs.pod),
    },
  };
}

try {
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: bench}
spec:
  containers:
  - name: server
    image: bench-server:1
    ports: [{containerPort: 8080}]
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
`,
  );
  await kubectl(['wait', '--for=condition=Ready', 'pod/bench', '--timeout=60s']);
  const pod = JSON.parse(await kubectl(['get', 'pod', 'bench', '-o', 'json']));
  const podPort = Number(pod.metadata.annotations['devcluster.io/port']);
  const load = () => `${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
  process.stdout.write(
    `portforward bench: ${megabytes} MB transfers, ${connections} connections for ${seconds}s, best of ` +
      `${rounds} rounds; load average ${load()}\n`,
  );
  // the paths are measured in turn, round after round, and each keeps its best round: on a shared
  // machine a burst of someone else's load then costs a round, not a path
  const forwards = [await portForward('bench', 'websocket'), await portForward('bench', 'spdy')];
  const targets: Target[] = [
    { name: 'direct to the pod', port: podPort },
    { name: 'port-forward (websocket)', ...forwards[0]! },
    { name: 'port-forward (spdy)', ...forwards[1]! },
  ];
  const best = new Map<string, Figures>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const r = await measure(target);
        const b = best.get(target.name);
        const busier = b && b.load.rps > r.load.rps ? b : r;
        best.set(target.name, {
          download: faster(r.download, b?.download),
          upload: faster(r.upload, b?.upload),
          load: busier.load,
          loadCpuPercent: busier.loadCpuPercent,
        });
      }
    }
  } finally {
    for (const pf of forwards) pf.stop();
  }
  const direct = best.get('direct to the pod')!;
  const rows = [...best.entries()];
  const f = (n: number) => n.toFixed(1);
  process.stdout.write(
    '| path | download MB/s | upload MB/s | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|\n',
  );
  for (const [name, r] of rows) {
    const ratio = (a: number, b: number) => (r === direct ? '' : ` (${(a / b).toFixed(2)}x)`);
    process.stdout.write(
      `| ${name} | ${f(r.download.mbs)}${ratio(r.download.mbs, direct.download.mbs)} | ` +
        `${f(r.upload.mbs)}${ratio(r.upload.mbs, direct.upload.mbs)} | ` +
        `${f(r.load.rps)}${ratio(r.load.rps, direct.load.rps)} | ${r.load.p50.toFixed(2)} | ` +
        `${r.load.p99.toFixed(2)} | ${r.load.errors} |\n`,
    );
  }
  // a process whose CPU per MB comes close to the wall time per MB is the one that limits the path
  process.stdout.write(
    '\nCPU by process (wall / client / kubectl / devcluster / pod): ms per MB moved, and % of a core during the ' +
      'requests/s run\n| path | download ms/MB | upload ms/MB | requests/s, % CPU |\n|---|---|---|---|\n',
  );
  const cpu = (c: CpuMs & { wall?: number }) =>
    [c.wall, c.client, c.kubectl, c.devcluster, c.pod]
      .filter((n) => n !== undefined)
      .map((n) => n!.toFixed(1))
      .join(' / ');
  for (const [name, r] of rows)
    process.stdout.write(
      `| ${name} | ${cpu(r.download.perMB)} | ${cpu(r.upload.perMB)} | ${cpu(r.loadCpuPercent)} |\n`,
    );
  // What kubectl's own CPU allows, from the CPU measured above (per MB, or per request from the % of a
  // core during the requests/s run). A rate can go no higher than the CPU its processes need lets it:
  // all of them share this machine's cores, and each Node process (client, pod, devcluster) runs on one
  // thread, so on one core at most; kubectl's goroutines may use them all. "Ceiling" leaves devcluster
  // out, as if the server behind `kubectl port-forward` cost nothing; "now" counts it as measured.
  // Both are divided by the same bound for the direct path, not by its measured rate, so the ratios hold
  // on a busy machine too, where the direct rate shows someone else's load as much as its own cost.
  const cores = availableParallelism();
  const perRequest = (r: Figures): CpuMs => {
    const us = (percent: number) => (percent / 100) * (1e6 / r.load.rps);
    const c = r.loadCpuPercent;
    return { client: us(c.client), kubectl: us(c.kubectl), devcluster: us(c.devcluster), pod: us(c.pod) };
  };
  /** Units per second the CPU costs `c` (ms per MB, or us per request: `perSecond` 1e3 or 1e6) allow. */
  const cpuBound = (c: CpuMs, perSecond: number, server: boolean) => {
    const oneThread = [c.client, c.pod, ...(server ? [c.devcluster] : [])];
    const shared = c.client + c.kubectl + c.pod + (server ? c.devcluster : 0);
    return perSecond / Math.max(shared / cores, ...oneThread);
  };
  const directBound = {
    download: cpuBound(direct.download.perMB, 1e3, false),
    upload: cpuBound(direct.upload.perMB, 1e3, false),
    requests: cpuBound(perRequest(direct), 1e6, false),
  };
  const x = (n: number) => `${n.toFixed(2)}x`;
  process.stdout.write(
    `\nCPU bounds on ${cores} cores, as a ratio to the direct path's own bound (measured ratio / bound with ` +
      "devcluster's CPU as measured / ceiling for any server behind kubectl port-forward)\n" +
      '| path | download | upload | requests/s |\n|---|---|---|---|\n' +
      `| direct to the pod: measured / bound | ${x(direct.download.mbs / directBound.download)} | ` +
      `${x(direct.upload.mbs / directBound.upload)} | ${x(direct.load.rps / directBound.requests)} |\n`,
  );
  const bounds = (measured: number, directMeasured: number, c: CpuMs, perSecond: number, directCpu: number) =>
    `${x(measured / directMeasured)} / ${x(cpuBound(c, perSecond, true) / directCpu)} / ` +
    `${x(cpuBound(c, perSecond, false) / directCpu)}`;
  for (const [name, r] of rows) {
    if (r === direct) continue;
    process.stdout.write(
      `| ${name} | ${bounds(r.download.mbs, direct.download.mbs, r.download.perMB, 1e3, directBound.download)} | ` +
        `${bounds(r.upload.mbs, direct.upload.mbs, r.upload.perMB, 1e3, directBound.upload)} | ` +
        `${bounds(r.load.rps, direct.load.rps, perRequest(r), 1e6, directBound.requests)} |\n`,
    );
  }
  process.stdout.write(`load average at the end: ${load()}\n`);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
