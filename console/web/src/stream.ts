// The live view of the cluster: one EventSource on /api/stream, which the server feeds from its watch
// of WorkflowApps, WorkflowSources and WorkflowTenants. Every page reads from here; nothing polls.
import { useEffect, useState } from 'preact/hooks';
import type { AppSummary, Collection, SourceSummary, StreamKind, TenantSummary } from '../../api-types.ts';

export interface LiveState {
  connected: boolean;
  apps: Collection<AppSummary>;
  sources: Collection<SourceSummary>;
  tenants: Collection<TenantSummary>;
}

const empty = <T>(): Collection<T> => ({ available: true, synced: false, error: null, items: [] });

export function useLiveCluster(enabled: boolean): LiveState {
  const [state, setState] = useState<LiveState>({
    connected: false,
    apps: empty(),
    sources: empty(),
    tenants: empty(),
  });
  useEffect(() => {
    if (!enabled) return;
    const events = new EventSource('/api/stream');
    events.onopen = () => setState((s) => ({ ...s, connected: true }));
    events.onerror = () => setState((s) => ({ ...s, connected: false }));
    for (const kind of ['apps', 'sources', 'tenants'] as StreamKind[])
      events.addEventListener(kind, (e) =>
        setState((s) => ({ ...s, connected: true, [kind]: JSON.parse((e as MessageEvent<string>).data) })),
      );
    return () => events.close();
  }, [enabled]);
  return state;
}
