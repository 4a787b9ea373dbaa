import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NESTING_DEPTH, nestingExceeds, textNestingOffset } from './nesting.ts';

test('nestingExceeds walks parsed values without recursion', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(nestingExceeds(deep), true);
  assert.equal(nestingExceeds({ a: [{ b: [1] }] }, 4), false);
  assert.equal(nestingExceeds({ a: [{ b: [1] }] }, 3), true);
});

test('textNestingOffset finds where text nests too deep, skipping quoted strings', () => {
  const deep = `{"a":${'['.repeat(100_000)}`;
  assert.equal(textNestingOffset(deep), 5 + MAX_NESTING_DEPTH - 1);
  assert.equal(textNestingOffset('[[1],[2],{"a":[3]}]', 3), -1);
  assert.equal(textNestingOffset('[[1],[2],{"a":[3]}]', 2), 14);
  assert.equal(textNestingOffset('[[[1]]]', 2), 2);
  // brackets in strings are text, escaped quotes included
  assert.equal(textNestingOffset(`["${'['.repeat(50)}\\"${'{'.repeat(50)}"]`, 2), -1);
  // YAML: single-quoted scalars too, and unbalanced closers never go below zero
  assert.equal(
    textNestingOffset(`a: '${'['.repeat(50)}'\nb: ]]]]\nc: [[[`, 2, true),
    `a: '${'['.repeat(50)}'\nb: ]]]]\nc: [[`.length,
  );
  assert.equal(textNestingOffset(`a: '${'['.repeat(50)}'`, 2), 6);
});
