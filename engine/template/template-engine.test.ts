import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ConfigValueError, type PipelineContext } from '../contract.ts';
import { TemplateEngine, lookupPath, guardTruthy } from './index.ts';
import { sprintf } from './go-format.ts';
import { formatGoTime } from './functions.ts';

function ctx(over: Partial<PipelineContext> = {}, logLines: string[] = []): PipelineContext {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  return {
    triggerData: { id: '7', body: { type: 'payment', amount: 12.5 } },
    stepOutputs: {
      'parse-request': { path_params: { id: '42' }, body: { name: 'Ada' } },
      data: {
        sales: [
          { region: 'east', amount: 100 },
          { region: 'west', amount: 200 },
          { region: 'east', amount: 150 },
        ],
      },
    },
    current: {
      name: 'bob',
      empty: '',
      zero: 0,
      items: [1, 2, 3],
      total: 5.5,
      nested: { a: { b: 'deep' } },
      flag: true,
      tags: ['x', 'y'],
    },
    metadata: { pipeline: 'orders', started_at: '2026-01-01T00:00:00Z' },
    signal: new AbortController().signal,
    pipelineName: 'orders',
    logger: pino({ level: 'warn' }, sink),
    ...over,
  };
}

const te = new TemplateEngine();
const render = (src: string, pc = ctx()) => te.compileString(src).render(pc);

test('field access: Current at the root, steps/trigger/meta namespaces', () => {
  assert.equal(render('{{ .name }}'), 'bob');
  assert.equal(render('{{ .nested.a.b }}'), 'deep');
  assert.equal(render('{{ .trigger.body.type }}'), 'payment');
  assert.equal(render('{{ .meta.pipeline }}'), 'orders');
  assert.equal(
    render('{{ .steps.data.sales }}'),
    '[map[amount:100 region:east] map[amount:200 region:west] map[amount:150 region:east]]',
  );
  assert.equal(render('plain text'), 'plain text');
});

test('hyphenated step names and fields in dot chains', () => {
  assert.equal(render('{{ .steps.parse-request.path_params.id }}'), '42');
  assert.equal(render('{{ .steps.parse-request.body.name | upper }}'), 'ADA');
  assert.equal(render('{{ step "parse-request" "path_params" "id" }}'), '42');
  assert.equal(render('{{ trigger "body" "type" }}'), 'payment');
  // a quoted hyphen is a string, not a chain
  assert.equal(render('{{ "a-b" }}'), 'a-b');
});

test('pipes pass the value as the last argument', () => {
  assert.equal(render('{{ .missing | default "normal" }}'), 'normal');
  assert.equal(render('{{ .empty | default "fallback" }}'), 'fallback');
  assert.equal(render('{{ .name | default "x" }}'), 'bob');
  assert.equal(render('{{ .name | upper | printf "<%s>" }}'), '<BOB>');
  assert.equal(render('{{ . | json | len | gt 10 }}'), 'false');
});

test('Go built-ins: eq ne lt gt and or not index len printf slice', () => {
  assert.equal(render('{{ eq .name "bob" }} {{ eq .name "x" "bob" }} {{ ne .name "bob" }}'), 'true true false');
  assert.equal(render('{{ lt 1 2 }} {{ gt .total 5 }} {{ le 2 2 }} {{ ge 1 2 }}'), 'true true true false');
  assert.equal(render('{{ and 1 0 }}|{{ and 1 "x" }}|{{ or 0 "" "z" }}|{{ or 0 "" }}|{{ not .flag }}'), '0|x|z||false');
  assert.equal(
    render('{{ index .items 1 }} {{ index .nested "a" "b" }} {{ index .steps "parse-request" "path_params" "id" }}'),
    '2 deep 42',
  );
  assert.equal(render('{{ len .items }} {{ len .name }} {{ len .nested }}'), '3 3 1');
  assert.equal(
    render('{{ printf "%s=%d %.2f %v %q %05d %x" "n" 7 3.14159 .tags "q" 42 255 }}'),
    'n=7 3.14 [x y] "q" 00042 ff',
  );
  assert.equal(render('{{ slice .items 1 }}'), '[2 3]');
  assert.equal(render('{{ print "a" 1 2 }}'), 'a1 2');
  // and/or short-circuit: the second argument is never evaluated
  assert.equal(render('{{ and false (index .items 99) }}'), 'false');
});

test('control structures: if/else if/else, range with variables and else, with, variables', () => {
  assert.equal(render('{{ if eq .name "x" }}A{{ else if eq .name "bob" }}B{{ else }}C{{ end }}'), 'B');
  assert.equal(render('{{ range $i, $v := .items }}{{ $i }}:{{ $v }} {{ end }}'), '0:1 1:2 2:3 ');
  assert.equal(render('{{ range .missing }}x{{ else }}none{{ end }}'), 'none');
  assert.equal(render('{{ range $k, $v := .nested.a }}{{ $k }}={{ $v }}{{ end }}'), 'b=deep');
  assert.equal(render('{{ with .nested.a }}{{ .b }}{{ end }}'), 'deep');
  assert.equal(render('{{ $x := .name }}{{ $x }}-{{ $.total }}'), 'bob-5.5');
  assert.equal(render('{{ range .items }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}'), '1');
  assert.equal(render('{{- " a " -}}  b {{/* comment */}}'), ' a b ');
});

