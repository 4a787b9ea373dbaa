// Upstream's single-clause plugin version constraints: `>= <= != > < = ^ ~` or a bare version
// (exact). `^` = same major and >=; `~` = same major.minor and >=.
// (A tiny parser instead of the semver package: this runs on every engine start, where the
// package's load time is a visible part of the cold start.)

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** MAJOR[.MINOR[.PATCH]] with an optional leading "v"; pre-release/build suffixes are ignored. */
export function parseVersion(v: string): Version | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(v.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** null when satisfied; otherwise why not (including an unparsable constraint). */
export function checkConstraint(version: string, constraint: string): string | null {
  const c = constraint.trim();
  if (c === '' || c === '*') return null;
  const m = /^(>=|<=|!=|>|<|=|\^|~)?\s*v?(\S+)$/.exec(c);
  const want = m ? parseVersion(m[2]!) : null;
  const have = parseVersion(version);
  if (!m || !want)
    return `cannot parse version constraint "${constraint}" (use e.g. ">=1.2.0", "^1.0.0", "~1.4.0" or "1.2.3")`;
  if (!have) return `plugin version "${version}" is not a semantic version`;
  const cmp = compare(have, want);
  const ok = (() => {
    switch (m[1]) {
      case '>=':
        return cmp >= 0;
      case '<=':
        return cmp <= 0;
      case '>':
        return cmp > 0;
      case '<':
        return cmp < 0;
      case '!=':
        return cmp !== 0;
      case '^':
        return have.major === want.major && cmp >= 0;
      case '~':
        return have.major === want.major && have.minor === want.minor && cmp >= 0;
      default:
        return cmp === 0;
    }
  })();
  return ok ? null : `version ${version} does not satisfy "${constraint}"`;
}
