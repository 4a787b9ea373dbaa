// cli_print, event_decrypt and field_reencrypt (with security.field-protection). The ciphertexts the
// tests feed in are made here with node:crypto straight from upstream's format description, so the
// steps are checked against the format, not against their own encryption code.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, silentLogger, type EnginePlugin } from '../../engine/index.ts';
import { authPlugin } from '../auth/index.ts';
import { httpPlugin } from '../http/index.ts';
import { encryptEventFields } from '../support/index.ts';
import { rejectsWithIssue } from '../testing/index.ts';
import { cliPrintStepWith } from './cli-print.ts';
import { pipelineStepsPlugin } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-security-steps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = (yaml: string, plugins: EnginePlugin[] = [httpPlugin, authPlugin, pipelineStepsPlugin]) =>
  Engine.fromText(yaml, { plugins, logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' });

const SERVER = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
`;

function seal(key: Buffer, plaintext: Buffer): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer): string {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]).toString('utf8');
}

const fieldKey = (master: string, tenant: string, version: number) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(master), Buffer.alloc(0), `fieldcrypt:${tenant}:v${version}`, 32));
const epf = (key: Buffer, version: number, text: string) =>
  `epf:v${version}:${seal(key, Buffer.from(text)).toString('base64')}`;
function readEpf(value: string, master: string, tenant: string): { version: number; text: string } {
  const m = /^epf:v(\d+):(.+)$/.exec(value);
  assert.ok(m, `an epf: value, got ${value}`);
  return { version: Number(m[1]), text: open(fieldKey(master, tenant, Number(m[1])), Buffer.from(m[2]!, 'base64')) };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

test('cli_print: resolved message to stdout or stderr, newline optional; {printed}; bad target located', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const streams = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } };
  const plugin: EnginePlugin = {
    ...pipelineStepsPlugin,
    steps: { ...pipelineStepsPlugin.steps, 'step.cli_print': cliPrintStepWith(streams) },
  };
  const engine = await build(
    `
pipelines:
  report:
    steps:
      - { name: pass, type: step.cli_print, config: { message: "PASS {{ .file }}" } }
      - name: warn
        type: step.cli_print
        config: { message: "{{ .count }} warnings", target: stderr, newline: false }
`,
    [plugin],
  );
  try {
    const result = await engine.executePipeline('report', { file: 'app.yaml', count: 2 });
    assert.deepEqual(out, ['PASS app.yaml\n']);
    assert.deepEqual(err, ['2 warnings']);
    assert.equal(result.printed, '2 warnings');
  } finally {
    await engine.stop();
  }
  await rejectsWithIssue(
    build(
      'pipelines:\n  p:\n    steps:\n' +
        '      - { name: x, type: step.cli_print, config: { message: hi, target: file } }\n',
    ),
    'pipelines.p.steps[0].config.target',
    /must be one of: stdout, stderr/,
  );
  await rejectsWithIssue(
    build(`pipelines:\n  p:\n    steps:\n      - { name: x, type: step.cli_print, config: {} }\n`),
    'pipelines.p.steps[0].config.message',
    /message/,
  );
});

test('event_decrypt: upstream-format CloudEvents over HTTP; pass-through; wrong key, algorithm fail', async () => {
  process.env.WF_TEST_EVENT_KEY = 'event-master-secret';
  after(() => delete process.env.WF_TEST_EVENT_KEY);
  const engine = await build(`${SERVER}
pipelines:
  inbox:
    trigger: { type: http, config: { method: POST, path: /inbox } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: decrypt, type: step.event_decrypt }
      - { name: respond, type: step.json_response, config: { body_from: steps.decrypt } }
  pinned:
    trigger: { type: http, config: { method: POST, path: /pinned } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: decrypt, type: step.event_decrypt, config: { key_id: "\${WF_TEST_OTHER_KEY}" } }
      - { name: respond, type: step.json_response, config: { body_from: steps.decrypt } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    // made by hand, as upstream's event_publish does: a DEK sealed with sha256(key), fields sealed with the DEK
    const dek = randomBytes(32);
    const master = createHash('sha256').update('event-master-secret').digest();
    const event = {
      specversion: '1.0',
      type: 'patient.admitted',
      source: '/ward',
      id: 'e-1',
      encryption: 'AES-256-GCM',
      keyid: '$WF_TEST_EVENT_KEY',
      encrypteddek: seal(master, dek).toString('base64'),
      encryptedfields: 'ssn,name',
      data: {
        ssn: seal(dek, Buffer.from('123-45-6789')).toString('base64'),
        name: seal(dek, Buffer.from('Ada')).toString('base64'),
        ward: 7,
      },
    };
    const r = await post(`${url}/inbox`, event);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.data, { ssn: '123-45-6789', name: 'Ada', ward: 7 });
    assert.equal(r.json.type, 'patient.admitted', 'the envelope is kept');
    assert.equal(r.json.encryptedfields, 'ssn,name');

    // flat event (no data map): the fields themselves are decrypted; our own encryption round-trips
    const sealed = encryptEventFields({ email: 'ada@example.com', plan: 'pro' }, ['email'], '${WF_TEST_EVENT_KEY}');
    assert.notEqual(sealed.data.email, 'ada@example.com');
    const flat = await post(`${url}/inbox`, { ...sealed.data, ...sealed.extensions });
    assert.equal(flat.json.email, 'ada@example.com');

    const plain = await post(`${url}/inbox`, { type: 'x', data: { a: 1 } });
    assert.deepEqual([plain.status, plain.json.data], [200, { a: 1 }], 'unencrypted events pass through');

    assert.equal((await post(`${url}/inbox`, { ...event, encryption: 'ROT13' })).status, 500);
    process.env.WF_TEST_OTHER_KEY = 'not-the-key';
    after(() => delete process.env.WF_TEST_OTHER_KEY);
    assert.equal((await post(`${url}/pinned`, event)).status, 500, 'a key_id naming the wrong key fails the request');
  } finally {
    await engine.stop();
  }
  await rejectsWithIssue(
    build(
      `pipelines:\n  p:\n    steps:\n      - { name: d, type: step.event_decrypt, config: { key_id: literal-key } }\n`,
    ),
    'pipelines.p.steps[0].config.key_id',
    /environment variable/,
  );
});

