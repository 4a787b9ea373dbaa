// The benchmarks' bulk-transfer client: one HTTP download (GET /bytes/N) or upload (POST of N bytes) on
// one fresh connection, in a process of its own so it never shares an event loop or a heap with what it
// measures, and so its own CPU shows. `runTransfer` spawns
// `node --import tsx bench/_transfer.ts PORT download|upload BYTES`, which prints one JSON line: a
// TransferResult. The server must answer GET /bytes/N with N bytes, and a POST with the count it read.
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './_process.ts';

export type Direction = 'download' | 'upload';

export interface TransferResult {
  bytes: number;
  /** From the request to the last byte of the answer. */
  ms: number;
  /** CPU the client process used during the transfer (user + system), ms. */
  clientCpuMs: number;
}

const self = fileURLToPath(import.meta.url);

/** Runs one transfer against 127.0.0.1:`port` from a child process; resolves with its result line. */
export function runTransfer(port: number, direction: Direction, bytes: number): Promise<TransferResult> {
  return runJsonChild<TransferResult>(self, [String(port), direction, String(bytes)], 'transfer client');
}

function transfer(port: number, direction: Direction, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = direction === 'upload';
    const req = request(
      { host: '127.0.0.1', port, path: upload ? '/upload' : `/bytes/${bytes}`, method: upload ? 'POST' : 'GET' },
      (res) => {
        let got = 0;
        let body = '';
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (upload) body += c;
        });
        res.on('end', () => {
          if (upload ? body === String(bytes) : got === bytes) return resolve();
          reject(new Error(upload ? `server read ${body} of ${bytes} bytes` : `got ${got} of ${bytes} bytes`));
        });
      },
    );
    req.on('error', reject);
    if (!upload) return void req.end();
    const chunk = Buffer.alloc(1 << 20, 98);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

if (process.argv[1] === self) {
  const [port, direction, bytes] = process.argv.slice(2);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await transfer(Number(port), direction as Direction, Number(bytes));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const result: TransferResult = { bytes: Number(bytes), ms, clientCpuMs: (cpu.user + cpu.system) / 1000 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
