import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { corpusRegistry, corpusRepo, git, json, manifest, tempDir } from '../test/registry-support.ts';
import { writeTarGz } from './archive.ts';
import { GitCommitTree } from './git-tree.ts';
import { buildIndex, updateIndex } from './registry-index.ts';
import { summarize } from './summary.ts';
import { DirectoryTree, MemoryTree, diffListings } from './tree.ts';

const rulesOf = (problems: Array<{ rule: string; severity: string }>) =>
  problems.filter((p) => p.severity === 'error').map((p) => p.rule);

test('the corpus indexes: 104 plugins, 6 templates, no errors; summaries use the directory name', async () => {
  const index = await buildIndex(new DirectoryTree(corpusRegistry));
  assert.equal(index.plugins.size, 104);
  assert.equal(index.templates.size, 6);
  assert.deepEqual(rulesOf(index.problems), []);
  const http = index.plugins.get('http')!;
  assert.equal(http.summary.name, 'http');
  assert.equal(http.current.manifest.name, 'workflow-plugin-http');
  const publicCount = [...index.plugins.values()].filter((p) => !p.summary.private).length;
  assert.equal(publicCount, 96);
});

test('summary projection: allowlisted fields with upstream defaults, nothing else leaks', () => {
  const fixture = JSON.parse(
    readFileSync(join(corpusRegistry, 'tests/fixtures/plugins/foo-iac/manifest.json'), 'utf8'),
  );
  const s = summarize('foo-iac', fixture);
  assert.equal(s.name, 'foo-iac');
  assert.doesNotMatch(JSON.stringify(s), /leak|downloads|checksums|configSchema|serviceMethods|contracts/);
  assert.deepEqual(s.capabilities.cliCommands, [
    {
      name: 'foo',
      description: 'Manage foo DNS',
      flagsPassthrough: true,
      subcommands: [{ name: 'sync', description: 'Sync zone' }],
    },
  ]);
  assert.deepEqual(s.capabilities.iacProvider, {
    name: 'foo',
    resourceTypes: ['infra.dns', 'infra.dns_delegation'],
    supportedCanonicalKeys: ['zone', 'record'],
  });
  assert.deepEqual(s.assets, { ui: false, config: true });
  assert.deepEqual(s.dependencies, [{ name: 'workflow-plugin-bar', minVersion: '1.0.0', maxVersion: null }]);
  assert.deepEqual(s.required_config, [
    {
      name: 'FOO_ACCOUNT_ID',
      key: 'account_id',
      sensitive: false,
      description: 'Foo account identifier',
      prompt: 'Foo account',
    },
  ]);
  const bare = summarize('bar', { name: 'bar' } as never);
  assert.deepEqual(
    { ...bare, capabilities: undefined },
    {
      name: 'bar',
      description: '',
      version: '',
      type: '',
      tier: '',
      status: null,
      category: null,
      license: '',
      author: '',
      keywords: [],
      private: false,
      homepage: null,
      source: null,
      repository: null,
      minEngineVersion: null,
      assets: null,
      dependencies: [],
      capabilities: undefined,
      iacProvider: null,
    },
  );
  assert.equal('required_secrets' in bare, false);
});

test('version files add resolvable versions; mistakes in them are reported', async () => {
  const tree = new MemoryTree({
    'plugins/foo/manifest.json': json(manifest('foo', { version: '1.2.0' })),
    'plugins/foo/versions/1.0.0.json': json(manifest('foo', { version: '1.0.0', yanked: { reason: 'broken' } })),
    'plugins/foo/versions/1.1.0.json': json(manifest('foo', { version: '1.1.0' })),
    'plugins/foo/versions/1.2.0.json': json(manifest('foo', { version: '1.2.0' })),
    'plugins/foo/versions/0.9.0.json': json(manifest('renamed', { version: '0.9.0' })),
    'plugins/orphan/versions/1.0.0.json': json(manifest('orphan')),
  });
  const index = await buildIndex(tree);
  const foo = index.plugins.get('foo')!;
  assert.deepEqual(
    foo.versions.map((v) => v.version),
    ['1.2.0', '1.1.0', '1.0.0'],
  );
  assert.deepEqual(foo.versions[2]!.yanked, { reason: 'broken' });
  assert.deepEqual(rulesOf(index.problems).sort(), [
    'duplicate-version',
    'missing-manifest',
    'name-matches-directory',
    'version-name-mismatch',
  ]);
  assert.equal(index.plugins.has('orphan'), false);
});

test('unsafe or invalid directory names are refused as plugin ids', async () => {
  const index = await buildIndex(
    new MemoryTree({
      'plugins/Bad_Name/manifest.json': json(manifest('bad-name')),
      'plugins/a.b/manifest.json': json(manifest('a-b')),
      'plugins/ok/manifest.json': json(manifest('ok')),
    }),
  );
  assert.deepEqual([...index.plugins.keys()], ['ok']);
  const ids = index.problems.filter((p) => p.rule === 'plugin-id');
  assert.deepEqual(
    ids.map((p) => p.file),
    ['plugins/Bad_Name/manifest.json', 'plugins/a.b/manifest.json'],
  );
  assert.match(ids[0]!.message, /not a valid plugin id/);
});

