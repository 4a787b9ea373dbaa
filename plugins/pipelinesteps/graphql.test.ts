// step.graphql against a real GraphQL server: the `graphql` reference implementation behind node:http on
// 127.0.0.1:0 (queries, variables, mutations, field errors, batching, persisted queries, introspection,
// cursor and offset pagination, auth, HTTP errors), driven through an engine app over real HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, graphql } from 'graphql';
import { Engine, silentLogger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { requestJson, rejectsWithIssue, serve, type TestServer } from '../testing/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const schema = buildSchema(`
  type User { id: ID!, name: String!, email: String }
  type PageInfo { hasNextPage: Boolean!, endCursor: String }
  type UserConnection { nodes: [User!]!, pageInfo: PageInfo! }
  type Query {
    user(id: ID!): User
    users(first: Int!, after: String): UserConnection!
    items(offset: Int!, limit: Int!): [String!]!
    broken: String
    whoami: String
  }
  type Mutation { createUser(name: String!, email: String): User! }
`);

const users: Array<{ id: string; name: string; email: string | null }> = ['ada', 'grace', 'linus', 'ken', 'dennis'].map(
  (name, i) => ({ id: String(i + 1), name, email: null }),
);
const items = Array.from({ length: 7 }, (_, i) => `item-${i}`);
const persisted = new Map<string, string>();
const seenHeaders: Array<Record<string, string | string[] | undefined>> = [];

const root = {
  user: ({ id }: { id: string }) => users.find((u) => u.id === id) ?? null,
  users: ({ first, after }: { first: number; after?: string }) => {
    const start = after ? Number(after) : 0;
    const nodes = users.slice(start, start + first);
    const end = start + nodes.length;
    return { nodes, pageInfo: { hasNextPage: end < users.length, endCursor: String(end) } };
  },
  items: ({ offset, limit }: { offset: number; limit: number }) => items.slice(offset, offset + limit),
  broken: () => {
    throw new Error('the broken field always fails');
  },
  createUser: ({ name, email }: { name: string; email?: string }) => {
    const user = { id: String(users.length + 1), name, email: email ?? null };
    users.push(user);
    return user;
  },
};

async function run(doc: { query?: string; variables?: Record<string, unknown>; extensions?: any }, auth?: string) {
  let query = doc.query;
  const pq = doc.extensions?.persistedQuery;
  if (pq) {
    if (query) persisted.set(pq.sha256Hash, query);
    else query = persisted.get(pq.sha256Hash);
    if (!query) return { errors: [{ message: 'PersistedQueryNotFound' }] };
  }
  return graphql({
    schema,
    source: query ?? '',
    rootValue: { ...root, whoami: () => auth ?? null },
    variableValues: doc.variables,
  });
}

let gql: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'wf-graphql-'));
let engine: Engine;
let app: string;

before(async () => {
  gql = await serve(async (req, res) => {
    seenHeaders.push(req.headers);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/down') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance window');
      return;
    }
    if (req.url === '/secure' && req.headers.authorization !== 'Bearer s3cret') {
      res.writeHead(401).end();
      return;
    }
    if (req.url === '/keyed' && req.headers['x-team-key'] !== 'k-123') {
      res.writeHead(403).end('bad key');
      return;
    }
    if (req.url === '/token') {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const ok = form.get('client_id') === 'app' || req.headers.authorization?.startsWith('Basic ');
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 's3cret', token_type: 'Bearer', expires_in: 3600 }));
      return;
    }
    if (req.url === '/slow') return; // never answers: the step's timeout must end it
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const auth = req.headers.authorization;
    const result = Array.isArray(body) ? await Promise.all(body.map((d) => run(d, auth))) : await run(body, auth);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  });
  engine = await Engine.fromText(
    `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  get-user:
    trigger: { type: http, config: { method: GET, path: "/users/{id}" } }
    steps:
      - { name: parse, type: step.request_parse, config: { path_params: [id] } }
      - name: fetch
        type: step.graphql
        config:
          url: "${gql.url}/graphql"
          fragments: ["fragment UserFields on User { id name }"]
          query: "query($id: ID!) { user(id: $id) { ...UserFields } }"
          variables: { id: "{{ .path_params.id }}" }
          data_path: user
          headers: { X-Request-Source: "engine-{{ .path_params.id }}" }
      - { name: respond, type: step.json_response, config: { body_from: steps.fetch } }
  create-user:
    trigger: { type: http, config: { method: POST, path: /users } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: create
        type: step.graphql
        config:
          url: "${gql.url}/graphql"
          query: "mutation($name: String!, $email: String) { createUser(name: $name, email: $email) { id name email } }"
          variables: { name: "{{ .body.name }}", email: "{{ .body.email }}" }
          data_path: createUser
      - { name: respond, type: step.json_response, config: { status: 201, body_from: steps.create.data } }
  broken:
    trigger: { type: http, config: { method: GET, path: /broken } }
    steps:
      - { name: q, type: step.graphql, config: { url: "${gql.url}/graphql", query: "{ broken user(id: 1) { name } }" } }
  broken-tolerated:
    trigger: { type: http, config: { method: GET, path: /broken-tolerated } }
    steps:
      - name: q
        type: step.graphql
        config: { url: "${gql.url}/graphql", query: "{ broken user(id: 1) { name } }", fail_on_graphql_errors: false }
      - { name: respond, type: step.json_response, config: { body_from: steps.q } }
  down:
    trigger: { type: http, config: { method: GET, path: /down } }
    steps:
      - { name: q, type: step.graphql, config: { url: "${gql.url}/down", query: "{ whoami }" } }
  secure:
    trigger: { type: http, config: { method: GET, path: /secure } }
    steps:
      - name: q
        type: step.graphql
        config: { url: "${gql.url}/secure", query: "{ whoami }", auth: { type: bearer, token: "{{ .token }}" } }
      - { name: respond, type: step.json_response, config: { body_from: steps.q.data } }
  keyed:
    steps:
      - name: q
        type: step.graphql
        config:
          url: "${gql.url}/keyed"
          query: "{ whoami }"
          auth: { type: api_key, header: X-Team-Key, key: k-123 }
  oauth:
    steps:
      - name: q
        type: step.graphql
        config:
          url: "${gql.url}/secure"
          query: "{ whoami }"
          auth: { type: oauth2_client_credentials, token_url: "${gql.url}/token", client_id: app, client_secret: pw }
  basic:
    steps:
      - name: q
        type: step.graphql
        config: { url: "${gql.url}/graphql", query: "{ whoami }", auth: { type: basic, username: ops, password: pw } }
  slow:
    steps:
      - { name: q, type: step.graphql, config: { url: "${gql.url}/slow", query: "{ whoami }", timeout: 300ms } }
  all-users:
    steps:
      - name: q
        type: step.graphql
        config:
          url: "${gql.url}/graphql"
          query: >-
            query($after: String) { users(first: 2, after: $after)
            { nodes { name } pageInfo { hasNextPage endCursor } } }
          data_path: users.nodes
          pagination: { strategy: cursor, page_info_path: users.pageInfo, cursor_variable: after }
  all-items:
    steps:
      - name: q
        type: step.graphql
        config:
          url: "${gql.url}/graphql"
          query: "query($offset: Int!) { items(offset: $offset, limit: 3) }"
          data_path: items
          pagination: { strategy: offset, max_per_page: 3 }
  batch:
    steps:
      - name: q
        type: step.graphql
        config:
          url: "${gql.url}/graphql"
          batch:
            queries:
              - { query: "query($id: ID!) { user(id: $id) { name } }", variables: { id: "{{ .first }}" } }
              - { query: "{ user(id: 2) { name } }" }
  apq:
    steps:
      - name: q
        type: step.graphql
        config: { url: "${gql.url}/graphql", query: "{ user(id: 3) { name } }", persisted_query: { enabled: true } }
  introspect:
    steps:
      - { name: q, type: step.graphql, config: { url: "${gql.url}/graphql", introspection: { enabled: true } } }
`,
    { plugins: [httpPlugin, pipelineStepsPlugin], logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' },
  );
  await engine.start();
  app = `http://127.0.0.1:${engine.address()!.port}`;
});

