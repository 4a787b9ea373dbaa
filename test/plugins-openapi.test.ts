// The upstream OpenAPI examples on the real engine: routes from the spec, ajv request validation
// (400 with details), x-pipeline operations, spec endpoints and Swagger UI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusExamples, requestJson } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const corpus = (name: string) => readFileSync(join(corpusExamples, name), 'utf8');

test('petstore: requests are validated against the spec; valid ones reach the (unimplemented) operation', async (t) => {
  const app = await startApp(t, corpus('openapi-petstore.yaml'), {
    files: { 'specs/petstore.yaml': corpus('specs/petstore.yaml') },
  });
  const api = `${app.url}/api/v1`;

  const missingName = await requestJson(`${api}/pets`, { method: 'POST', body: { tag: 'x'.repeat(60) } });
  assert.equal(missingName.status, 400);
  assert.equal(missingName.json.error, 'request validation failed');
  assert.deepEqual(missingName.json.errors.sort(), [
    'body/tag: must NOT have more than 50 characters',
    'body: required property "name" is missing',
  ]);
  assert.deepEqual(
    missingName.json.details.map((d: { location: string }) => d.location),
    ['body', 'body'],
  );

  const badLimit = await requestJson(`${api}/pets?limit=500`);
  assert.deepEqual([badLimit.status, badLimit.json.errors], [400, ['query parameter "limit" must be <= 100']]);
  assert.equal((await requestJson(`${api}/pets?limit=abc`)).status, 400);
  const badId = await requestJson(`${api}/pets/abc`);
  assert.deepEqual([badId.status, badId.json.errors], [400, ['path parameter "petId" must be integer']]);
  const badEnum = await requestJson(`${api}/pets/1/status`, { method: 'PUT', body: { status: 'lost' } });
  assert.match(
    badEnum.json.errors[0],
    /body\/status: must be equal to one of the allowed values \("available", "pending", "sold"\)/,
  );
  const notJson = await requestJson(`${api}/pets`, {
    method: 'POST',
    rawBody: '{',
    headers: { 'content-type': 'application/json' },
  });
  assert.match(notJson.json.errors[0], /not valid JSON/);
  const wrongType = await requestJson(`${api}/pets`, {
    method: 'POST',
    rawBody: 'name=x',
    headers: { 'content-type': 'text/plain' },
  });
  assert.match(wrongType.json.errors[0], /unsupported Content-Type "text\/plain"/);

  const ok = await requestJson(`${api}/pets`, { method: 'POST', body: { name: 'Rex' } });
  assert.deepEqual([ok.status, ok.json.operationId], [501, 'createPet']);
  assert.equal((await requestJson(`${api}/pets?limit=5`)).status, 501);

  const spec = await requestJson(`${api}/openapi.json`);
  assert.equal(spec.json.info.title, 'Petstore API');
  const docs = await fetch(`${api}/docs`);
  assert.match(docs.headers.get('content-type')!, /text\/html/);
  assert.match(await docs.text(), /SwaggerUIBundle\(\{ url: "\/api\/v1\/openapi.json"/);
});

test('JSON:API articles: x-pipeline operations answer with the pipeline response, checked by the spec', async (t) => {
  const app = await startApp(t, corpus('openapi-jsonapi-articles.yaml'), {
    files: { 'specs/jsonapi-articles.yaml': corpus('specs/jsonapi-articles.yaml') },
  });
  const list = await fetch(`${app.url}/api/v1/articles?page[size]=10`);
  assert.equal(list.status, 200);
  assert.equal(list.headers.get('content-type'), 'application/vnd.api+json');
  const body = (await list.json()) as { data: Array<{ type: string; id: string }>; meta: { total: number } };
  assert.deepEqual([body.data[0].type, body.data[0].id, body.meta.total], ['articles', '1', 1]);
  assert.equal((await requestJson(`${app.url}/api/v1/articles?page[size]=1000`)).status, 400);
  const one = await requestJson(`${app.url}/api/v1/articles/1`);
  assert.equal(one.status, 200);
  assert.equal(one.json.data.attributes.title, 'Getting Started with Workflow Engine');
});
