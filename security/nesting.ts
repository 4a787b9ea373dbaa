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
