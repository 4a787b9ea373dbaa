// Child process for bench/registry.ts: serves either the registry API from a prepared data dir (the
// index is restored from its SQLite store, as on a restart) or, as the peer, one static JSON file
// from memory with bare node:http. Prints "listening on URL".
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startRegistryServer } from '../registry-index/index.ts';

const [mode, arg1, arg2] = process.argv.slice(2);
if (mode === 'static') {
  const body = readFileSync(arg1!);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1', () =>
    console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
  );
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  const started = performance.now();
  const server = await startRegistryServer({
    repo: arg1!,
    dataDir: arg2!,
    schedule: null,
    logger: pino({ level: 'warn' }),
  });
  const restoredMs = performance.now() - started;
  await server.initialSync;
  console.log(`restored in ${restoredMs.toFixed(0)} ms`);
  console.log(`listening on ${server.url}`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}
