// secrets.vault with step.secret_fetch, step.secret_set and step.secret_rotate on the real engine over
// real HTTP, against the local Vault KV v2 stand-in (plugins/testing/vault-standin.ts; Vault itself
// cannot be installed here). Also: bad config located at the key, run-time failures with clear
// errors, and no secret value in the engine's logs or error messages.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { createLogger, Engine, formatIssue, validateConfigText } from '../../engine/index.ts';
import { eventStorePlugin } from '../eventstore/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { requestJson, startVaultStandin } from '../testing/index.ts';
import { parseVaultKey, SecretsVaultModule, secretsPlugin } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, secretsPlugin, eventStorePlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'hvs.test-root-token';

/** An engine whose JSON log lines are kept in `logs`, at debug level. */
async function build(yaml: string) {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const engine = await Engine.fromText(yaml, {
    plugins,
    logger: createLogger({ level: 'debug', destination }),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  after(() => engine.stop());
  return { engine, logs, url: `http://127.0.0.1:${engine.address()?.port}` };
}

const app = (vaultUrl: string, token = TOKEN, eventsDb = ':memory:') => `
modules:
  - { name: events, type: eventstore.service, config: { db_path: "${eventsDb}" } }
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: vault
    type: secrets.vault
    config: { address: "${vaultUrl}", token: "${token}", mountPath: secret, namespace: team-a }
pipelines:
  store:
    trigger: { type: http, config: { method: POST, path: /payments/credentials } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: save
        type: step.secret_set
        config:
          module: vault
          secrets:
            "payments#client_id": "{{ .steps.parse.body.client_id }}"
            "payments#api_key": "{{ .steps.parse.body.api_key }}"
      - { name: out, type: step.json_response, config: { body: { set: "{{ json .steps.save.set_keys }}" } } }
  tenant:
    trigger: { type: http, config: { method: GET, path: "/tenants/{tenant}/token" } }
    steps:
      - { name: parse, type: step.request_parse, config: { path_params: [tenant] } }
      - name: fetch
        type: step.secret_fetch
        config:
          module: vault
          secrets:
            token: "tenants/{{ .steps.parse.path_params.tenant }}#token"
            whole: "tenants/{{ .steps.parse.path_params.tenant }}"
      - { name: digest, type: step.hash, config: { input: "{{ .steps.fetch.whole }}" } }
      - name: out
        type: step.json_response
        config:
          body:
            token: "{{ .steps.fetch.token }}"
            whole: "{{ .steps.fetch.whole }}"
            whole_sha256: "{{ .steps.digest.hash }}"
            fetched: "{{ .steps.fetch.fetched }}"
  payments:
    trigger: { type: http, config: { method: GET, path: /payments } }
    steps:
      - { name: fetch, type: step.secret_fetch, config: { module: vault, secrets: { key: "payments#api_key" } } }
      - { name: digest, type: step.hash, config: { input: "{{ .steps.fetch.key }}" } }
      - { name: out, type: step.json_response, config: { body: { sha256: "{{ .steps.digest.hash }}" } } }
  rotate:
    trigger: { type: http, config: { method: POST, path: /payments/rotate } }
    steps:
      - { name: rotate, type: step.secret_rotate, config: { provider: vault, key: "payments#api_key" } }
      - { name: out, type: step.json_response, config: { body_from: steps.rotate } }
  pair:
    steps:
      - name: save
        type: step.secret_set
        config: { module: vault, secrets: { "first#v": "one-secret", "tenants/locked#v": "two-secret" } }
  plain:
    trigger: { type: http, config: { method: POST, path: /plain } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: save
        type: step.secret_set
        config: { module: vault, secrets: { webhook: "{{ .steps.parse.body.webhook }}" } }
      - { name: fetch, type: step.secret_fetch, config: { module: vault, secrets: { webhook: "webhook#value" } } }
      - { name: out, type: step.json_response, config: { body: { webhook: "{{ .steps.fetch.webhook }}" } } }
`;

test('secret_set, secret_fetch (dynamic ids, fields, whole secrets) and secret_rotate over real HTTP', async () => {
  const vault = await startVaultStandin({ token: TOKEN });
  after(() => vault.close());
  vault.write('tenants/acme', { token: 'acme-tok-1', region: 'eu', limits: { rps: 5 } });
  vault.write('payments', { owner: 'team-a' });
  const eventsDb = join(dir, 'events.db');
  const { url, logs } = await build(app(vault.url, TOKEN, eventsDb));

  const stored = await requestJson(`${url}/payments/credentials`, {
    method: 'POST',
    body: { client_id: 'pay-client', api_key: 'sk_live_4f9a' },
  });
  assert.equal(stored.status, 200, stored.text);
  assert.deepEqual(stored.json, { set: ['payments#api_key', 'payments#client_id'] });
  assert.deepEqual(
    vault.read('payments'),
    { owner: 'team-a', client_id: 'pay-client', api_key: 'sk_live_4f9a' },
    'a #field write changes that field and keeps the others',
  );
  assert.equal(vault.versions('payments').length, 3, 'each key is a new KV v2 version');
  assert.ok(
    vault.requests.every((r) => r.token === TOKEN && r.namespace === 'team-a'),
    'every request carries X-Vault-Token and X-Vault-Namespace',
  );

  const acme = await requestJson(`${url}/tenants/acme/token`);
  assert.equal(acme.status, 200, acme.text);
  const whole = '{"limits":{"rps":5},"region":"eu","token":"acme-tok-1"}';
  assert.deepEqual(acme.json, {
    token: 'acme-tok-1',
    whole: JSON.parse(whole),
    whole_sha256: createHash('sha256').update(whole).digest('hex'),
    fetched: 'true',
  });

  const before = await requestJson(`${url}/payments`);
  const rotated = await requestJson(`${url}/payments/rotate`, { method: 'POST' });
  assert.equal(rotated.status, 200, rotated.text);
  assert.deepEqual(rotated.json, { rotated: true, key: 'payments#api_key', provider: 'vault' });
  const newKey = vault.read('payments')!.api_key as string;
  assert.match(newKey, /^[0-9a-f]{64}$/, 'rotation stores 32 random bytes, hex encoded');
  assert.equal(vault.read('payments')!.client_id, 'pay-client', 'rotation keeps the other fields');
  const afterRotate = await requestJson(`${url}/payments`);
  assert.notEqual(afterRotate.json.sha256, before.json.sha256, 'the pipeline sees the rotated value');

  // a key without #field is written as {"value": v} (upstream), and read back with #value
  const plain = await requestJson(`${url}/plain`, { method: 'POST', body: { webhook: 'whsec_77' } });
  assert.deepEqual(plain.json, { webhook: 'whsec_77' });
  assert.deepEqual(vault.read('webhook'), { value: 'whsec_77' });

  const logText = logs.join('');
  assert.match(logText, /vault secrets ready/, 'the logs were captured');
  for (const secret of ['sk_live_4f9a', 'acme-tok-1', newKey, 'whsec_77', TOKEN])
    assert.ok(!logText.includes(secret), `the engine's logs do not contain ${secret}`);

  // the execution recorder (eventstore) gets secret_fetch's values redacted
  const db = new Database(eventsDb, { readonly: true });
  const outputs = db
    .prepare(`SELECT event_data FROM execution_events WHERE event_type = 'step.output_recorded'`)
    .all() as Array<{ event_data: string }>;
  db.close();
  const fetched = outputs
    .map((r) => JSON.parse(r.event_data) as { step_name: string; output: Record<string, unknown> })
    .filter((e) => e.step_name === 'fetch');
  assert.ok(fetched.length >= 3, 'secret_fetch outputs were recorded');
  assert.deepEqual(fetched[0]!.output, { token: '[REDACTED]', whole: '[REDACTED]', fetched: true });
  assert.ok(
    !JSON.stringify(fetched).includes('acme-tok-1') && !JSON.stringify(fetched).includes(newKey),
    'no fetched value reached the event store',
  );
});

test('run-time failures are clear errors that name the key, never a value', async () => {
  const vault = await startVaultStandin({ token: TOKEN });
  after(() => vault.close());
  vault.write('tenants/acme', { token: 'acme-tok-1' });
  vault.write('tenants/locked', { token: 'locked-tok' });
  vault.deny('tenants/locked');
  const { engine, url, logs } = await build(app(vault.url));

  // secret_set writes in key order; a failure names its key, and the keys before it stay written
  await assert.rejects(engine.executePipeline('pair', {}), (err: Error) => {
    assert.match(err.message, /secret_set step "save": failed to set secret "tenants\/locked#v": vault: read /);
    assert.match(err.message, /HTTP 403: permission denied/);
    assert.ok(!err.message.includes('two-secret'), 'the value is not in the error');
    return true;
  });
  assert.deepEqual(vault.read('first'), { v: 'one-secret' });

  const missing = await requestJson(`${url}/tenants/nobody/token`);
  assert.equal(missing.status, 500);
  assert.match(missing.json.error, /secret_fetch step "fetch": failed to fetch secret "token" /);
  assert.match(missing.json.error, /\(id="tenants\/nobody#token"\): vault: no secret at "tenants\/nobody"/);
  const denied = await requestJson(`${url}/tenants/locked/token`);
  assert.equal(denied.status, 500);
  assert.match(denied.text, /HTTP 403: permission denied \(check the token/);

  vault.write('tenants/partial', { region: 'us' });
  const noField = await requestJson(`${url}/tenants/partial/token`);
  assert.match(noField.text, /vault: secret \\?"tenants\/partial\\?" has no field \\?"token\\?"/);

  const { url: badTokenUrl, logs: badTokenLogs } = await build(app(vault.url, 'hvs.wrong-token'));
  const wrongToken = await requestJson(`${badTokenUrl}/tenants/acme/token`);
  assert.equal(wrongToken.status, 500);
  assert.match(wrongToken.text, /HTTP 403: permission denied/);
  assert.ok(!wrongToken.text.includes('hvs.wrong-token'), 'the token is not in the error');

  const { url: wrongMountUrl } = await build(app(vault.url).replace('mountPath: secret', 'mountPath: kv'));
  const wrongMount = await requestJson(`${wrongMountUrl}/tenants/acme/token`);
  assert.match(
    wrongMount.text,
    /HTTP 404: no handler for route .* \(is mountPath the mount of a KV version 2 engine\?\)/,
  );

  await vault.close();
  const down = await requestJson(`${url}/tenants/acme/token`);
  assert.equal(down.status, 500);
  assert.match(down.text, /vault: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is Vault running there\?/);

  const logText = logs.join('') + badTokenLogs.join('');
  assert.match(logText, /step failed/, 'the failures were logged');
  for (const secret of ['acme-tok-1', 'locked-tok', 'one-secret', 'two-secret', TOKEN, 'hvs.wrong-token'])
    assert.ok(!logText.includes(secret), `the engine's logs do not contain ${secret}`);
});

test('bad config fails wfctl validate at the key; an undeclared or wrong module fails the step clearly', async () => {
  const issues = (yaml: string) =>
    validateConfigText(yaml, { plugins, file: 'app.yaml' })
      .errors.map((i) => formatIssue(i))
      .join('\n');
  const base = `modules:
  - name: vault
    type: secrets.vault
    config:
      address: http://127.0.0.1:8200
      token: root
pipelines:
  p:
    steps:
      - name: fetch
        type: step.secret_fetch
        config:
          module: vault
          secrets:
            key: "a#b"
`;
  assert.equal(issues(base), '');
  assert.match(issues(base.replace('token: root', 'token: ""')), /app\.yaml:6:14: "token" is required/);
  assert.match(
    issues(base.replace('token: root', 'token: root\n      mode: dev')),
    /app\.yaml:7:13: "mode: dev" starts a `vault server -dev` child process/,
  );
  assert.match(
    issues(base.replace('http://127.0.0.1:8200', 'vault:8200')),
    /app\.yaml:5:16: "address" must be an http\(s\) URL/,
  );
  assert.match(
    issues(base.replace('key: "a#b"', 'key: [1]')),
    /app\.yaml:15:18: secret_fetch: secrets\["key"\] must be a string/,
  );
  assert.match(
    issues(base.replace('          secrets:\n            key: "a#b"\n', '          secrets: {}\n')),
    /app\.yaml:14:20: secret_fetch: "secrets" map is required and must not be empty/,
  );
  assert.match(
    issues(base.replace('step.secret_fetch', 'step.secret_set').replace('module: vault', 'modul: vault')),
    /"module" is required/,
  );
  assert.match(
    issues(
      `pipelines:\n  p:\n    steps:\n      - { name: r, type: step.secret_rotate, config: { provider: vault } }\n`,
    ),
    /app\.yaml:4:\d+: "key" is required/,
  );

  const { engine } = await build(`
modules:
  - { name: notsecrets, type: http.client }
pipelines:
  undeclared:
    steps: [{ name: f, type: step.secret_fetch, config: { module: nope, secrets: { k: x } } }]
  wrong:
    steps: [{ name: f, type: step.secret_set, config: { module: notsecrets, secrets: { k: x } } }]
  rotate:
    steps: [{ name: r, type: step.secret_rotate, config: { provider: notsecrets, key: k } }]
`);
  await assert.rejects(
    engine.executePipeline('undeclared', {}),
    /step "f": secrets module "nope" is not a module of this app/,
  );
  await assert.rejects(engine.executePipeline('wrong', {}), /step "f": module "notsecrets" is not a secrets module/);
  await assert.rejects(
    engine.executePipeline('rotate', {}),
    /step "r": module "notsecrets" is not a secrets provider that can rotate/,
  );
});

test('concurrent #field writes to one secret all land (check-and-set, read again on a conflict)', async () => {
  const vault = await startVaultStandin({ token: TOKEN });
  after(() => vault.close());
  const module = new SecretsVaultModule('vault', { address: vault.url, token: TOKEN, mountPath: 'secret' });
  const fields = ['a', 'b', 'c', 'd', 'e', 'f'];
  await Promise.all(fields.map((f) => module.setSecret(`shared#${f}`, `value-${f}`)));
  assert.deepEqual(vault.read('shared'), Object.fromEntries(fields.map((f) => [f, `value-${f}`])));
  assert.equal(await module.getSecret('shared#c'), 'value-c');
});

test('parseVaultKey splits path#field at the last #', () => {
  assert.deepEqual(parseVaultKey('db/prod'), { path: 'db/prod' });
  assert.deepEqual(parseVaultKey('db/prod#password'), { path: 'db/prod', field: 'password' });
  assert.deepEqual(parseVaultKey('a#b#c'), { path: 'a#b', field: 'c' });
});
