// Everything that decides who may do what, assembled for startDevCluster: the authenticator (admin
// token, token file, ServiceAccount tokens), the RBAC cache and authorizer, impersonation, the access
// reviews, TokenRequest, RBAC escalation prevention at admission, the bootstrap policy and the two
// controllers that keep RBAC objects and token Secrets current.
import type { Logger } from 'pino';
import type { Admission, UserInfo } from '../admission/admission.ts';
import type { ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { AccessControl } from './access-control.ts';
import { accessReviewTypes } from './access-reviews.ts';
import { Authenticator, type StaticUser } from './authenticator.ts';
import { reconcileBootstrapPolicy } from './bootstrap-policy.ts';
import { ClusterRoleAggregationController } from './clusterrole-aggregation-controller.ts';
import { RbacCache } from './rbac-cache.ts';
import { rbacEscalationAdmission } from './rbac-escalation.ts';
import { ServiceAccountTokens } from './service-account-tokens.ts';
import { TokenController } from './token-controller.ts';
import { createTokenRequest } from './token-request.ts';

export interface AuthPlaneOptions {
  dataDir: string;
  adminToken: string;
  admin: UserInfo;
  caCertPem: string;
  /** Static users by bearer token (kube-apiserver's --token-auth-file, see readTokenFile). */
  staticUsers?: StaticUser[];
  api: () => ObjectApi;
  /** The served kinds: the plane adds the access reviews to them. */
  catalog: ResourceCatalog;
  cache: WatchCache;
  logger: Logger;
}

export class AuthPlane {
  readonly tokens: ServiceAccountTokens;
  readonly rbac: RbacCache;
  readonly access: AccessControl;
  /** RBAC escalation prevention, run with the other admission plugins. */
  readonly admission: Admission;
  private controllers: Array<{ stop(): Promise<void> }> = [];

  constructor(private readonly opts: AuthPlaneOptions) {
    this.tokens = ServiceAccountTokens.forDataDir(opts.dataDir);
    this.rbac = new RbacCache(opts.api, opts.catalog, opts.cache);
    this.access = new AccessControl(
      new Authenticator({
        adminToken: opts.adminToken,
        admin: opts.admin,
        tokens: this.tokens,
        api: opts.api,
        catalog: opts.catalog,
        staticUsers: opts.staticUsers,
      }),
      this.rbac,
    );
    opts.catalog.register(
      accessReviewTypes({
        authorize: (user, attrs) => this.rbac.policy().authorize(user, attrs),
        rulesFor: (user, namespace) => this.rbac.policy().rulesFor(user, namespace),
      }),
    );
    this.admission = rbacEscalationAdmission(this.rbac);
  }

  /** Reconciles the default roles and starts the controllers (once the API is up). */
  async start(): Promise<void> {
    const api = this.opts.api();
    const catalog = this.opts.catalog;
    await reconcileBootstrapPolicy(api, catalog);
    const logger = this.opts.logger.child({ component: 'devcluster-auth' });
    const aggregation = new ClusterRoleAggregationController(api, catalog, this.opts.cache, logger);
    const tokens = new TokenController(api, catalog, this.opts.cache, logger, this.tokens, this.opts.caCertPem);
    this.controllers = [aggregation, tokens];
    aggregation.start();
    tokens.start();
  }

  tokenRequest(namespace: string, name: string, body: unknown): Promise<object> {
    return createTokenRequest(this.opts.api(), this.opts.catalog, this.tokens, namespace, name, body);
  }

  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    this.rbac.stop();
  }
}
