// Issue 16's standing bad-input suite for the template and expression evaluator: generated
// `{{ }}` and `${ }` sources, over data whose objects carry `__proto__`, `constructor` and friends as
// own keys, either compile to a template or fail with a ConfigValueError naming the problem, and
// render to a string or fail with the evaluator's own error; never a JS TypeError, RangeError or
// ReferenceError, never a value found through the prototype chain, and never a prototype changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pino from 'pino';
import { ConfigValueError, type PipelineContext } from '../contract.ts';
import { TemplateEngine, TEMPLATE_FUNCTION_NAMES } from './index.ts';

// Bounded so the file stays within a few seconds on a loaded machine.
const runs = { numRuns: 300 };
const dangerous = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__lookupGetter__',
];

const data = () =>
  JSON.parse(
    '{"name":"bob","n":3,"items":[1,"two",{"__proto__":{"x":1}}],"nested":{"a":{"b":"deep"}},' +
      '"__proto__":{"x":"own"},"constructor":"data","map":{"toString":"mine","k":[true,null]}}',
  );
const context = (): PipelineContext => ({
  triggerData: data(),
  stepOutputs: { parse: data(), constructor: data() },
  current: data(),
  metadata: { pipeline: 'p' },
  signal: new AbortController().signal,
  pipelineName: 'p',
  logger: pino({ level: 'silent' }),
});

const token = fc.oneof(
  fc.constantFrom('{{', '}}', '{{-', '-}}', '${', '}', ' ', ' ', '|', '(', ')', '[', ']', ',', ':', '?'),
  fc.constantFrom('.', '.name', '.nested.a.b', '.items', '.map', '.__proto__', '.__proto__.x', '.constructor'),
  fc.constantFrom('$', '$x', ':=', '=', 'if', 'else', 'end', 'range', 'with', 'break', 'continue', 'nil'),
  fc.constantFrom('"s"', '`raw`', "'q'", '1', '-1', '0', '2.5', 'true', 'false', '"__proto__"', '"constructor"'),
  fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '>=', '&&', '||', '!', 'matches', 'and', 'or', 'not'),
  fc.constantFrom(...dangerous, 'name', 'items', 'map', 'steps', 'trigger', 'meta', 'parse'),
  fc.constantFrom(...TEMPLATE_FUNCTION_NAMES.filter((f) => f !== 'now' && f !== 'uuid' && f !== 'uuidv4')),
  fc.string({ maxLength: 3 }),
);
const source = fc.array(token, { minLength: 1, maxLength: 14 }).map((t) => t.join(''));
const protoNames = () =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
    Reflect.ownKeys(p).map(String).sort().join(','),
  );
const pristine = protoNames();
const jsErrors = [TypeError, RangeError, ReferenceError, SyntaxError];

test('property: any template compiles or is a ConfigValueError, and renders or fails with its own error', () => {
  const te = new TemplateEngine();
  fc.assert(
    fc.property(source, (src) => {
      let render: (pc: PipelineContext) => string;
      try {
        render = te.compileString(src).render;
      } catch (e) {
        assert.ok(e instanceof ConfigValueError && e.message.length > 0, `compile ${src}: ${(e as Error).stack}`);
        return;
      }
      let out: string;
      try {
        out = render(context());
      } catch (e) {
        assert.ok(e instanceof Error && e.message.length > 0, `render ${src}: ${String(e)}`);
        assert.ok(!jsErrors.some((E) => e.constructor === E), `render ${src}: ${e.stack}`);
        return;
      } finally {
        assert.deepEqual(protoNames(), pristine, `a built-in prototype changed by ${src}`);
        assert.equal(({} as Record<string, unknown>).x, undefined);
      }
      assert.equal(typeof out, 'string');
      assert.doesNotMatch(out, /native code|<func>|\[object |=> /, `${src} rendered a JS built-in: ${out}`);
    }),
    runs,
  );
});

test('property: a name resolves to own data or to nothing, in both syntaxes', () => {
  const te = new TemplateEngine();
  const name = fc.constantFrom(...dangerous, '__defineSetter__', 'isPrototypeOf', 'propertyIsEnumerable');
  fc.assert(
    fc.property(name, fc.constantFrom('', 'nested.', 'map.', 'steps.parse.'), (n, prefix) => {
      const pc = context();
      const path = `${prefix}${n}`;
      const own = path
        .split('.')
        .reduce<unknown>(
          (v, k) =>
            typeof v === 'object' && v !== null && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined,
          { ...(pc.current as object), steps: pc.stepOutputs },
        );
      for (const src of [`{{ .${path} }}`, `\${ ${path} }`]) {
        let out: string;
        try {
          out = te.compileString(src).render(pc);
        } catch (e) {
          // `${ toString }` names upstream's function without calling it
          assert.ok(e instanceof Error && !jsErrors.some((E) => e.constructor === E), `${src}: ${String(e)}`);
          continue;
        }
        if (own === undefined) assert.match(out, /^(|<no value>)$/, `${src} found ${out} through the prototype`);
        else assert.doesNotMatch(out, /native code|<func>/, src);
      }
    }),
    runs,
  );
});
