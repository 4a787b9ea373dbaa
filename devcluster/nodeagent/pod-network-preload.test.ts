// The pod-network preload in a real Node process, as the node agent loads it (NODE_OPTIONS --require).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

const preload = fileURLToPath(new URL('./pod-network-preload.cjs', import.meta.url));

function runNode(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      { env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--require ${preload}`, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

test('a listen on a pod port lands on its loopback port, whatever form the call takes', async () => {
  const [a, b, c] = [await freePort(), await freePort(), await freePort()];
  const out = await runNode(
    `
    const net = require('node:net'), http = require('node:http');
    const addr = (s) => new Promise((r) => s.once('listening', () => r(s.address().address + ':' + s.address().port)));
    (async () => {
      const one = http.createServer(); one.listen(8080);
      const two = net.createServer(); two.listen({ port: 8081, host: '0.0.0.0' });
      const three = net.createServer(); three.listen('9090', '::', 5);
      const other = net.createServer(); other.listen(0, '127.0.0.1');
      console.log(JSON.stringify(await Promise.all([one, two, three, other].map(addr))));
      process.exit(0);
    })();`,
    { DEVCLUSTER_POD_PORTS: `8080=${a},8081=${b},9090=${c}` },
  );
  const [one, two, three, other] = JSON.parse(out) as string[];
  assert.deepEqual([one, two, three], [`127.0.0.1:${a}`, `127.0.0.1:${b}`, `127.0.0.1:${c}`]);
  assert.match(other!, /^127\.0\.0\.1:\d+$/, 'ports that are not pod ports are left alone');
});

test('Service names resolve from the hosts file for dns.lookup, http and fetch; others go to the system', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-network-'));
  const server = createServer((req, res) => res.end(`hello from ${req.headers.host}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (server.address() as { port: number }).port;
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost\n127.0.0.1\tweb.shop.svc.cluster.local web.shop.svc web.shop web\n');
  const out = await runNode(
    `
    const dns = require('node:dns'), http = require('node:http');
    (async () => {
      const all = await dns.promises.lookup('WEB.shop.svc.cluster.local.', { all: true });
      const cb = await new Promise((r) => dns.lookup('web.shop', (e, a, f) => r([e && e.code, a, f])));
      const v6 = await new Promise((r) => dns.lookup('web', { family: 6 }, (e) => r(e && e.code)));
      const viaHttp = await new Promise((r) =>
        http.get('http://web:${port}/', (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => r(b));
        }),
      );
      const viaFetch = await (await fetch('http://web.shop.svc:${port}/')).text();
      const unknown = await new Promise((r) => dns.lookup('nothing.invalid', (e) => r(e && e.code)));
      console.log(JSON.stringify({ all, cb, v6, viaHttp, viaFetch, unknown }));
    })();`,
    { DEVCLUSTER_POD_HOSTS: hosts },
  );
  const got = JSON.parse(out);
  assert.deepEqual(got.all, [{ address: '127.0.0.1', family: 4 }]);
  assert.deepEqual(got.cb, [null, '127.0.0.1', 4]);
  assert.ok(got.v6, 'an IPv6-only lookup of a name with only IPv4 entries goes on to the system resolver and fails');
  assert.equal(got.viaHttp, `hello from web:${port}`);
  assert.equal(got.viaFetch, `hello from web.shop.svc:${port}`);
  assert.ok(got.unknown, 'a name the file lacks is not answered by it');
});
