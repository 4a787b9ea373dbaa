// Regular expressions from untrusted input (CRD `pattern`s, tenants' configs) run on RE2 semantics
// (re2js, a pure-JS port: no native build, no download), whose matching time is linear in the input.
// V8's backtracking engine takes exponential time on patterns like `^(a+)+$`, and one such match
// freezes the whole process: every request, /healthz included. Kubernetes validates CRD patterns
// with Go's regexp, which is RE2, so the same patterns are accepted and refused here.
import { RE2JS } from 're2js';

export interface LinearRegExp {
  /** Whether the pattern matches anywhere in `input` (JSON Schema and Go's MatchString semantics). */
  test(input: string): boolean;
  /** The first match and its groups (Go's FindStringSubmatch: "" for a group that did not take part). */
  match(input: string): string[] | undefined;
}

/** The pattern cannot be compiled by RE2 (lookaround, backreferences, bad syntax). */
export class RegExpSyntaxError extends Error {}

const MAX_CACHED = 1000;
const cache = new Map<string, LinearRegExp>();

/** Compiles `pattern` (cached); throws RegExpSyntaxError with RE2's message when it cannot. */
export function compileLinearRegExp(pattern: string): LinearRegExp {
  let compiled = cache.get(pattern);
  if (compiled) return compiled;
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    throw new RegExpSyntaxError((e as Error).message);
  }
  compiled = {
    test: (input) => re.matcher(input).find(),
    match: (input) => {
      const m = re.matcher(input);
      if (!m.find()) return undefined;
      return Array.from({ length: m.groupCount() + 1 }, (_, i) => m.group(i) ?? '');
    },
  };
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** Why RE2 refuses `pattern`, or undefined when it compiles. */
export function linearRegExpProblem(pattern: string): string | undefined {
  try {
    compileLinearRegExp(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
