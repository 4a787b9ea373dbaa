// kube-controller-manager's token controller: a Secret of type kubernetes.io/service-account-token
// annotated with a ServiceAccount's name gets a (non-expiring) token for it, the cluster CA and the
// namespace; when the account is deleted, or replaced by a new one of the same name, such Secrets are
// deleted, which revokes their tokens.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { SA_TOKEN_SECRET_TYPE } from './authenticator.ts';
import type { ServiceAccountTokens } from './service-account-tokens.ts';

const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';
const ctx = () => systemContext('tokens-controller');

export class TokenController extends Controller {
  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly tokens: ServiceAccountTokens,
    private readonly caCertPem: string,
  ) {
    super(cache, logger);
  }

  private type(plural: string): ResourceType {
    return this.catalog.lookup('', 'v1', plural)!;
  }

  start(): void {
    for (const s of this.api.list(this.type('secrets'), undefined, { fieldSelector: `type=${SA_TOKEN_SECRET_TYPE}` })
      .items)
      this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
  }

  protected onChange(change: Change): void {
    if (change.storageKey === '/secrets' && change.object.type === SA_TOKEN_SECRET_TYPE && change.type !== 'DELETED')
      this.queue.add(`${change.namespace}/${change.name}`);
    if (change.storageKey === '/serviceaccounts') {
      for (const s of this.api.list(this.type('secrets'), change.namespace, {
        fieldSelector: `type=${SA_TOKEN_SECRET_TYPE}`,
      }).items) {
        if (s.metadata.annotations?.[NAME_ANNOTATION] === change.name)
          this.queue.add(`${change.namespace}/${s.metadata.name}`);
      }
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const secret = this.api.tryGet(this.type('secrets'), namespace, name);
    if (!secret || secret.type !== SA_TOKEN_SECRET_TYPE || secret.metadata.deletionTimestamp) return;
    const saName = secret.metadata.annotations?.[NAME_ANNOTATION];
    if (!saName) return;
    const sa = this.api.tryGet(this.type('serviceaccounts'), namespace, saName);
    const boundUid = secret.metadata.annotations?.[UID_ANNOTATION];
    if (boundUid && (!sa || sa.metadata.uid !== boundUid)) {
      await this.api.delete(this.type('secrets'), namespace, name, {}, ctx()).catch(tolerating(404, 409));
      return;
    }
    if (!sa) return; // the account may come later
    const data = (secret.data ?? {}) as Record<string, string>;
    if (data.token && boundUid === sa.metadata.uid) return;
    const token = await this.tokens.issueLegacy(namespace, { name: saName, uid: sa.metadata.uid! }, name);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await this.api
      .patch(
        this.type('secrets'),
        namespace,
        name,
        'merge',
        {
          metadata: {
            annotations: { [UID_ANNOTATION]: sa.metadata.uid },
            resourceVersion: secret.metadata.resourceVersion,
          },
          data: { token: b64(token), 'ca.crt': b64(this.caCertPem), namespace: b64(namespace) },
        },
        ctx(),
      )
      .catch(tolerating(404, 409));
  }
}