test('upstream pipeline functions (UPSTREAM.md 1.9)', () => {
  assert.match(render('{{ uuid }}'), /^[0-9a-f-]{36}$/);
  assert.match(render('{{ uuidv4 }}'), /^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  assert.match(render('{{ now }}'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(render('{{ now "DateOnly" }}'), /^\d{4}-\d\d-\d\d$/);
  assert.match(render('{{ now "2006/01/02 15h" }}'), /^\d{4}\/\d\d\/\d\d \d\dh$/);
  assert.equal(render('{{ lower "AbC" }} {{ upper "abc" }} {{ title "hello big world" }}'), 'abc ABC Hello Big World');
  assert.equal(render('{{ json .nested }}'), '{"a":{"b":"deep"}}');
  assert.equal(
    render(
      '{{ replace "a" "o" "banana" }} {{ contains "an" "banana" }} {{ hasPrefix "ba" "banana" }} {{ hasSuffix ' +
        '"na" "banana" }}',
    ),
    'bonono true true true',
  );
  assert.equal(
    render(
      '{{ split "," "a,b,c" }} {{ join "-" .tags }} {{ trimSpace "  x " }} {{ trimPrefix "ab" "abc" }} {{ ' +
        'trimSuffix "bc" "abc" }}',
    ),
    '[a b c] x-y x c a',
  );
  assert.equal(render('{{ urlEncode "a b&c" }} {{ b64 "hi" }}'), 'a+b%26c aGk=');
  assert.equal(render('{{ add 1 2 }} {{ sub 5 2 }} {{ mul 1.5 2 }} {{ div 1 4 }} {{ div 1 0 }}'), '3 3 3 0.25 0');
  assert.equal(
    render('{{ toInt "42.9" }} {{ toFloat "1.5" }} {{ toString 3 }} {{ length .tags }} {{ coalesce .missing "" "c" }}'),
    '42 1.5 3 2 c',
  );
  assert.equal(
    render(
      '{{ sum .steps.data.sales "amount" }} {{ max .steps.data.sales "amount" }} {{ min .steps.data.sales "amount" }}',
    ),
    '450 200 100',
  );
  assert.equal(render('{{ json (pluck .steps.data.sales "region") }}'), '["east","west","east"]');
  assert.equal(render('{{ json (unique (pluck .steps.data.sales "region")) }}'), '["east","west"]');
  assert.equal(
    render('{{ json (groupBy .steps.data.sales "region") }}'),
    '{"east":[{"region":"east","amount":100},{"region":"east","amount":150}],"west":[{"region":"west","amount":200}]}',
  );
  assert.equal(
    render('{{ json (sortBy .steps.data.sales "amount") }}'),
    '[{"region":"east","amount":100},{"region":"east","amount":150},{"region":"west","amount":200}]',
  );
  assert.equal(render('{{ first .items }} {{ last .items }} {{ json (flatten (split "," "a,b")) }}'), '1 3 ["a","b"]');
});

test('missing keys: zero value plus one WARN in default mode; an error in strict mode', () => {
  const lines: string[] = [];
  const pc = ctx({}, lines);
  const t = te.compileString('[{{ .nope }}][{{ .steps.none.field }}]');
  assert.equal(t.render(pc), '[<no value>][<no value>]');
  t.render(pc);
  assert.equal(lines.filter((l) => l.includes('template resolved missing key')).length, 1, 'warned once');
  const strict = ctx({ strictTemplates: true } as Partial<PipelineContext>);
  assert.throws(() => te.compileString('{{ .nope }}').render(strict), /map has no entry for key "nope"/);
  assert.throws(() => te.compileString('{{ step "absent" }}').render(strict), /step "absent" not found/);
  assert.equal(te.compileString('{{ .name }}').render(strict), 'bob');
});

test('${ } expressions: evaluated first, results stringified, undefined variables are nil', () => {
  assert.equal(render('${ name }'), 'bob');
  assert.equal(render('${ upper(name) + "!" }'), 'BOB!');
  assert.equal(render('${ steps["parse-request"].path_params.id }'), '42');
  assert.equal(render('${ body.body.type }'), 'payment');
  assert.equal(render('${ total > 5 ? "big" : "small" }'), 'big');
  assert.equal(render('${ len(items) * 2 }'), '6');
  assert.equal(render('${ undefinedVar }|${ missing ?? "dflt" }'), '|dflt');
  assert.equal(render('${ "x" in tags } ${ name startsWith "b" } ${ not flag }'), 'true true false');
  assert.equal(render('${ meta.pipeline }/{{ .name }}'), 'orders/bob');
  // a dollar sign directly before {{ is literal text (upstream examples write "${{ .total }}")
  assert.equal(render('price: ${{ .total }}'), 'price: $5.5');
});

test('syntax errors are compile-time ConfigValueErrors with the config path', () => {
  for (const bad of [
    '{{ .x ',
    '{{ if .x }}open',
    '{{ end }}',
    '{{ "unterminated }}',
    '${ a + }',
    '{{ .a | }}',
    '{{ (.a }}',
  ]) {
    assert.throws(
      () => te.compile(bad, ['values', 'x']),
      (err: unknown) =>
        err instanceof ConfigValueError &&
        err.path.join('.') === 'values.x' &&
        /template syntax error/.test(err.message),
      bad,
    );
  }
  const d = te.check('{{ upperr .x }} {{ default "x" }}');
  assert.equal(d.error, undefined);
  assert.deepEqual(
    d.warnings.map((w) => w.message),
    ['function "upperr" is not defined', 'wrong number of args for default: want 2 got 1'],
  );
  assert.throws(() => render('{{ upperr .x }}'), /function "upperr" not defined/);
});

test('compile: maps and lists keep static parts, resolve templates to strings', () => {
  const c = te.compile({ a: 'static', b: '{{ .name }}', n: 3, list: ['{{ .total }}', true], deep: { k: 'v' } });
  assert.equal(c.dynamic, true);
  const out = c.resolve(ctx()) as Record<string, unknown>;
  assert.deepEqual(out, { a: 'static', b: 'bob', n: 3, list: ['5.5', true], deep: { k: 'v' } });
  const s = te.compile({ k: 'v' });
  assert.equal(s.dynamic, false);
  assert.throws(
    () => ((s.resolve(ctx()) as Record<string, unknown>).k = 'changed'),
    TypeError,
    'static values are frozen',
  );
});

test('lookupPath and guard truthiness', () => {
  const pc = ctx();
  assert.equal(lookupPath(pc, 'steps.parse-request.path_params.id'), '42');
  assert.equal(lookupPath(pc, 'items.1'), 2);
  assert.equal(lookupPath(pc, 'trigger.body.amount'), 12.5);
  assert.equal(lookupPath(pc, 'nope.deeper'), undefined);
  assert.equal((lookupPath(pc, '.') as Record<string, unknown>).name, 'bob');
  for (const falsy of ['', ' ', 'false', '0', '<no value>', null, undefined])
    assert.equal(guardTruthy(falsy), false, String(falsy));
  for (const truthy of ['true', 'yes', '1', 'x', 2]) assert.equal(guardTruthy(truthy), true, String(truthy));
});

test('Go formatting helpers', () => {
  assert.equal(sprintf('%d%%', [50]), '50%');
  assert.equal(sprintf('%s', []), '%!s(MISSING)');
  assert.equal(sprintf('%-4s|', ['a']), 'a   |');
  assert.equal(
    formatGoTime(new Date(Date.UTC(2024, 0, 5, 15, 4, 5)), 'Mon Jan _2 15:04:05 2006'),
    'Fri Jan  5 15:04:05 2024',
  );
});

test('names resolve to own data and listed functions only, never to the JS prototype (issue 16)', () => {
  // these yielded <func> and map[] through Object.prototype
  assert.equal(render('${ constructor }'), '');
  assert.equal(render('${ __proto__ }'), '');
  assert.equal(render('${ hasOwnProperty }'), '');
  // a function named but not called is nil, never its table entry (found by the property suite)
  assert.equal(render('${ toString }'), '');
  assert.equal(render('${ len(upper) }'), '0');
  // toString is upstream's function, not Object.prototype.toString
  assert.equal(render('${ toString(12) }'), '12');
  assert.equal(render('{{ toString .zero }}'), '0');
  assert.equal(render('{{ .constructor }}'), '<no value>');
  assert.equal(render('{{ index .nested "constructor" }}'), '<no value>');
  assert.equal(render('{{ step "constructor" }}'), '<no value>');
  assert.equal(render('{{ pluck .steps.data.sales "__proto__" }}'), '[<nil> <nil> <nil>]');
  const pc = ctx({ current: JSON.parse('{"__proto__": {"x": "own"}, "name": "bob"}') });
  assert.equal(render('{{ .__proto__.x }}', pc), 'own');
  assert.equal(render('${ __proto__.x }', pc), 'own');
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.match(te.check('{{ constructor }}').warnings[0]?.message ?? '', /function "constructor" is not defined/);
});

test('`matches` runs in linear time (RE2, like upstream Go): a catastrophic pattern cannot stall the engine', () => {
  const pc = ctx({ current: { v: `${'a'.repeat(50_000)}!` } });
  assert.equal(render('${ v matches "^(a+)+$" }', pc), 'false');
  assert.equal(render('${ "abc" matches "^a.c$" }'), 'true');
  assert.throws(() => render('${ "a" matches "(?=a)" }'), /invalid regular expression/);
});
