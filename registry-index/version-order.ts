// Ordering versions the way people expect: by semver precedence, newest first.
import semver from 'semver';

/** Newest first by semver precedence; invalid versions (reported elsewhere) sort last. */
export function compareVersionsDescending(a: string, b: string): number {
  const va = semver.valid(a);
  const vb = semver.valid(b);
  if (va && vb) return semver.rcompare(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return a < b ? 1 : a > b ? -1 : 0;
}
