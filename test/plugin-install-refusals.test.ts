// `wfctl plugin install` fails closed. Each refusal has its own message and leaves nothing behind:
// the plugin directory holds no new entry (nor a staging leftover) and the lock is as it was. Then
// list, update and remove; and the registry's own pre-receive check refusing bad signatures.
//
// The registry is real (our git server, the registry server, its blob store). A registry that lies
// (a compromised server or a tampering mirror) is a proxy in front of it that rewrites what it
// serves: that is the only way to make a registry whose own checks refuse bad signatures serve one.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginApiVersion } from '../engine/index.ts';
import {
  BlobStore,
  InstallError,
  RegistryClient,
  generateSigningKey,
  installFromLock,
  installPlugin,
  listInstalled,
  loadSigningKey,
  publishPlugin,
  removePlugin,
  signArchive,
  updatePlugins,
  writeTarGz,
  yankVersion,
  type SigningKey,
} from '../registry-index/index.ts';
import { pushFiles, startRegistry, until, type Registry } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
let reg: Registry;
let key: SigningKey;
let app: string;
/** Rewrites responses of the lying registry; identity unless a test sets it. */
let tamper: (path: string, body: Buffer, contentType: string) => Buffer = (_p, b) => b;
let proxy: Server;
let proxyUrl = '';

function project(name: string, version: string, engineApi = `^${pluginApiVersion.split('.')[0]}.0`): string {
  const dir = join(dirs.path, 'projects', `${name}-${version}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      name,
      version,
      engineApi,
      main: 'src/index.js',
      author: 'tests',
      description: `the ${name} plugin`,
      type: 'external',
      tier: 'community',
      license: 'MIT',
      category: 'other',
      capabilities: { stepTypes: [`step.${name}_say`] },
    }),
  );
  writeFileSync(
    join(dir, 'src/index.js'),
    `export const steps = { 'step.${name}_say': (spec) => ({ name: spec.name, type: spec.type, execute: async ` +
      `() => ({ output: { said: '${version}' } }) }) };\n`,
  );
  return dir;
}

async function publish(name: string, version: string): Promise<void> {
  const result = await publishPlugin({
    dir: project(name, version),
    key,
    api: new RegistryClient({ baseUrl: reg.registry.url }),
    publishToken: reg.publishToken,
    git: { url: reg.git.repoUrl('registry'), token: reg.token },
  });
  assert.ok(result.push?.ok, result.push?.output);
  await until(`${name}@${version} in the registry`, async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/plugins/${name}/versions`);
    return r.ok && ((await r.json()) as string[]).includes(version);
  });
}

const pluginDir = () => join(app, 'data', 'plugins');
const lockPath = () => join(app, 'wfctl.lock');
const options = (through = proxyUrl) => ({
  registry: new RegistryClient({ baseUrl: through }),
  registryUrl: through,
  pluginDir: pluginDir(),
  lockPath: lockPath(),
});