test('field_reencrypt + security.field-protection: old versions and legacy values get the current key', async () => {
  const MASTER = 'field-master-key';
  const engine = await build(`${SERVER}
  - name: protect
    type: security.field-protection
    config:
      master_key: ${MASTER}
      tenant_isolation: true
      protected_fields:
        - { name: ssn, classification: pii, encryption: true, log_behavior: redact }
        - { name: diagnosis, classification: phi, encryption: true }
pipelines:
  rekey:
    trigger: { type: http, config: { method: POST, path: /rekey } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: rekey, type: step.field_reencrypt, config: { module: protect, tenant_id: "{{ .tenant }}" } }
      - name: respond
        type: step.json_response
        config:
          body:
            ssn: "{{ .ssn }}"
            visits: { _from: visits }
            note: "{{ .note }}"
            done: { _from: steps.rekey.reencrypted }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const legacy = `enc::${seal(createHash('sha256').update(MASTER).digest(), Buffer.from('flu')).toString('base64')}`;
    const r = await post(`${url}/rekey`, {
      tenant: 'acme',
      ssn: epf(fieldKey(MASTER, 'acme', 3), 3, '123-45-6789'),
      visits: [{ diagnosis: legacy }, { diagnosis: 'cold' }],
      note: 'not protected',
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.done, true);
    assert.deepEqual(readEpf(r.json.ssn, MASTER, 'acme'), { version: 1, text: '123-45-6789' });
    assert.deepEqual(readEpf(r.json.visits[0].diagnosis, MASTER, 'acme'), { version: 1, text: 'flu' });
    assert.deepEqual(readEpf(r.json.visits[1].diagnosis, MASTER, 'acme'), { version: 1, text: 'cold' });
    assert.equal(r.json.note, 'not protected');

    const wrongTenant = await post(`${url}/rekey`, { tenant: 'other', ssn: epf(fieldKey(MASTER, 'acme', 1), 1, 'x') });
    assert.equal(wrongTenant.status, 500, "another tenant's key does not open the value");
  } finally {
    await engine.stop();
  }
  await rejectsWithIssue(
    build(
      'modules:\n' +
        '  - { name: p, type: security.field-protection, config: { protected_fields: [{ encryption: true }] } }\n',
    ),
    'modules[0].config.protected_fields[0]',
    /needs a `name`/,
  );
});
