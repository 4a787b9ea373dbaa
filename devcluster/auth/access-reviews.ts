// authorization.k8s.io/v1 reviews, answered by the same RBAC decisions as requests:
// SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview and LocalSubjectAccessReview
// (can *that* user?), SelfSubjectRulesReview (`kubectl auth can-i --list`). Created, answered, never
// stored.
import type { UserInfo } from '../admission/admission.ts';
import { fieldInvalid, fieldRequired, invalid, type FieldError } from '../api/errors.ts';
import { isObject } from '../logic/schema.ts';
import { defineBuiltin } from '../resources/builtin/define.ts';
import { objectFrame, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import { atomicList, bool, obj, opaque, str } from '../resources/schema-dsl.ts';
import type { Decision, PolicyRule, RequestAttributes } from './rbac.ts';

export interface ReviewAuthority {
  authorize(user: UserInfo, attrs: RequestAttributes): Decision;
  rulesFor(user: UserInfo, namespace: string): PolicyRule[];
}

const GROUP = 'authorization.k8s.io';

const resourceAttributes = obj({
  namespace: str(),
  verb: str(),
  group: str(),
  version: str(),
  resource: str(),
  subresource: str(),
  name: str(),
  fieldSelector: opaque(),
  labelSelector: opaque(),
});
const nonResourceAttributes = obj({ path: str(), verb: str() });
const reviewStatus = obj({ allowed: bool(), denied: bool(), reason: str(), evaluationError: str() });

interface ReviewSpec {
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: Record<string, string>;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** The request attributes a review asks about, or the field errors kube reports. */
function reviewAttributes(kind: string, o: KubeObject, namespace?: string): RequestAttributes {
  const spec = (isObject(o.spec) ? o.spec : {}) as ReviewSpec;
  const errors: FieldError[] = [];
  const both = Boolean(spec.resourceAttributes) === Boolean(spec.nonResourceAttributes);
  if (both)
    errors.push(
      fieldInvalid(
        'spec.resourceAttributes',
        spec.resourceAttributes ? 'both' : 'neither',
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  const ra = spec.resourceAttributes;
  if (ra && namespace !== undefined && (ra.namespace ?? '') !== namespace)
    errors.push(fieldInvalid('spec.resourceAttributes.namespace', ra.namespace ?? '', 'must match metadata.namespace'));
  if (errors.length) throw invalid(kind, GROUP, o.metadata.name ?? '', errors);
  if (ra) {
    return {
      kind: 'resource',
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.resource ?? '',
      subresource: ra.subresource ?? '',
      name: ra.name ?? '',
      namespace: ra.namespace ?? '',
    };
  }
  return {
    kind: 'nonResource',
    verb: spec.nonResourceAttributes?.verb ?? '',
    path: spec.nonResourceAttributes?.path ?? '',
  };
}

function answer(o: KubeObject, decision: Decision): KubeObject {
  return { ...o, status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) } };
}

/** The user a (Local)SubjectAccessReview names. */
function subjectOf(kind: string, o: KubeObject): UserInfo {
  const spec = (isObject(o.spec) ? o.spec : {}) as ReviewSpec;
  if (!spec.user && !spec.groups?.length)
    throw invalid(kind, GROUP, o.metadata.name ?? '', [
      fieldRequired('spec.user', 'at least one of user or group must be specified'),
    ]);
  return {
    username: spec.user ?? '',
    groups: spec.groups ?? [],
    ...(spec.uid ? { uid: spec.uid } : {}),
    ...(spec.extra ? { extra: spec.extra } : {}),
  };
}

/** Rules grouped as a SelfSubjectRulesReview reports them. */
function rulesStatus(rules: PolicyRule[]) {
  return {
    resourceRules: rules
      .filter((r) => r.resources?.length || r.apiGroups?.length)
      .map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources ?? [],
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      })),
    nonResourceRules: rules
      .filter((r) => r.nonResourceURLs?.length)
      .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
    incomplete: false,
  };
}

export function accessReviewTypes(authority: ReviewAuthority): ResourceType[] {
  const review = (kind: string, plural: string, namespaced: boolean, subjectProperties: boolean) =>
    defineBuiltin({
      group: GROUP,
      version: 'v1',
      kind,
      plural,
      namespaced,
      verbs: ['create'],
      schema: objectFrame({
        spec: obj({
          resourceAttributes,
          nonResourceAttributes,
          ...(subjectProperties ? { user: str(), groups: atomicList(str()), uid: str(), extra: opaque() } : {}),
        }),
        status: reviewStatus,
      }),
      ephemeral: (o, requester, namespace) => {
        const attrs = reviewAttributes(kind, o, namespaced ? namespace : undefined);
        const user = subjectProperties ? subjectOf(kind, o) : requester;
        return answer(o, authority.authorize(user, attrs));
      },
    });
  const rulesReview = defineBuiltin({
    group: GROUP,
    version: 'v1',
    kind: 'SelfSubjectRulesReview',
    plural: 'selfsubjectrulesreviews',
    namespaced: false,
    verbs: ['create'],
    schema: objectFrame({ spec: obj({ namespace: str() }), status: opaque() }),
    ephemeral: (o, requester) => {
      const namespace = String((o.spec as { namespace?: string } | undefined)?.namespace ?? '');
      return { ...o, status: rulesStatus(authority.rulesFor(requester, namespace)) };
    },
  });
  return [
    review('SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, false),
    review('SubjectAccessReview', 'subjectaccessreviews', false, true),
    review('LocalSubjectAccessReview', 'localsubjectaccessreviews', true, true),
    rulesReview,
  ];
}
