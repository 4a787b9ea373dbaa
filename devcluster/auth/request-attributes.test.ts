import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiPath } from '../api/request-path.ts';
import { requestAttributes } from './request-attributes.ts';

test('requests map to RBAC attributes as kube RequestInfo does', () => {
  const attrs = (method: string, path: string, query = '') =>
    requestAttributes(method, path, parseApiPath(path), new URLSearchParams(query));
  const short = (a: ReturnType<typeof attrs>) =>
    a.kind === 'nonResource'
      ? `${a.verb} ${a.path}`
      : `${a.verb} ${a.group}/${a.resource}${a.subresource ? `/${a.subresource}` : ''} ns=${a.namespace} name=` +
        `${a.name}`;
  const cases: Array<[string, string, string, string]> = [
    ['GET', '/api/v1/namespaces/team/pods', '', 'list /pods ns=team name='],
    ['GET', '/api/v1/namespaces/team/pods', 'watch=true', 'watch /pods ns=team name='],
    ['GET', '/api/v1/watch/namespaces/team/pods', '', 'watch /pods ns=team name='],
    ['GET', '/api/v1/namespaces/team/pods/web', '', 'get /pods ns=team name=web'],
    ['GET', '/api/v1/namespaces/team/pods/web/exec', 'command=ls', 'create /pods/exec ns=team name=web'],
    ['POST', '/apis/apps/v1/namespaces/team/deployments', '', 'create apps/deployments ns=team name='],
    ['PUT', '/apis/apps/v1/namespaces/team/deployments/d/status', '', 'update apps/deployments/status ns=team name=d'],
    ['PATCH', '/apis/apps/v1/namespaces/team/deployments/d/scale', '', 'patch apps/deployments/scale ns=team name=d'],
    ['DELETE', '/api/v1/namespaces/team/configmaps', '', 'deletecollection /configmaps ns=team name='],
    ['DELETE', '/api/v1/namespaces/team', '', 'delete /namespaces ns=team name=team'],
    ['GET', '/api/v1/nodes', '', 'list /nodes ns= name='],
    ['POST', '/api/v1/namespaces/team/serviceaccounts/bot/token', '', 'create /serviceaccounts/token ns=team name=bot'],
    ['GET', '/apis', '', 'get /apis'],
    ['GET', '/openapi/v3/apis/apps/v1', '', 'get /openapi/v3/apis/apps/v1'],
  ];
  for (const [method, path, query, expected] of cases)
    assert.equal(short(attrs(method, path, query)), expected, `${method} ${path}`);
});
