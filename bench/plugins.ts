// npm run bench -- plugins [--runs 5]
//
// The plugin lifecycle as a user runs it, with wfctl as a child process (dist/ build) against our git
// server and registry server (in this process, on 127.0.0.1):
//   - publish of a 1 MB plugin (`wfctl publish`: validate, build, pack, sign, upload to the blob
//     store, git push of the manifest; then until the registry serves the version), against the peer
//     `git push` of a commit holding the same 1 MB archive to the same git server;
//   - install of it (`wfctl plugin install`: resolve, download, verify sha256 and signature, extract,
//     lock), against the peers `curl | tar -xz` of the same blob (no verification) and
//     `npm install` of the same files packed as an npm tarball (offline, from a file);
//   - cold start of `wfctl run` (spawn to "listening on") of an app requiring 5 installed plugins,
//     against the same app requiring none.
// Runs are interleaved with their peers, so load from others hits both alike; medians. Each timed
// operation is one sequential child process: this process only waits on it (and serves the registry
// and git, which the peers use too), so it is not what limits the figures.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushFiles, startApp, startRegistry, until, wfctl } from '../test/plugin-support.ts';
import { tempDir } from '../test/registry-support.ts';

const root = new URL('..', import.meta.url).pathname;
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

// a current dist/, or bin/wfctl.js would run the sources through tsx and this would measure tsx
const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build.ts'), '--dist-only'], {
  stdio: 'inherit',
});
if (build.status !== 0) throw new Error('the build failed');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A command to completion (asynchronously: the git and registry servers it talks to live here). */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20 }, (err, _o, e) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${e}`)) : resolve(),
    ),
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function ok(args: string[], opts: { cwd?: string; env: Record<string, string> }): Promise<string> {
  const r = await wfctl(args, opts);
  if (r.code !== 0) throw new Error(`wfctl ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const dirs = tempDir('bench-plugins-');