/** Runs an install that must be refused; checks the message and that nothing was left behind. */
async function refused(spec: { name: string; range?: string }, message: RegExp): Promise<void> {
  const lockBefore = existsSync(lockPath()) ? readFileSync(lockPath(), 'utf8') : undefined;
  const entriesBefore = existsSync(pluginDir()) ? readdirSync(pluginDir()).sort() : [];
  await assert.rejects(installPlugin(spec, options()), (err: Error) => {
    assert.ok(err instanceof InstallError, `an InstallError, got ${err.name}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
  assert.equal(
    existsSync(lockPath()) ? readFileSync(lockPath(), 'utf8') : undefined,
    lockBefore,
    'the lock is unchanged',
  );
  assert.deepEqual(
    existsSync(pluginDir()) ? readdirSync(pluginDir()).sort() : [],
    entriesBefore,
    'nothing new in the plugin dir',
  );
}

before(async () => {
  dirs = tempDir('plugin-refusals-');
  reg = await startRegistry(dirs.path);
  const generated = generateSigningKey();
  key = loadSigningKey(generated.privateKeyPem, 'test key');
  const trusted = { keyId: key.keyId, publisher: 'tests', publicKey: key.publicKey, plugins: ['*'] };
  await pushFiles(reg, { [`keys/${key.keyId}.json`]: JSON.stringify(trusted) }, 'trust the test key');
  await until('the key', async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/keys`);
    return r.ok && ((await r.json()) as { keys: unknown[] }).keys.length === 1;
  });
  await publish('good', '1.0.0');
  await publish('good', '1.1.0');
  const yanked = await yankVersion({
    registryUrl: reg.git.repoUrl('registry'),
    token: reg.token,
    name: 'good',
    version: '1.1.0',
    reason: 'broken build',
  });
  assert.ok(yanked.ok, yanked.output);
  await until('1.1.0 yanked', async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/plugins/good/versions/1.1.0`);
    return r.headers.get('x-yanked') === 'broken build';
  });

  // A plugin for a future engine API (wfctl publish refuses to pack it here, since it cannot load
  // it) and a signed archive that tries to write outside the install directory: both put straight
  // into the blob store and published by push, as another publisher's tools could.
  await publishRaw('future', '^2.0', [{ path: 'index.js', data: 'export const steps = {};' }]);
  const evil = [
    { path: 'index.js', data: 'export const steps = {};' },
    { path: '../../escaped.js', data: 'owned' },
  ];
  const upload = await fetch(`${reg.registry.url}/api/v1/blobs/sha256/${sha(archiveOf('evil', '^1.0', evil))}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${reg.publishToken}` },
    body: archiveOf('evil', '^1.0', evil),
  });
  assert.equal(upload.status, 422, 'the blob store refuses an unsafe archive');
  assert.match(((await upload.json()) as { error: string }).error, /climbs out of the archive/);
  await publishRaw('evil', '^1.0', evil);

  proxy = createServer(async (req, res) => {
    const upstream = await fetch(`${reg.registry.url}${req.url}`, {
      method: req.method,
      headers: { accept: 'application/json' },
    });
    const type = upstream.headers.get('content-type') ?? '';
    const body = tamper(req.url ?? '', Buffer.from(await upstream.arrayBuffer()), type);
    const headers: Record<string, string> = { 'content-type': type };
    for (const h of ['x-checksum-sha256', 'x-yanked']) {
      const v = upstream.headers.get(h);
      if (v) headers[h] = v;
    }
    res.writeHead(upstream.status, headers).end(body);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => proxy?.close(r));
  await reg?.close();
  dirs?.cleanup();
});

beforeEach(() => {
  tamper = (_p, b) => b;
  app = join(dirs.path, `app-${Math.random().toString(36).slice(2)}`);
  mkdirSync(app, { recursive: true });
});

function archiveOf(name: string, engineApi: string, files: Array<{ path: string; data: string }>): Buffer {
  const manifest = { name, version: '1.0.0', engineApi, description: name, tier: 'community' };
  return writeTarGz([{ path: 'manifest.json', data: JSON.stringify(manifest) }, ...files]);
}

/** A signed archive in the blob store (written directly) and its manifest pushed to the registry. */
async function publishRaw(
  name: string,
  engineApi: string,
  files: Array<{ path: string; data: string }>,
): Promise<void> {
  const bytes = archiveOf(name, engineApi, files);
  const digest = sha(bytes);
  new BlobStore(join(dirs.path, 'registry', 'blobs')).put(digest, bytes);
  const manifest = {
    name,
    version: '1.0.0',
    engineApi,
    author: 'x',
    description: name,
    type: 'external',
    tier: 'community',
    license: 'MIT',
    category: 'other',
    downloads: [
      {
        os: 'any',
        arch: 'any',
        url: `blob:sha256:${digest}`,
        sha256: digest,
        signature: signArchive(key, { name, version: '1.0.0', sha256: digest }),
      },
    ],
  };
  await pushFiles(reg, { [`plugins/${name}/manifest.json`]: JSON.stringify(manifest) }, `publish ${name}`);
  await until(`${name} in the registry`, async () => (await fetch(`${reg.registry.url}/api/v1/plugins/${name}`)).ok);
}

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface ServedDownload {
  sha256?: string | null;
  signature?: { keyId: string; sig: string };
}
interface ServedPluginDoc {
  versions?: { version: string; downloads?: ServedDownload[] }[];
  downloads?: ServedDownload[];
  artifact?: ServedDownload;
  manifest?: { downloads?: ServedDownload[] };
}

/** Rewrite every JSON document the registry serves. */
const rewriteJson = (fn: (doc: ServedPluginDoc) => void) => (path: string, body: Buffer, type: string) => {
  if (!type.includes('json') || !path.startsWith('/api/v1/plugins')) return body;
  const doc = JSON.parse(body.toString('utf8'));
  fn(doc);
  return Buffer.from(JSON.stringify(doc));
};

/** Apply to every download entry in a plugin, resolve or version document. */
function eachDownload(doc: ServedPluginDoc, fn: (d: ServedDownload) => void): void {
  for (const v of doc.versions ?? []) for (const d of v.downloads ?? []) fn(d);
  for (const d of doc.downloads ?? []) fn(d);
  if (doc.artifact) fn(doc.artifact);
  for (const d of doc.manifest?.downloads ?? []) fn(d);
}

test('a good install: verified, extracted, locked with name, version, sha256, signer and source', {
  timeout: 120_000,
}, async () => {
  const result = await installPlugin({ name: 'good', range: '^1.0.0' }, options(reg.registry.url));
  assert.equal(result.version, '1.0.0', '1.1.0 is yanked, so ^1.0.0 resolves to 1.0.0');
  assert.equal(result.signer, key.keyId);
  const lock = JSON.parse(readFileSync(lockPath(), 'utf8'));
  assert.deepEqual(Object.keys(lock.plugins[0]).sort(), ['name', 'range', 'sha256', 'signer', 'source', 'version']);
  assert.deepEqual(readdirSync(pluginDir()), ['good']);
  assert.ok(existsSync(join(pluginDir(), 'good', '.wfctl-install.json')));
});

test('a tampered archive is refused: its bytes do not hash to the published sha256', { timeout: 120_000 }, async () => {
  tamper = (path, body) => {
    if (!path.includes('/download') && !path.includes('/blobs/')) return body;
    const copy = Buffer.from(body);
    copy[copy.length - 20] ^= 0xff;
    return copy;
  };
  await refused({ name: 'good', range: '1.0.0' }, /sha256 mismatch for good@1\.0\.0.*tampered with or corrupted/);
});

test('a wrong signature is refused', { timeout: 120_000 }, async () => {
  const other = loadSigningKey(generateSigningKey().privateKeyPem, 'other');
  tamper = rewriteJson((doc) =>
    eachDownload(doc, (d) => {
      if (d.signature)
        d.signature = {
          keyId: key.keyId,
          sig: signArchive(other, { name: 'good', version: '1.0.0', sha256: String(d.sha256) }).sig,
        };
    }),
  );
  await refused({ name: 'good', range: '1.0.0' }, /signature of good@1\.0\.0 .* does not verify with key/);
});

test('an untrusted signature is refused: the key is not among the registry trusted keys', {
  timeout: 120_000,
}, async () => {
  tamper = (path, body, type) =>
    path.startsWith('/api/v1/keys') && type.includes('json') ? Buffer.from('{"keys":[]}') : body;
  await refused(
    { name: 'good', range: '1.0.0' },
    new RegExp(`signed by key ${key.keyId}, which the registry does not trust`),
  );
});

test('an unsigned archive is refused unless allowed explicitly', { timeout: 120_000 }, async () => {
  tamper = rewriteJson((doc) => eachDownload(doc, (d) => delete d.signature));
  await refused({ name: 'good', range: '1.0.0' }, /good@1\.0\.0 is not signed by its publisher/);
});

test('a missing checksum is refused', { timeout: 120_000 }, async () => {
  tamper = rewriteJson((doc) =>
    eachDownload(doc, (d) => {
      d.sha256 = null;
      delete d.signature;
    }),
  );
  await refused({ name: 'good', range: '1.0.0' }, /good@1\.0\.0 publishes no sha256 checksum/);
});

test('a yanked version is refused for a new install, but stays installable from an existing lock', {
  timeout: 120_000,
}, async () => {
  await refused(
    { name: 'good', range: '1.1.0' },
    /good@1\.1\.0 is yanked \(broken build\); a new install never chooses a yanked version/,
  );
  // a lock written before the yank keeps working
  const sum = (await (await fetch(`${reg.registry.url}/api/v1/plugins/good`)).json()) as ServedPluginDoc;
  const v = sum.versions?.find((x) => x.version === '1.1.0');
  assert.ok(v?.downloads?.[0]?.sha256, 'the registry serves good@1.1.0 with its checksum');
  writeFileSync(
    lockPath(),
    JSON.stringify({
      lockfileVersion: 1,
      plugins: [{ name: 'good', version: '1.1.0', sha256: v.downloads[0].sha256, signer: key.keyId }],
    }),
  );
  const results = await installFromLock(options(reg.registry.url));
  assert.deepEqual(
    results.map((r) => `${r.name}@${r.version}`),
    ['good@1.1.0'],
  );
});

test('an engine-API mismatch is refused naming both versions', { timeout: 120_000 }, async () => {
  await refused(
    { name: 'future' },
    new RegExp(
      `future@1\\.0\\.0" needs engine plugin API \\^2\\.0, but this engine provides plugin API ` +
        `${pluginApiVersion.replaceAll('.', '\\.')}`,
    ),
  );
});

