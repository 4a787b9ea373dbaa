// The cicd steps over real HTTP against a real git server (registry-index's smart-HTTP server: the
// system git behind token auth): clone, branch, commit, annotated tag and push with a token that
// never lands in .git/config, step output or errors; refused option-like and malformed names; and
// step.gate's three kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startGitServer } from '../../registry-index/index.ts';
import type { WorkflowConfig } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { rejectsWithIssue, requestJson, TestApp } from '../testing/index.ts';
import { cicdPlugin } from './index.ts';
import { isInWindow } from './gate.ts';

const token = 'ci-token-7f3a9';
const execFileAsync = promisify(execFile);
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).trim();

function respond(from: string) {
  return { name: 'respond', type: 'step.json_response', config: { body_from: from } };
}

const config = (repoUrl: string): WorkflowConfig => ({
  modules: [
    { name: 'server', type: 'http.server', config: { address: '127.0.0.1:0' } },
    { name: 'router', type: 'http.router', dependsOn: ['server'] },
  ],
  pipelines: {
    clone: {
      trigger: { type: 'http', config: { method: 'POST', path: '/clone' } },
      steps: [
        { name: 'parse', type: 'step.request_parse', config: { parse_body: true, merge_body: true } },
        {
          name: 'clone',
          type: 'step.git_clone',
          config: { repository: repoUrl, directory: 'work/{{ .name }}', branch: '{{ .branch }}', depth: 1 },
        },
        respond('steps.clone'),
      ],
    },
    release: {
      trigger: { type: 'http', config: { method: 'POST', path: '/release' } },
      steps: [
        { name: 'parse', type: 'step.request_parse', config: { parse_body: true, merge_body: true } },
        {
          name: 'branch',
          type: 'step.git_checkout',
          config: { directory: 'work/{{ .name }}', branch: 'release/{{ .version }}', create: true },
        },
        {
          name: 'commit',
          type: 'step.git_commit',
          config: {
            directory: 'work/{{ .name }}',
            message: 'release {{ .version }}',
            add_all: true,
            author_name: 'Release Bot',
            author_email: 'bot@example.test',
          },
        },
        {
          name: 'tag',
          type: 'step.git_tag',
          config: {
            directory: 'work/{{ .name }}',
            tag: '{{ .tag }}',
            message: 'version {{ .version }}',
            push: true,
            token: '{{ .token }}',
          },
        },
        { name: 'push', type: 'step.git_push', config: { directory: 'work/{{ .name }}', token: '{{ .token }}' } },
        respond('steps'),
      ],
    },
    gate: {
      trigger: { type: 'http', config: { method: 'POST', path: '/gate' } },
      steps: [
        { name: 'parse', type: 'step.request_parse', config: { parse_body: true, merge_body: true } },
        {
          name: 'auto',
          type: 'step.gate',
          config: { type: 'automated', auto_approve_conditions: ['tests == passed', 'steps.parse.body.env == prod'] },
        },
        { name: 'manual', type: 'step.gate', config: { type: 'manual', approvers: ['ann'], timeout: '2h' } },
        respond('steps'),
      ],
    },
  },
});