const reg = await startRegistry(dirs.path);
try {
  const env = {
    WFCTL_KEYS_DIR: join(dirs.path, 'keys'),
    WFCTL_REGISTRY_URL: reg.registry.url,
    WFCTL_PUBLISH_TOKEN: reg.publishToken,
    WFCTL_GIT_TOKEN: reg.token,
  };
  await ok(['keys', 'generate', '--publisher', 'bench'], { env });
  const trusted = JSON.parse(readFileSync(join(env.WFCTL_KEYS_DIR, 'default.pub.json'), 'utf8'));
  await pushFiles(reg, { [`keys/${trusted.keyId}.json`]: JSON.stringify(trusted) }, 'trust the bench key');
  await until('the key', async () =>
    (await (await fetch(`${reg.registry.url}/api/v1/keys`)).text()).includes(trusted.keyId),
  );
  const registryGit = reg.git.repoUrl('registry');
  const served = (name: string, version: string) =>
    until(`${name}@${version} served`, async () => {
      const r = await fetch(`${reg.registry.url}/api/v1/plugins/${name}/versions`);
      return r.ok && ((await r.json()) as string[]).includes(version);
    });

  // The 1 MB plugin: the scaffold plus 1 MiB of incompressible assets, so the archive is ~1 MB.
  await ok(['plugin', 'init', 'bench-big', '--dir', dirs.path], { env });
  const big = join(dirs.path, 'bench-big');
  mkdirSync(join(big, 'assets'));
  writeFileSync(join(big, 'assets', 'model.bin'), randomBytes(1 << 20));
  const manifestPath = join(big, 'manifest.json');
  const setVersion = (version: string) =>
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), version }));

  // the peer's repository on the same git server (created by its first push)
  const peerRepo = join(dirs.path, 'peer-repo');
  mkdirSync(peerRepo);
  await run('git', ['init', '-q', '-b', 'main'], { cwd: peerRepo });
  const peerPush = reg.git.repoUrl('archives').replace('http://', `http://pusher:${reg.token}@`);

  const publish: number[] = [];
  const publishServed: number[] = [];
  const gitPeer: number[] = [];
  let archiveBytes = 0;
  let blobUrl = '';
  for (let i = 0; i < runs; i++) {
    const version = `1.0.${i}`;
    setVersion(version);
    const pushed = await timed(() => ok(['publish', '--dir', big, '--registry-git', registryGit], { env }));
    const indexed = pushed + (await timed(() => served('bench-big', version)));
    publish.push(pushed);
    publishServed.push(indexed);
    const doc = (await (await fetch(`${reg.registry.url}/api/v1/plugins/bench-big/versions/${version}`)).json()) as {
      downloads: Array<{ url: string }>;
    };
    blobUrl = doc.downloads[0]!.url;
    const archive = Buffer.from(await (await fetch(blobUrl)).arrayBuffer());
    archiveBytes = archive.length;
    writeFileSync(join(peerRepo, 'bench-big.tar.gz'), archive);
    await run('git', ['add', '-A'], { cwd: peerRepo });
    await run('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', version], { cwd: peerRepo });
    gitPeer.push(await timed(() => run('git', ['push', '-q', peerPush, 'HEAD:main'], { cwd: peerRepo })));
  }

  // install: into a fresh app dir each time; peers read the same archive
  const npmProject = join(dirs.path, 'npm-pkg');
  mkdirSync(npmProject);
  const archivePath = join(dirs.path, 'bench-big.tar.gz');
  writeFileSync(archivePath, Buffer.from(await (await fetch(blobUrl)).arrayBuffer()));
  await run('tar', ['-xzf', archivePath, '-C', npmProject]);
  writeFileSync(
    join(npmProject, 'package.json'),
    JSON.stringify({ name: 'bench-big', version: '1.0.0', type: 'module' }),
  );
  const npmPacked = join(dirs.path, 'npm-pack');
  mkdirSync(npmPacked);
  await run('npm', ['pack', '--silent', '--pack-destination', npmPacked], { cwd: npmProject });
  const npmTarball = join(npmPacked, 'bench-big-1.0.0.tgz');

  const install: number[] = [];
  const curlPeer: number[] = [];
  const npmPeer: number[] = [];
  const latest = `1.0.${runs - 1}`;
  for (let i = 0; i < runs; i++) {
    const app = join(dirs.path, `app-${i}`);
    mkdirSync(app);
    install.push(await timed(() => ok(['plugin', 'install', `bench-big@${latest}`], { cwd: app, env })));
    const raw = join(dirs.path, `raw-${i}`);
    mkdirSync(raw);
    curlPeer.push(await timed(() => run('sh', ['-c', `curl -sf "${blobUrl}" | tar -xzf - -C "${raw}"`])));
    const npmApp = join(dirs.path, `npm-app-${i}`);
    mkdirSync(npmApp);
    writeFileSync(join(npmApp, 'package.json'), '{"name":"npm-app","version":"1.0.0","private":true}');
    npmPeer.push(
      await timed(() =>
        run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--silent', npmTarball], {
          cwd: npmApp,
          env: { npm_config_cache: join(dirs.path, 'npm-cache') },
        }),
      ),
    );
  }

  // cold start: 5 small plugins published, installed into one app; the same app without them
  const names = ['bench-one', 'bench-two', 'bench-three', 'bench-four', 'bench-five'];
  for (const name of names) {
    await ok(['plugin', 'init', name, '--dir', dirs.path], { env });
    await ok(['publish', '--dir', join(dirs.path, name), '--registry-git', registryGit], { env });
    await served(name, '0.1.0');
  }
  const coldApp = join(dirs.path, 'cold');
  mkdirSync(coldApp);
  for (const name of names) await ok(['plugin', 'install', `${name}@0.1.0`], { cwd: coldApp, env });
  const app = (plugins: string[]) => `modules:
  - name: server
    type: http.server
    config: { address: ":8080" }
  - name: router
    type: http.router
    dependsOn: [server]
${plugins.map((n) => `  - name: ${n}-greeter\n    type: ${n.replace(/-/g, '_')}.greeter\n`).join('')}pipelines:
  ping:
    trigger: { type: http, config: { method: GET, path: /ping } }
    steps:
      - name: respond
        type: step.json_response
        config: { status: 200, body: { ok: true } }
${plugins.length ? `requires:\n  plugins:\n${plugins.map((n) => `    - name: ${n}\n`).join('')}` : ''}`;
  writeFileSync(join(coldApp, 'with-5.yaml'), app(names));
  writeFileSync(join(coldApp, 'with-none.yaml'), app([]));
  const coldStart = async (config: string) => {
    const started = performance.now();
    const proc = await startApp(config, { cwd: coldApp, env: { WORKFLOW_DATA_DIR: join(coldApp, 'data') } });
    const ms = performance.now() - started;
    const res = await fetch(`${proc.url}/ping`);
    await proc.stop();
    if (res.status !== 200) throw new Error(`${config}: /ping answered ${res.status}:\n${proc.output()}`);
    return ms;
  };
  const cold5: number[] = [];
  const cold0: number[] = [];
  for (let i = 0; i < runs; i++) {
    cold0.push(await coldStart('with-none.yaml'));
    cold5.push(await coldStart('with-5.yaml'));
  }

  const row = (name: string, ms: number[], peer?: number[]) =>
    `  ${name.padEnd(58)} ` +
    `${median(ms).toFixed(0).padStart(7)}${peer ? (median(ms) / median(peer)).toFixed(2).padStart(10) : ''}`;
  process.stdout.write(
    [
      `plugins: median of ${runs}, interleaved with the peers; wfctl from dist/ (its process start included)`,
      `  archive: ${(archiveBytes / 1e6).toFixed(2)} MB (1 MiB of incompressible assets + the built entry)`,
      `  ${'operation'.padEnd(58)} ${'ms'.padStart(7)} ${'x peer'.padStart(10)}`,
      row('wfctl publish (returns after the push)', publish, gitPeer),
      row('wfctl publish, until the registry serves the version', publishServed, gitPeer),
      row('  peer: git push of the same archive', gitPeer),
      row('wfctl plugin install (verified, extracted, locked)', install, curlPeer),
      row('  peer: curl | tar -xz of the same blob (nothing verified)', curlPeer),
      row('  peer: npm install of the same files (npm tarball, offline)', npmPeer),
      `  install vs npm install: ${(median(install) / median(npmPeer)).toFixed(2)}x`,
      row('wfctl run cold start, app requiring 5 installed plugins', cold5, cold0),
      row('  peer: the same app requiring none', cold0),
    ].join('\n') + '\n',
  );
} finally {
  await reg.close();
  dirs.cleanup();
}
