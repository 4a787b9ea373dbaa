// Module start order: a topological sort by `dependsOn` (Kahn's algorithm, ties broken by declared
// index, unknown names ignored); a cycle is an error naming the modules in it.

export interface OrderInput {
  name: string;
  dependsOn: readonly string[];
}

export type OrderResult = { ok: true; order: number[] } | { ok: false; cycle: string[] };

export function orderModules(modules: readonly OrderInput[]): OrderResult {
  const index = new Map<string, number>();
  modules.forEach((m, i) => {
    if (!index.has(m.name)) index.set(m.name, i);
  });
  const indegree = modules.map(() => 0);
  const dependents: number[][] = modules.map(() => []);
  modules.forEach((m, i) => {
    for (const dep of new Set(m.dependsOn)) {
      const j = index.get(dep);
      if (j === undefined || j === i) continue;
      indegree[i]!++;
      dependents[j]!.push(i);
    }
  });
  // ready set kept sorted by declared index
  const ready: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  const order: number[] = [];
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(i);
    for (const k of dependents[i]!) {
      if (--indegree[k]! === 0) {
        let pos = 0;
        while (pos < ready.length && ready[pos]! < k) pos++;
        ready.splice(pos, 0, k);
      }
    }
  }
  if (order.length === modules.length) return { ok: true, order };
  return { ok: false, cycle: findCycle(modules, index, new Set(order)) };
}

function findCycle(modules: readonly OrderInput[], index: Map<string, number>, done: Set<number>): string[] {
  // walk dependencies from any unfinished module until a node repeats
  const start = modules.findIndex((_, i) => !done.has(i));
  const path: number[] = [];
  const seen = new Map<number, number>();
  let cur = start;
  while (!seen.has(cur)) {
    seen.set(cur, path.length);
    path.push(cur);
    const next = modules[cur]!.dependsOn.map((d) => index.get(d)).find(
      (j) => j !== undefined && !done.has(j) && j !== cur,
    );
    if (next === undefined) break;
    cur = next;
  }
  const from = seen.get(cur) ?? 0;
  const cycle = path.slice(from).map((i) => modules[i]!.name);
  return [...cycle, cycle[0]!];
}