test('path traversal inside the tarball is refused before anything is written', { timeout: 120_000 }, async () => {
  await refused({ name: 'evil' }, /evil@1\.0\.0: archive entry "\.\.\/\.\.\/escaped\.js" climbs out of the archive/);
  assert.ok(!existsSync(join(app, 'escaped.js')) && !existsSync(join(app, 'data', 'escaped.js')));
});

test('list, update and remove: the lock and the plugin dir move together', { timeout: 120_000 }, async () => {
  await installPlugin({ name: 'good', range: '^1.0.0' }, options(reg.registry.url));
  assert.deepEqual(
    listInstalled({ pluginDir: pluginDir(), lockPath: lockPath() }).map((p) => [p.name, p.version, p.problem]),
    [['good', '1.0.0', undefined]],
  );
  // 1.1.0 is yanked: an update never chooses it
  const updated = await updatePlugins([], options(reg.registry.url));
  assert.deepEqual(
    updated.map((r) => [r.name, r.version]),
    [['good', '1.0.0']],
  );
  const removed = removePlugin('good', { pluginDir: pluginDir(), lockPath: lockPath() });
  assert.equal(removed.version, '1.0.0');
  assert.ok(!existsSync(join(pluginDir(), 'good')));
  assert.deepEqual(JSON.parse(readFileSync(lockPath(), 'utf8')).plugins, []);
  assert.throws(() => removePlugin('good', { pluginDir: pluginDir(), lockPath: lockPath() }), /good/);
});

