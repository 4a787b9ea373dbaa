// The spec with every default filled in, so the rest of the operator never re-derives a default.
// The CRD applies the same defaults on write; this is for objects that bypass it (older CRDs,
// `wfctl deploy --dry-run`) and for fields whose default depends on the operator (the image).
import * as api from './constants.ts';
import type { CanaryStep, IntOrString, ServicePortSpec, StrategyType, WorkflowApp, WorkflowAppSpec } from './types.ts';

export interface EffectiveSpec extends WorkflowAppSpec {
  image: string;
  replicas: number;
  plugins: Array<{ name: string; version: string }>;
  service: {
    type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    annotations: Record<string, string>;
    ports: Array<ServicePortSpec & { name: string; targetPort: IntOrString; protocol: 'TCP' | 'UDP' | 'SCTP' }>;
  };
  strategy: {
    type: StrategyType;
    rollingUpdate: { maxSurge: IntOrString; maxUnavailable: IntOrString };
    canarySteps: CanaryStep[];
    previewService: boolean;
    progressDeadlineSeconds?: number;
  };
  suspend: boolean;
}

export const defaultCanarySteps: CanaryStep[] = [{ weight: 25 }, { weight: 50 }, { weight: 100 }];

export function effectiveSpec(app: WorkflowApp, defaultImage: string): EffectiveSpec {
  const s = app.spec ?? {};
  const strategy = s.strategy ?? {};
  const ports = (s.service?.ports?.length ? s.service.ports : [{ name: api.enginePortName, port: api.enginePort }]).map(
    (p, i) => ({
      ...p,
      name: p.name ?? (i === 0 ? api.enginePortName : `port-${p.port}`),
      targetPort: p.targetPort ?? api.enginePortName,
      protocol: p.protocol ?? 'TCP',
    }),
  );
  return {
    ...s,
    image: s.image ?? defaultImage,
    replicas: s.replicas ?? 1,
    plugins: (s.plugins ?? []).map((p) => ({ name: p.name, version: p.version ?? '*' })),
    service: { type: s.service?.type ?? 'ClusterIP', annotations: s.service?.annotations ?? {}, ports },
    strategy: {
      type: strategy.type ?? 'RollingUpdate',
      rollingUpdate: {
        maxSurge: strategy.rollingUpdate?.maxSurge ?? 1,
        maxUnavailable: strategy.rollingUpdate?.maxUnavailable ?? 0,
      },
      canarySteps: strategy.canary?.steps?.length ? strategy.canary.steps : defaultCanarySteps,
      previewService: strategy.blueGreen?.previewService ?? true,
      progressDeadlineSeconds: strategy.progressDeadlineSeconds,
    },
    suspend: s.suspend ?? false,
    // The tenant label (set by the admission webhook from the namespace, or by a WorkflowSource) counts too.
    tenant: s.tenant ?? app.metadata?.labels?.[api.labels.tenant],
  };
}
