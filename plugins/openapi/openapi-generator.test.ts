// openapi.generator over real HTTP: the document of an app's workflow routes and pipeline triggers,
// checked against the official OpenAPI 3.0 JSON Schema and upstream's generation rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { Engine, silentLogger } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { rejectsWithIssue, requestJson } from '../testing/index.ts';
import { operationId } from './openapi-generator.ts';

// https://spec.openapis.org/oas/3.0/schema/2021-09-28, a draft-04 schema: for ajv (draft-07) its
// `id`/`$schema` are dropped and its one draft-04 boolean (`multipleOf` > 0) becomes the number form
const {
  id: _id,
  $schema: _schema,
  ...oasSchema
} = JSON.parse(readFileSync(new URL('../../test/fixtures/openapi/oas-3.0-schema.json', import.meta.url), 'utf8')) as {
  id?: string;
  $schema?: string;
  definitions: { Schema: { properties: { multipleOf: unknown } } };
};
oasSchema.definitions.Schema.properties.multipleOf = { type: 'number', exclusiveMinimum: 0 };
const validateOas = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(oasSchema);

const yaml = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: auth, type: auth.jwt, config: { secret: "0123456789abcdef0123456789abcdef" } }
  - { name: auth-middleware, type: http.middleware.auth, config: { authType: Bearer }, dependsOn: [auth] }
  - { name: users-api, type: http.handler, config: { contentType: application/json } }
  - name: docs
    type: openapi.generator
    config:
      title: Shop API
      version: 2.1.0
      description: Generated from the routes
      servers: [https://api.shop.example]
workflows:
  http:
    router: router
    server: server
    routes:
      - { method: GET, path: /api/users, handler: users-api }
      - { method: GET, path: "/api/users/{id}", handler: users-api, middlewares: [auth-middleware] }
      - { method: POST, path: /api/users, handler: users-api, summary: Create a user, tags: [users, admin] }
      - { method: DELETE, path: "/api/files/{path...}", handler: users-api, operationId: deleteFile }
pipelines:
  report:
    trigger: { type: http, config: { method: PUT, path: "/v1/order-items/{itemId}" } }
    steps:
      - { name: ok, type: step.json_response, config: { body: { ok: true } } }
`;

const json200 = {
  description: 'Successful response',
  content: { 'application/json': { schema: { type: 'object' } } },
};
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const jsonBody = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };

test('openapi.generator serves an OpenAPI 3.0 document of the app routes as JSON and YAML', async () => {
  const engine = await Engine.fromText(yaml, {
    plugins: corePlugins,
    logger: silentLogger(),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const res = await requestJson(`${url}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const doc = res.json;
    assert.equal(validateOas({ openapi: '3.0.3', paths: {} }), false, 'the schema rejects a document without info');
    assert.ok(validateOas({ ...doc }), JSON.stringify(validateOas.errors, null, 2));

    assert.deepEqual(doc.info, { title: 'Shop API', version: '2.1.0', description: 'Generated from the routes' });
    assert.deepEqual(doc.servers, [{ url: 'https://api.shop.example' }]);
    assert.deepEqual(Object.keys(doc.paths), [
      '/api/files/{path...}',
      '/api/users',
      '/api/users/{id}',
      '/v1/order-items/{itemId}',
    ]);
    assert.deepEqual(Object.keys(doc.paths['/api/users']), ['get', 'post']);
    assert.deepEqual(doc.paths['/api/users'].get, {
      summary: 'GET /api/users',
      operationId: 'getApiUsers',
      tags: ['users-api'],
      responses: {
        '200': json200,
        '400': { description: 'Bad request' },
        '500': { description: 'Internal server error' },
      },
    });
    assert.deepEqual(doc.paths['/api/users'].post, {
      summary: 'Create a user',
      operationId: 'postApiUsers',
      tags: ['users', 'admin'],
      requestBody: jsonBody,
      responses: {
        '200': json200,
        '400': { description: 'Bad request' },
        '500': { description: 'Internal server error' },
      },
    });
    assert.deepEqual(doc.paths['/api/users/{id}'].get, {
      summary: 'GET /api/users/{id}',
      operationId: 'getApiUsersById',
      tags: ['users-api'],
      parameters: [idParam('id')],
      responses: {
        '200': json200,
        '400': { description: 'Bad request' },
        '401': { description: 'Unauthorized' },
        '403': { description: 'Forbidden' },
        '500': { description: 'Internal server error' },
      },
    });
    const del = doc.paths['/api/files/{path...}'].delete;
    assert.equal(del.operationId, 'deleteFile');
    assert.equal(del.parameters, undefined, 'a {rest...} wildcard is not a parameter');
    const put = doc.paths['/v1/order-items/{itemId}'].put;
    assert.deepEqual(
      [put.operationId, put.tags, put.parameters, put.requestBody],
      ['putV1OrderItemsByItemId', ['report'], [idParam('itemId')], jsonBody],
    );

    const y = await fetch(`${url}/api/openapi.yaml`);
    assert.equal(y.headers.get('content-type'), 'application/x-yaml');
    assert.deepEqual(parseYaml(await y.text()), doc);
    // the routes themselves still answer
    assert.equal((await fetch(`${url}/v1/order-items/7`, { method: 'PUT', body: '{}' })).status, 200);
  } finally {
    await engine.stop();
  }
});

test('operation ids follow upstream: method plus the CamelCased path', () => {
  assert.equal(
    operationId('get', '/api/v1/user-profiles/{userId}/avatar.png'),
    'getApiV1UserProfilesByUserIdAvatarPng',
  );
  assert.equal(operationId('delete', '/'), 'delete');
});

test('servers must be a list of URLs', async () => {
  await rejectsWithIssue(
    Engine.fromText(
      `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: docs, type: openapi.generator, config: { servers: [{ url: "https://x" }] } }
`,
      { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0' },
    ),
    'modules[2].config.servers',
    /list of URLs/,
  );
});