test('the registry refuses a push whose signature is forged, untrusted, missing or outside the key scope', {
  timeout: 120_000,
}, async () => {
  const served = (await (await fetch(`${reg.registry.url}/api/v1/plugins/good/versions/1.0.0`)).json()) as {
    downloads: Array<{ sha256: string; signature: { keyId: string; sig: string } }>;
  } & Record<string, unknown>;
  const as = (name: string, signature: { keyId: string; sig: string }) => ({
    ...served,
    name,
    downloads: [{ ...served.downloads[0]!, signature }],
  });
  const stranger = loadSigningKey(generateSigningKey().privateKeyPem, 'stranger');
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    // good's signature replayed for another plugin: the payload names the plugin
    ['forged', as('forged', served.downloads[0]!.signature), /signature-invalid/],
    [
      'unknown',
      as('unknown', signArchive(stranger, { name: 'unknown', version: '1.0.0', sha256: served.downloads[0]!.sha256 })),
      /signature-untrusted/,
    ],
    // an archive in the blob store (as the manifest in git names it) with its signature stripped
    [
      'unsigned',
      {
        ...served,
        name: 'unsigned',
        downloads: [
          { ...served.downloads[0]!, url: `blob:sha256:${served.downloads[0]!.sha256}`, signature: undefined },
        ],
      },
      /signature-missing/,
    ],
  ];
  for (const [id, manifest, rule] of cases) {
    await assert.rejects(
      pushFiles(reg, { [`plugins/${id}/manifest.json`]: JSON.stringify(manifest, null, 2) }, `add ${id}`),
      (err: Error) => {
        assert.match(err.message, rule, id);
        return true;
      },
    );
  }
  // a key trusted only for "other-*" may not sign "scoped"
  const scopedKey = loadSigningKey(generateSigningKey().privateKeyPem, 'scoped');
  await pushFiles(
    reg,
    {
      [`keys/${scopedKey.keyId}.json`]: JSON.stringify({
        keyId: scopedKey.keyId,
        publisher: 'others',
        publicKey: scopedKey.publicKey,
        plugins: ['other-*'],
      }),
    },
    'trust a scoped key',
  );
  const sig = signArchive(scopedKey, { name: 'scoped', version: '1.0.0', sha256: served.downloads[0]!.sha256 });
  await assert.rejects(
    pushFiles(reg, { 'plugins/scoped/manifest.json': JSON.stringify(as('scoped', sig), null, 2) }, 'add scoped'),
    /signature-scope/,
  );
  assert.equal((await fetch(`${reg.registry.url}/api/v1/plugins/forged`)).status, 404, 'nothing refused is served');
});
