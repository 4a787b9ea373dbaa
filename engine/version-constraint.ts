// A config's `requires.plugins[].version` against a loaded plugin's version, with semver's ranges
// (the registry's too, so the two never disagree; prereleases count as semver says). Upstream's `!=`
// is the one form semver's ranges lack. Only the functions used are loaded, for the engine's start.
import clean from 'semver/functions/clean.js';
import eq from 'semver/functions/eq.js';
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';

const hint = '(use e.g. ">=1.2.0", "^1.0.0", "~1.4.0" or "1.2.3")';

/** null when satisfied; otherwise why not (including an unparsable constraint). */
export function checkConstraint(version: string, constraint: string): string | null {
  const c = constraint.trim();
  if (c === '' || c === '*') return null;
  const have = clean(version);
  if (!have) return `plugin version "${version}" is not a semantic version`;
  if (c.startsWith('!=')) {
    const not = clean(c.slice(2).trim());
    if (!not) return `cannot parse version constraint "${constraint}" ${hint}`;
    return eq(have, not) ? `version ${version} does not satisfy "${constraint}"` : null;
  }
  if (validRange(c) === null) return `cannot parse version constraint "${constraint}" ${hint}`;
  return satisfies(have, c) ? null : `version ${version} does not satisfy "${constraint}"`;
}
