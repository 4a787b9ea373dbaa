// A stand-in for engine pods, for tests and benchmarks that run hundreds of them on one machine (a real
// engine process costs ~60 MB). Each pod is a ~1 MB `sh` that records its WORKFLOW_ADDR in a
// directory and then sleeps (`exec`, so SIGTERM ends it as it ends the engine); this process answers
// HTTP at every recorded address with 200 and a small JSON body, so readiness and liveness probes
// pass, until the pod's process is gone. Only Node and POSIX sh are needed (no C compiler).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EngineStandins {
  /** The node agent's image runtime for the engine image: what each pod runs. */
  runtime: { command: string[]; defaultArgs: string[] };
  /** Pods answering now. */
  serving(): number;
  stop(): Promise<void>;
}

const body = JSON.stringify({ status: 'ready', standin: true });

export function startEngineStandins(pollMs = 25): EngineStandins {
  const dir = mkdtempSync(join(tmpdir(), 'wf-engine-standins-'));
  const servers = new Map<number, Server>();
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const serve = (pid: number, address: string) => {
    const m = /^(.*):(\d+)$/.exec(address.trim());
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.on('error', () => server.close());
    server.listen(Number(m?.[2] ?? 8080), m?.[1] || '0.0.0.0');
    servers.set(pid, server);
  };
  const scan = () => {
    for (const name of readdirSync(dir)) {
      const pid = Number(name);
      if (!servers.has(pid) && alive(pid)) {
        try {
          serve(pid, readFileSync(join(dir, name), 'utf8'));
        } catch {
          // written but not yet complete: the next scan reads it
        }
      }
    }
    for (const [pid, server] of servers) {
      if (alive(pid)) continue;
      server.close();
      server.closeAllConnections();
      servers.delete(pid);
      rmSync(join(dir, String(pid)), { force: true });
    }
  };
  const timer = setInterval(scan, pollMs);
  // the address goes to a temp name first, so a scan never reads half of it
  const script = `printf %s "$WORKFLOW_ADDR" > "${dir}/.$$" && mv "${dir}/.$$" "${dir}/$$" && exec sleep 2147483647`;
  return {
    runtime: { command: ['/bin/sh', '-c', script], defaultArgs: [] },
    serving: () => servers.size,
    async stop() {
      clearInterval(timer);
      await Promise.all(
        [...servers.values()].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