test('git steps clone, branch, commit, tag and push to a token-protected server; gate decides', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'wf-cicd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  // a repository with one commit on main, served by the git server (pushes need the token)
  const seed = join(root, 'seed');
  execFileSync('git', ['init', '-q', '-b', 'main', seed]);
  writeFileSync(join(seed, 'README.md'), 'hello\n');
  git(seed, 'add', '.');
  git(seed, '-c', 'user.name=Seed', '-c', 'user.email=seed@example.test', 'commit', '-q', '-m', 'initial');
  const seededSha = git(seed, 'rev-parse', 'HEAD');
  execFileSync('git', ['clone', '-q', '--bare', seed, join(root, 'git', 'app.git')]);
  const server = await startGitServer({ dataDir: join(root, 'git'), token, logger: pino({ level: 'silent' }) });
  t.after(() => server.close());
  const repoUrl = server.repoUrl('app');

  const app = new TestApp({ plugins: [httpPlugin, pipelineStepsPlugin, cicdPlugin], config: config(repoUrl) });
  t.after(() => app.stop());
  await (await app.build()).start();
  const port = app.services.get<{ address(): { port: number } }>('server')!.address().port;
  const post = (path: string, body: object) => requestJson(`http://127.0.0.1:${port}${path}`, { method: 'POST', body });

  const cloned = await post('/clone', { name: 'a', branch: 'main' });
  assert.equal(cloned.status, 200, JSON.stringify(cloned.json));
  const dir = join(app.configDir, 'work', 'a');
  assert.deepEqual(cloned.json, { clone_dir: dir, commit_sha: seededSha, branch: 'main', success: true });

  // without the token the tag push is refused; the error says what failed and leaks nothing
  writeFileSync(join(dir, 'CHANGELOG.md'), '1.0.0\n');
  const refused = await post('/release', { name: 'a', version: '1.0.0', tag: 'v1.0.0', token: '' });
  assert.equal(refused.status, 500);
  assert.match(String(refused.json.error), /git push origin refs\/tags\/v1.0.0 failed/);

  // with it: a new branch, a commit by the bot, an annotated tag and the branch, all on the server
  git(dir, 'checkout', '-q', 'main');
  git(dir, 'branch', '-D', 'release/1.0.0');
  git(dir, 'tag', '-d', 'v1.0.0');
  writeFileSync(join(dir, 'CHANGELOG.md'), '1.0.0\n');
  const released = await post('/release', { name: 'a', version: '1.0.0', tag: 'v1.0.0', token });
  assert.equal(released.status, 200, JSON.stringify(released.json));
  const steps = released.json as Record<string, Record<string, unknown>>;
  assert.deepEqual(steps.branch, {
    branch: 'release/1.0.0',
    commit_sha: seededSha,
    created: true,
    success: true,
  });
  assert.equal(steps.commit!.files_changed, 1);
  assert.match(String(steps.commit!.commit_sha), /^[0-9a-f]{40}$/);
  assert.deepEqual(steps.tag, { tag: 'v1.0.0', commit_sha: steps.commit!.commit_sha, pushed: true, success: true });
  assert.deepEqual(steps.push, { remote: 'origin', branch: 'release/1.0.0', success: true });
  // async: the git server runs in this process, so a blocking git call against it would deadlock
  const remote = (await execFileAsync('git', ['ls-remote', repoUrl])).stdout;
  assert.match(remote, new RegExp(`${String(steps.commit!.commit_sha)}\\s+refs/heads/release/1.0.0`));
  assert.match(remote, /refs\/tags\/v1\.0\.0\^\{\}/, 'the tag is annotated');
  assert.equal(git(dir, 'log', '-1', '--format=%an <%ae>|%s'), 'Release Bot <bot@example.test>|release 1.0.0');
  assert.doesNotMatch(readFileSync(join(dir, '.git', 'config'), 'utf8'), new RegExp(token));
  const { parse: _echo, ...outputs } = steps;
  assert.doesNotMatch(JSON.stringify(outputs) + JSON.stringify(refused.json), new RegExp(token));

  // nothing left to commit is not an error; a bad or option-like tag name is refused before git runs
  const again = await post('/release', { name: 'a', version: '1.0.1', tag: 'v1..1', token });
  assert.equal(again.status, 400, 'a bad name from the request is a client error');
  assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'release/1.0.1', 'steps before the tag ran');
  assert.match(String(again.json.error), /"v1..1" is not a valid git tag name/);
  git(dir, 'checkout', '-q', 'main');
  const option = await post('/release', { name: 'a', version: '1.0.2', tag: '--delete', token });
  assert.match(String(option.json.error), /starts with "-"; git would read it as an option/);
  const optionClone = await post('/clone', { name: 'b', branch: '--upload-pack=touch /tmp/x' });
  assert.equal(optionClone.status, 400);
  assert.match(String(optionClone.json.error), /branch "--upload-pack=touch \/tmp\/x" starts with "-"/);

  const gate = await post('/gate', { tests: 'passed', env: 'prod' });
  assert.deepEqual((gate.json as Record<string, unknown>).auto, {
    gate_result: { passed: true, type: 'automated', reason: 'all conditions met' },
  });
  assert.deepEqual((gate.json as Record<string, unknown>).manual, {
    gate_result: {
      passed: false,
      type: 'manual',
      reason: 'awaiting manual approval',
      approval_required: true,
      approvers: ['ann'],
      timeout: '2h0m0s',
    },
  });
  const blocked = await post('/gate', { tests: 'failed', env: 'prod' });
  assert.deepEqual((blocked.json as Record<string, Record<string, unknown>>).auto!.gate_result, {
    passed: false,
    type: 'automated',
    reason: 'condition not met: tests == passed',
  });
});

test('scheduled gate windows, and config mistakes are located', async () => {
  const monday10 = new Date(2026, 10, 30, 10);
  assert.equal(isInWindow({ weekdays: [1], startHour: 9, endHour: 17 }, monday10), true);
  assert.equal(isInWindow({ weekdays: [2], startHour: 9, endHour: 17 }, monday10), false);
  assert.equal(isInWindow({ weekdays: [], startHour: 22, endHour: 6 }, new Date(2026, 10, 30, 23)), true);
  assert.equal(isInWindow({ weekdays: [], startHour: 22, endHour: 6 }, monday10), false);
  for (const [step, path, message] of [
    [{ type: 'step.gate', config: { type: 'sometimes' } }, 'type', /one of: manual, automated, scheduled/],
    [
      { type: 'step.gate', config: { type: 'automated', auto_approve_conditions: ['x = 1'] } },
      'auto_approve_conditions[0]',
      /is not "path == value"/,
    ],
    [
      { type: 'step.gate', config: { type: 'scheduled', schedule: { weekdays: ['funday'] } } },
      'schedule.weekdays[0]',
      /"funday" is not a weekday/,
    ],
    [{ type: 'step.git_clone', config: { directory: 'x' } }, 'repository', /required/],
    [{ type: 'step.git_clone', config: { repository: 'r', directory: 'x', depth: -1 } }, 'depth', /whole number/],
  ] as const) {
    const app = new TestApp({
      plugins: [cicdPlugin],
      config: { pipelines: { p: { steps: [{ name: 's', ...step }] } } } as WorkflowConfig,
    });
    await rejectsWithIssue(app.build(), `pipelines.p.steps[0].config.${path}`, message);
    await app.stop();
  }
});
