import type { Collection } from '../../../api-types.ts';

/**
 * What to show instead of a table while a kind is loading, missing from the cluster, failing, or
 * empty; undefined when the table should be shown.
 */
export function collectionNotice<T>(c: Collection<T>, kind: string, emptyText: string) {
  if (!c.available)
    return (
      <p class="notice">
        {kind} is not installed in this cluster (its CustomResourceDefinition is missing). The console shows it as soon
        as it is installed.
      </p>
    );
  if (c.error)
    return (
      <p class="notice notice-bad" role="alert">
        Cannot read {kind}: {c.error}
      </p>
    );
  if (!c.synced) return <p class="notice">Loading {kind}…</p>;
  if (c.items.length === 0) return <p class="notice">{emptyText}</p>;
  return undefined;
}
