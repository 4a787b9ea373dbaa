// docs/engine.md "Not built yet" must stay true: its "N of upstream's 259 types" is the number of
// upstream built-in module and step types (the corpus registry's `type: builtin` manifests) that the
// core plugins register, and no type it names as missing is registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusExamples } from './testing/index.ts';
import { corePlugins } from './index.ts';

const registryPlugins = join(corpusExamples, '..', 'workflow-registry', 'plugins');

function upstreamBuiltinTypes(): Set<string> {
  const types = new Set<string>();
  for (const dir of readdirSync(registryPlugins)) {
    const file = join(registryPlugins, dir, 'manifest.json');
    if (!existsSync(file)) continue;
    const m = JSON.parse(readFileSync(file, 'utf8')) as {
      type?: string;
      capabilities?: { moduleTypes?: string[]; stepTypes?: string[] };
    };
    if (m.type !== 'builtin') continue;
    for (const t of [...(m.capabilities?.moduleTypes ?? []), ...(m.capabilities?.stepTypes ?? [])]) types.add(t);
  }
  return types;
}

const registered = new Set(
  corePlugins.flatMap((p) => [...Object.keys(p.modules ?? {}), ...Object.keys(p.steps ?? {})]),
);
const notBuilt = (() => {
  const doc = readFileSync(new URL('../docs/engine.md', import.meta.url), 'utf8');
  const start = doc.indexOf('## Not built yet');
  assert.ok(start !== -1, 'docs/engine.md has a "## Not built yet" section');
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
})();

test(`docs/engine.md counts the upstream types registered here`, () => {
  const upstream = upstreamBuiltinTypes();
  const have = [...upstream].filter((t) => registered.has(t));
  const m = /(\d+) of upstream's (\d+) types/.exec(notBuilt.replace(/\s+/g, ' '));
  assert.ok(m, `"Not built yet" says "N of upstream's M types"`);
  assert.deepEqual([Number(m[1]), Number(m[2])], [have.length, upstream.size], 'update the count in docs/engine.md');
});

test('no type that docs/engine.md lists as not built is registered', () => {
  const named = [...notBuilt.matchAll(/`((?:step|[a-z]+)\.[a-z0-9_.-]+)`(?!'s)/g)].map((m) => m[1]!);
  assert.ok(named.length > 5, 'the section names the missing types in backquotes');
  assert.deepEqual(
    named.filter((t) => registered.has(t)),
    [],
    'built now: take these out of "Not built yet"',
  );
});