after(async () => {
  await engine?.stop();
  await gql?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('graphql: a query with variables, fragments, data_path and templated headers over real HTTP', async () => {
  const res = await requestJson(`${app}/users/2`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.data, { id: '2', name: 'grace' });
  assert.deepEqual(res.json.full_data, { user: { id: '2', name: 'grace' } });
  assert.deepEqual(res.json.errors, []);
  assert.equal(res.json.has_errors, false);
  assert.equal(res.json.status_code, 200);
  assert.deepEqual(res.json.raw, { data: { user: { id: '2', name: 'grace' } } });
  const sent = seenHeaders.find((h) => h['x-request-source'] === 'engine-2');
  assert.ok(sent, 'the templated header reached the server');
  assert.equal(sent['content-type'], 'application/json');
  assert.equal((await requestJson(`${app}/users/99`)).json.data, null, 'a null field stays null');
});

test('graphql: a mutation changes the server and returns the new object', async () => {
  const res = await requestJson(`${app}/users`, { method: 'POST', body: { name: 'barbara', email: 'b@x.io' } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.name, 'barbara');
  assert.equal(res.json.email, 'b@x.io');
  assert.ok(users.some((u) => u.name === 'barbara' && u.id === res.json.id));
});

test('graphql: field errors fail the step; with fail_on_graphql_errors: false they are returned', async () => {
  const failed = await requestJson(`${app}/broken`);
  assert.equal(failed.status, 500);
  assert.match(failed.json.error, /graphql step "q": the broken field always fails/);
  const tolerated = await requestJson(`${app}/broken-tolerated`);
  assert.equal(tolerated.status, 200, tolerated.text);
  assert.equal(tolerated.json.has_errors, true);
  assert.equal(tolerated.json.errors[0].message, 'the broken field always fails');
  assert.deepEqual(tolerated.json.errors[0].path, ['broken']);
  assert.deepEqual(tolerated.json.data, { broken: null, user: { name: 'ada' } }, 'partial data is kept');
});

test('graphql: HTTP errors, 401, unreachable servers and timeouts are clear step errors', async () => {
  const down = await requestJson(`${app}/down`);
  assert.equal(down.status, 500);
  assert.match(down.json.error, /graphql step "q": HTTP 503: maintenance window/);
  const denied = await requestJson(`${app}/secure`);
  assert.match(denied.json.error, /graphql step "q": received 401 Unauthorized/);
  await assert.rejects(
    engine.executePipeline('slow'),
    /graphql step "q": request to .*\/slow failed: timed out after 300 ms/,
  );
  const closed = await serve(() => undefined);
  await closed.close();
  const offline = await Engine.fromText(
    'pipelines:\n  p:\n    steps:\n      - name: q\n        type: step.graphql\n' +
      `        config: { url: "${closed.url}/graphql", query: "{ whoami }", retry_on_network_error: true }\n`,
    { plugins: [pipelineStepsPlugin], logger: silentLogger(), baseDir: dir },
  );
  await offline.start();
  try {
    await assert.rejects(
      offline.executePipeline('p'),
      /graphql step "q": request to http:\/\/127\.0\.0\.1:\d+\/graphql failed: .*ECONNREFUSED/,
    );
  } finally {
    await offline.stop();
  }
});

test('graphql: bearer (templated), OAuth2 client credentials, api_key and basic auth reach the server', async () => {
  const secure = await requestJson(`${app}/secure`, { headers: {} });
  assert.equal(secure.status, 500, 'no token: 401 from the server');
  const bearer = await engine.executePipeline('secure', { token: 's3cret' });
  assert.equal((bearer.data as any).whoami, 'Bearer s3cret');
  assert.equal(((await engine.executePipeline('oauth')).data as any).whoami, 'Bearer s3cret');
  assert.equal(((await engine.executePipeline('keyed')).data as any).whoami, null);
  const basic = (await engine.executePipeline('basic')).data as any;
  assert.equal(basic.whoami, `Basic ${Buffer.from('ops:pw').toString('base64')}`);
});

test('graphql: cursor and offset pagination collect every page', async () => {
  const cursor = await engine.executePipeline('all-users');
  const names = (cursor.data as Array<{ name: string }>).map((u) => u.name);
  assert.deepEqual(
    names,
    users.map((u) => u.name),
  );
  assert.equal(cursor.page_count, Math.ceil(users.length / 2));
  assert.equal(cursor.total_items, users.length);
  const offset = await engine.executePipeline('all-items');
  assert.deepEqual(offset.data, items);
  assert.equal(offset.page_count, 3);
});

test('graphql: batch, automatic persisted queries and introspection', async () => {
  const batch = await engine.executePipeline('batch', { first: '4' });
  assert.deepEqual(batch.results, [{ data: { user: { name: 'ken' } } }, { data: { user: { name: 'grace' } } }]);
  const hash = createHash('sha256').update('{ user(id: 3) { name } }').digest('hex');
  assert.equal(persisted.has(hash), false);
  assert.deepEqual((await engine.executePipeline('apq')).data, { user: { name: 'linus' } });
  assert.equal(persisted.has(hash), true, 'the full query was sent after PersistedQueryNotFound');
  assert.deepEqual((await engine.executePipeline('apq')).data, { user: { name: 'linus' } });
  const intro = await engine.executePipeline('introspect');
  const typeNames = (intro.types as Array<{ name: string }>).map((t) => t.name);
  assert.ok(typeNames.includes('User') && typeNames.includes('UserConnection'), typeNames.join(','));
  assert.equal((intro.schema as any).mutationType.name, 'Mutation');
});

test('graphql: bad config is a located load-time error', async () => {
  const build = (config: string) =>
    Engine.fromText(`pipelines:\n  p:\n    steps:\n      - { name: q, type: step.graphql, config: ${config} }\n`, {
      plugins: [pipelineStepsPlugin],
      logger: silentLogger(),
      baseDir: dir,
    });
  await rejectsWithIssue(build('{ query: "{ a }" }'), 'pipelines.p.steps[0].config.url', /"url"/);
  await rejectsWithIssue(build('{ url: "http://x" }'), 'pipelines.p.steps[0].config.query', /"query" is required/);
  await rejectsWithIssue(
    build('{ url: "http://x", query: "{ a }", pagination: { strategy: cursor } }'),
    'pipelines.p.steps[0].config.pagination.page_info_path',
    /pagination.page_info_path" is required for cursor pagination/,
  );
  await rejectsWithIssue(
    build('{ url: "http://x", query: "{ a }", pagination: { strategy: pages } }'),
    'pipelines.p.steps[0].config.pagination.strategy',
    /must be one of cursor, offset/,
  );
  await rejectsWithIssue(
    build('{ url: "http://x", query: "{ a }", auth: { type: kerberos } }'),
    'pipelines.p.steps[0].config.auth.type',
    /must be one of bearer, basic, api_key, oauth2_client_credentials/,
  );
  await rejectsWithIssue(
    build('{ url: "http://x", query: "{ a }", timeout: soon }'),
    'pipelines.p.steps[0].config.timeout',
    /duration/,
  );
  await rejectsWithIssue(
    build('{ url: "http://x", batch: { queries: [ { variables: {} } ] } }'),
    'pipelines.p.steps[0].config.batch.queries[0]',
    /must be a map with a "query" string/,
  );
});
