// Issue 16: a slow POST body stayed open for over 100 s. Every HTTP server we run takes its limits
// from security/serverTimeouts(); here each real server gets a short limit (through
// WORKFLOW_REQUEST_TIMEOUT_MS, the operator's knob) and a client that trickles a body one byte at
// a time must be cut off, while the server keeps answering everyone else.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';

process.env.WORKFLOW_REQUEST_TIMEOUT_MS = '1500';

const { startTestCluster } = await import('./devcluster-harness.ts');
const { startGitServer, startRegistryServer } = await import('../registry-index/index.ts');
const { Engine, silentLogger } = await import('../engine/index.ts');
const { corePlugins } = await import('../plugins/index.ts');
const { serverTimeouts, DEFAULT_REQUEST_TIMEOUT_MS } = await import('../security/index.ts');
const { git, tempDir } = await import('./registry-support.ts');

const quiet = pino({ level: 'silent' });
const stops: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

/**
 * Sends headers promising a 1 MB body, then one byte every 100 ms, until the server closes the
 * connection. Resolves with what the server answered (Node says 408) once it did; the deadline is
 * generous (the machine is shared), the limit under test is 1.5 s.
 */
function trickle(open: () => Socket, host: string, path: string, headers = '', drip = '{'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = open();
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${path}: the connection was still open after 60 s`));
    }, 60_000);
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      clearInterval(timer);
      resolve(answer);
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ` +
        `${host}\r\n${headers || 'Content-Type: application/json\r\n'}Content-Length: 1000000\r\n\r\n`,
    );
    let sent = 0;
    timer = setInterval(() => socket.writable && socket.write(drip[sent++ % drip.length]!), 100);
  });
}

test('serverTimeouts: bounded defaults, checked every second, and the override', () => {
  const saved = process.env.WORKFLOW_REQUEST_TIMEOUT_MS;
  delete process.env.WORKFLOW_REQUEST_TIMEOUT_MS;
  try {
    const t = serverTimeouts();
    assert.equal(t.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS);
    assert.ok(t.headersTimeout <= t.requestTimeout && t.headersTimeout <= 20_000);
    assert.ok(t.connectionsCheckingInterval <= 1_000);
    assert.equal(serverTimeouts({ requestTimeoutMs: 600_000 }).requestTimeout, 600_000);
  } finally {
    process.env.WORKFLOW_REQUEST_TIMEOUT_MS = saved;
  }
  assert.equal(serverTimeouts({ requestTimeoutMs: 600_000 }).requestTimeout, 1500);
});

test('devcluster cuts off a slow request body and keeps serving', async () => {
  const tc = await startTestCluster();
  stops.push(() => tc.stop());
  const answer = await trickle(
    () => tlsConnect({ port: tc.cluster.port, host: '127.0.0.1', ca: tc.cluster.caCert, servername: '127.0.0.1' }),
    '127.0.0.1',
    '/api/v1/namespaces/default/configmaps',
    `Authorization: Bearer ${tc.cluster.token}\r\nContent-Type: application/json\r\n`,
  );
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.equal((await tc.kubectl(['get', 'ns', 'default'])).code, 0);
});

test('the registry server, the git server and the engine cut off a slow request body', async () => {
  const dirs = tempDir('timeouts-');
  stops.push(async () => dirs.cleanup());
  const repo = `${dirs.path}/repo`;
  git(dirs.path, 'init', '-q', '-b', 'main', repo);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'empty');
  const registry = await startRegistryServer({ repo, schedule: null, logger: quiet });
  stops.push(() => registry.close());
  const gitServer = await startGitServer({ dataDir: `${dirs.path}/git`, token: 't', logger: quiet });
  stops.push(() => gitServer.close());
  const app = `${dirs.path}/app.yaml`;
  writeFileSync(
    app,
    [
      'modules:',
      '  - {name: server, type: http.server, config: {address: "127.0.0.1:0"}}',
      '  - {name: router, type: http.router, dependsOn: [server]}',
      'pipelines:',
      '  echo:',
      '    trigger: {type: http, config: {method: POST, path: /echo}}',
      '    steps:',
      '      - {name: respond, type: step.json_response, config: {status: 200, body: {ok: true}}}',
      '',
    ].join('\n'),
  );
  const engine = await Engine.fromFile(app, {
    plugins: corePlugins,
    logger: silentLogger(),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  stops.push(() => engine.stop());

  const auth =
    `Authorization: Basic ${Buffer.from('me:t').toString('base64')}\r\nContent-Type: ` +
    `application/x-git-receive-pack-request\r\n`;
  // git receive-pack waits for the rest of a pkt-line that starts like a real push command
  const pktLine = `0094${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main`;
  const targets: Array<[string, number, string, string, string]> = [
    ['registry', registry.port, '/api/v1/sync', '', '{'],
    ['git', gitServer.port, '/registry.git/git-receive-pack', auth, pktLine],
    ['engine', engine.address()!.port, '/echo', '', '{'],
  ];
  const answers = await Promise.all(
    targets.map(([, port, path, headers, drip]) =>
      trickle(() => tcpConnect(port, '127.0.0.1'), '127.0.0.1', path, headers, drip),
    ),
  );
  // git http-backend starts its answer before it reads the pack; the connection is cut all the same
  answers.forEach((a, i) =>
    assert.match(a, i === 1 ? /^HTTP\/1\.1 (408|200)/ : /^HTTP\/1\.1 408/, `${targets[i]![0]}: ${a}`),
  );
  assert.equal((await fetch(`${registry.url}/healthz`)).status < 500, true);
  assert.equal((await fetch(`http://127.0.0.1:${engine.address()!.port}/healthz`)).status, 200);
});
