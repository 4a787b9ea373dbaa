import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeRepoUrl, parsePushEvent, pushMatches } from './webhook.ts';
import { mergePatchFrom, parseInterval } from './status.ts';

test('repo URLs compare by host and path: scheme, credentials, default ports, .git and case do not matter', () => {
  const same = [
    'https://github.com/Org/Apps.git',
    'http://github.com/org/apps',
    'https://token@github.com:443/org/apps/',
    'git@github.com:org/apps.git',
    'ssh://git@github.com/org/apps',
  ];
  for (const u of same) assert.equal(normalizeRepoUrl(u), 'github.com/org/apps', u);
  assert.equal(normalizeRepoUrl('http://127.0.0.1:8091/apps.git'), '127.0.0.1:8091/apps');
  assert.notEqual(
    normalizeRepoUrl('http://127.0.0.1:8092/apps.git'),
    normalizeRepoUrl('http://127.0.0.1:8091/apps.git'),
  );
});

test('push payloads of GitHub, Gitea, GitLab and wfctl git serve name their repository', () => {
  const github = parsePushEvent(
    Buffer.from(
      JSON.stringify({
        ref: 'refs/heads/main',
        repository: { clone_url: 'https://h/o/r.git', ssh_url: 'git@h:o/r.git' },
      }),
    ),
  );
  assert.deepEqual(github, { urls: ['https://h/o/r.git', 'git@h:o/r.git'], ref: 'refs/heads/main' });
  const gitlab = parsePushEvent(
    Buffer.from(JSON.stringify({ ref: 'refs/heads/dev', project: { git_http_url: 'https://gl/o/r.git' } })),
  );
  assert.deepEqual(gitlab?.urls, ['https://gl/o/r.git']);
  assert.equal(parsePushEvent(Buffer.from('not json')), undefined);
});

test('a push matches a source on the same repository and the ref it follows', () => {
  const event = { urls: ['http://git.local/apps.git'], ref: 'refs/heads/main' };
  assert.ok(pushMatches(event, 'http://git.local/apps', undefined), 'the default branch takes any push');
  assert.ok(pushMatches(event, 'http://git.local/apps.git', 'main'));
  assert.ok(!pushMatches(event, 'http://git.local/apps.git', 'release'), 'another branch');
  assert.ok(!pushMatches(event, 'http://git.local/other.git', 'main'), 'another repository');
  assert.ok(pushMatches({ urls: event.urls, ref: 'refs/tags/v1' }, 'http://git.local/apps', 'v1'), 'a tag');
});

test('intervals parse like Go durations; status patches null what disappeared', () => {
  assert.equal(parseInterval(undefined), 60_000);
  assert.equal(parseInterval('1h30m'), 5_400_000);
  assert.equal(parseInterval('500ms'), 500);
  assert.equal(parseInterval('1 minute'), undefined);
  assert.equal(mergePatchFrom({ a: 1, b: { c: 1, d: 2 } }, { a: 1, b: { c: 1 } }) !== undefined, true);
  assert.deepEqual(mergePatchFrom({ a: 1, b: { c: 1, d: 2 } }, { a: 1, b: { c: 1 } }), { b: { d: null } });
  assert.equal(mergePatchFrom({ a: [1] }, { a: [1] }), undefined);
});