test('duplicate names across directories and unknown template plugins are reported with positions', async () => {
  const index = await buildIndex(
    new MemoryTree({
      'plugins/http/manifest.json': json(manifest('workflow-plugin-http')),
      'plugins/workflow-plugin-http/manifest.json': json(manifest('workflow-plugin-http')),
      'templates/api.yaml': 'name: api\nplugins_required:\n  - http\n  - htttp\n',
    }),
  );
  const dup = index.problems.find((p) => p.rule === 'duplicate-name')!;
  assert.equal(dup.file, 'plugins/workflow-plugin-http/manifest.json');
  assert.equal(dup.line, 2);
  assert.match(dup.message, /already taken by plugins\/http\//);
  const ref = index.problems.find((p) => p.rule === 'template-plugin-reference')!;
  assert.deepEqual([ref.file, ref.line, ref.column, ref.hint], ['templates/api.yaml', 4, 5, 'did you mean "http"?']);
});

test('archives stored in the repository are checked: present, pinned, matching, no unsafe entries', async () => {
  const good = writeTarGz([{ path: 'foo/foo', data: '#!/bin/sh\n', mode: 0o755 }]);
  const evil = writeTarGz([{ path: '../../etc/cron.d/x', data: 'boom' }]);
  const link = writeTarGz([{ path: 'foo/link', data: '', type: 'symlink', linkTarget: '/etc/passwd' }]);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const dl = (url: string, sha256?: string) => ({ os: 'linux', arch: 'amd64', url, ...(sha256 ? { sha256 } : {}) });
  const index = await buildIndex(
    new MemoryTree({
      'plugins/good/manifest.json': json(manifest('good', { downloads: [dl('dist/good.tar.gz', sha(good))] })),
      'plugins/good/dist/good.tar.gz': good,
      'plugins/evil/manifest.json': json(manifest('evil', { downloads: [dl('evil.tar.gz', sha(evil))] })),
      'plugins/evil/evil.tar.gz': evil,
      'plugins/link/manifest.json': json(manifest('link', { downloads: [dl('l.tar.gz', sha(link))] })),
      'plugins/link/l.tar.gz': link,
      'plugins/wrong/manifest.json': json(manifest('wrong', { downloads: [dl('w.tar.gz', 'b'.repeat(64))] })),
      'plugins/wrong/w.tar.gz': good,
      'plugins/gone/manifest.json': json(manifest('gone', { downloads: [dl('missing.tar.gz', sha(good))] })),
      'plugins/nopin/manifest.json': json(manifest('nopin', { downloads: [dl('n.tar.gz')] })),
      'plugins/nopin/n.tar.gz': good,
    }),
  );
  const byFile = (id: string) => rulesOf(index.problems.filter((p) => p.file.startsWith(`plugins/${id}/`)));
  assert.deepEqual(byFile('good'), []);
  assert.deepEqual(index.plugins.get('good')!.current.artifacts[0]!.stored, {
    path: 'plugins/good/dist/good.tar.gz',
    oid: index.files.get('good')!.get('plugins/good/dist/good.tar.gz')!.oid,
    size: good.length,
  });
  assert.deepEqual(byFile('evil'), ['archive-entry-unsafe']);
  assert.match(
    index.problems.find((p) => p.rule === 'archive-entry-unsafe' && p.file.includes('evil'))!.message,
    /"\.\.\/\.\.\/etc\/cron\.d\/x" that climbs out/,
  );
  assert.deepEqual(byFile('link'), ['archive-entry-unsafe']);
  assert.deepEqual(byFile('wrong'), ['download-sha256-mismatch']);
  assert.deepEqual(byFile('gone'), ['download-archive-missing']);
  assert.deepEqual(byFile('nopin'), ['download-sha256-required']);
});

test('incremental update from git reads only changed paths and equals a full build', async () => {
  const dir = tempDir();
  try {
    const first = corpusRepo(dir.path);
    const gitdir = join(dir.path, '.git');
    const cache = {};
    const prev = await buildIndex(new GitCommitTree({ gitdir, cache }, first));
    // edit one manifest, delete one plugin, add one plugin, touch a template
    const http = JSON.parse(readFileSync(join(dir.path, 'plugins/http/manifest.json'), 'utf8'));
    writeFileSync(join(dir.path, 'plugins/http/manifest.json'), json({ ...http, description: 'changed' }));
    rmSync(join(dir.path, 'plugins/slack'), { recursive: true });
    mkdirSync(join(dir.path, 'plugins/brand-new'));
    writeFileSync(join(dir.path, 'plugins/brand-new/manifest.json'), json(manifest('brand-new')));
    writeFileSync(join(dir.path, 'templates/api-service.yaml'), 'name: api\nplugins_required: [brand-new]\n');
    git(dir.path, 'add', '-A', '.');
    git(dir.path, 'commit', '-q', '-m', 'change');
    const second = git(dir.path, 'rev-parse', 'HEAD');
    const tree = new GitCommitTree({ gitdir, cache }, second);
    const changes = await tree.changesSince(first);
    assert.deepEqual(
      changes.map((c) => [c.path, c.before !== undefined, c.after !== undefined]),
      [
        ['plugins/brand-new/manifest.json', false, true],
        ['plugins/http/manifest.json', true, true],
        ['plugins/slack/manifest.json', true, false],
        ['templates/api-service.yaml', true, true],
      ],
    );
    // the generic listing diff agrees with the pruned tree walk
    assert.deepEqual(
      diffListings(await new GitCommitTree({ gitdir, cache }, first).list(), await tree.list()),
      changes,
    );
    let reads = 0;
    const counting = Object.assign(Object.create(tree), {
      read: (e: Parameters<typeof tree.read>[0]) => {
        reads++;
        return tree.read(e);
      },
    });
    const incremental = await updateIndex(prev, counting, changes);
    assert.equal(reads, 3);
    const full = await buildIndex(tree);
    assert.deepEqual(JSON.stringify([...incremental.plugins]), JSON.stringify([...full.plugins]));
    assert.deepEqual(incremental.problems, full.problems);
    assert.equal(incremental.plugins.get('http')!.summary.description, 'changed');
    assert.equal(incremental.plugins.has('slack'), false);
  } finally {
    dir.cleanup();
  }
});
