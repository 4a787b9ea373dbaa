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

/** Sort items by version, newest first, parsing each version once. */
export function sortByVersionDescending<T>(items: T[], version: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, v: version(item), parsed: semver.parse(version(item)) }));
  keyed.sort((a, b) => {
    if (a.parsed && b.parsed) return b.parsed.compare(a.parsed);
    if (a.parsed) return -1;
    if (b.parsed) return 1;
    return a.v < b.v ? 1 : a.v > b.v ? -1 : 0;
  });
  return keyed.map((k) => k.item);
}
