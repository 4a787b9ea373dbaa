// Bounded nesting for decoded request bodies. JSON.parse and YAML parsers accept any depth, but
// every recursive walker after them (validation, pruning, patches, cloning) would overflow the stack
// on a 100,000-deep document and answer 500. The check itself is iterative, so it cannot overflow.

/** The default limit: far beyond any real object, well within every walker's stack. */
export const MAX_NESTING_DEPTH = 1000;

/** True when arrays and objects in `value` nest deeper than `max` levels. */
export function nestingExceeds(value: unknown, max = MAX_NESTING_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The offset in `text` (JSON, or YAML with `yaml`) where brackets and braces first nest deeper than
 * `max`; -1 when they never do. Quoted strings are skipped. This linear scan runs before a parser:
 * the parsers recurse (the yaml package spends seconds on a 100,000-deep flow collection before it
 * overflows the stack), so a hostile document is refused before it can hold up the event loop. Only
 * brackets that open a collection count in JSON; in YAML a bracket inside a plain scalar counts too,
 * which can only make a document with more than `max` of them look deep, never hide a deep one.
 */
export function textNestingOffset(text: string, max = MAX_NESTING_DEPTH, yaml = false): number {
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === BACKSLASH && quote === DOUBLE_QUOTE) i++;
      else if (c === quote) quote = 0;
    } else if (c === DOUBLE_QUOTE || (yaml && c === SINGLE_QUOTE)) quote = c;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return i;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) depth--;
  }
  return -1;
}

const BACKSLASH = 92;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
