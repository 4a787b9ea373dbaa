import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { OperationValidator, parseOpenApi, SchemaCompiler, toJsonSchema } from './index.ts';
import { OpenApiModule } from './openapi-module.ts';

const spec = `
openapi: 3.0.3
info: { title: T, version: "1" }
components:
  parameters:
    Limit: { name: limit, in: query, schema: { type: integer, maximum: 10 } }
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: { type: string }
        nickname: { type: string, nullable: true }
        age: { type: number, minimum: 0, exclusiveMinimum: true }
paths:
  /pets/{id}:
    parameters:
      - { name: id, in: path, required: true, schema: { type: integer } }
    put:
      operationId: updatePet
      parameters:
        - { $ref: '#/components/parameters/Limit' }
        - { name: X-Trace, in: header, required: true, schema: { type: string } }
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: '#/components/schemas/Pet' } } }
      responses: { "200": { description: ok } }
`;

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers: { 'content-type': 'application/json', ...headers } } as unknown as IncomingMessage;
}

test('operations merge path-level parameters and resolve local $refs', () => {
  const doc = parseOpenApi(spec);
  const [op] = doc.operations;
  assert.deepEqual([op.method, op.path, op.operationId], ['PUT', '/pets/{id}', 'updatePet']);
  assert.deepEqual(
    op.parameters.map((p) => `${p.in}:${p.name}:${p.required}`),
    ['path:id:true', 'query:limit:false', 'header:X-Trace:true'],
  );
});

test('OpenAPI 3.0 dialect: nullable and boolean exclusiveMinimum become JSON Schema', () => {
  assert.deepEqual(toJsonSchema({ type: 'string', nullable: true }), { type: ['string', 'null'] });
  assert.deepEqual(toJsonSchema({ type: 'number', minimum: 0, exclusiveMinimum: true }), {
    type: 'number',
    exclusiveMinimum: 0,
  });
});

test('parameters, headers and a $ref body are validated with located messages', () => {
  const doc = parseOpenApi(spec);
  const v = new OperationValidator(doc.operations[0], new SchemaCompiler(doc.raw));
  const body = (o: unknown) => Buffer.from(JSON.stringify(o));
  assert.deepEqual(
    v.validateRequest(request('/pets/1?limit=3', { 'x-trace': 't' }), { id: '1' }, body({ name: 'a', nickname: null })),
    [],
  );
  const problems = v.validateRequest(request('/pets/x?limit=99'), { id: 'x' }, body({ age: 0 })).map((p) => p.message);
  assert.deepEqual(problems.sort(), [
    'body/age: must be > 0',
    'body: required property "name" is missing',
    'header parameter "X-Trace" is required',
    'path parameter "id" must be integer',
    'query parameter "limit" must be <= 10',
  ]);
  assert.deepEqual(
    v.validateRequest(request('/pets/1', { 'x-trace': 't' }), { id: '1' }, Buffer.alloc(0)).map((p) => p.message),
    ['request body is required but missing'],
  );
});

test('a missing or non-3.x spec file is a config error on spec_file', () => {
  assert.throws(
    () => new OpenApiModule('api', { spec_file: 'nope.yaml' }, '/tmp'),
    (err: { path: string[]; message: string }) => {
      assert.deepEqual(err.path, ['spec_file']);
      assert.match(err.message, /cannot read spec file \/tmp\/nope.yaml: no such file/);
      return true;
    },
  );
  assert.throws(() => parseOpenApi('swagger: "2.0"\npaths: {}'), /only OpenAPI 3.x is supported/);
});
