// step.ui_scaffold and step.ui_scaffold_analyze over real HTTP: the analysis of a sample spec in
// upstream's JSON shape, the ZIP's files in upstream's order with what upstream's templates render
// (whole files compared for the dynamic ones), every generated source parsing with esbuild, and the
// 400 answers for missing or broken specs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { unzipSync } from 'fflate';
import { Engine, silentLogger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-ui-scaffold-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = `openapi: 3.0.0
info: { title: Pet Store, version: 1.2.0 }
paths:
  /api/v1/pets/{petId}:
    get: { parameters: [{ name: petId, in: path }] }
    put: { requestBody: { content: { application/json: { schema: { type: object } } } } }
    delete: {}
  /api/v1/pets:
    get: { operationId: listPets }
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/NewPet' }
  /api/v1/auth/register:
    post: { summary: Register }
  /api/v1/auth/login:
    post: { operationId: Login, requestBody: { content: { application/json: { schema: { type: object } } } } }
  /api/v1/order-items:
    get: {}
components:
  schemas:
    NewPet:
      type: object
      required: [name]
      properties:
        species: { type: string, enum: [cat, dog] }
        name: { type: string }
        ownerEmail: { type: string }
        age: { type: integer }
        api_secret: { type: string }
`;

const op = (FuncName: string, Method: string, Path: string, HasBody = false, PathParams: string[] | null = null) => ({
  FuncName,
  Method,
  Path,
  HasBody,
  PathParams,
});
const field = (Name: string, Label: string, Type: string, Required = false, Options: string[] | null = null) => ({
  Name,
  Label,
  Type,
  Required,
  Options,
});
const login = op('login', 'POST', '/api/v1/auth/login', true);
const register = op('postApiV1AuthRegister', 'POST', '/api/v1/auth/register');
const orderItems = op('getApiV1OrderItems', 'GET', '/api/v1/order-items');
const listPets = op('listPets', 'GET', '/api/v1/pets');
const createPet = op('postApiV1Pets', 'POST', '/api/v1/pets', true);
const getPet = op('getApiV1PetsByPetId', 'GET', '/api/v1/pets/{petId}', false, ['petId']);
const putPet = op('putApiV1PetsByPetId', 'PUT', '/api/v1/pets/{petId}', true, ['petId']);
const deletePet = op('deleteApiV1PetsByPetId', 'DELETE', '/api/v1/pets/{petId}', false, ['petId']);

/** Worked out by hand from upstream's scaffold.AnalyzeSpec for SPEC. */
const ANALYSIS = {
  Title: 'Pet Store',
  Version: '1.2.0',
  Theme: 'auto',
  HasAuth: true,
  LoginPath: '/api/v1/auth/login',
  RegisterPath: '/api/v1/auth/register',
  Resources: [
    {
      Name: 'OrderItems',
      NameLower: 'order-items',
      NamePlural: 'order-items',
      ListOp: orderItems,
      DetailOp: null,
      CreateOp: null,
      UpdateOp: null,
      DeleteOp: null,
      FormFields: null,
    },
    {
      Name: 'Pets',
      NameLower: 'pets',
      NamePlural: 'pets',
      ListOp: listPets,
      DetailOp: getPet,
      CreateOp: createPet,
      UpdateOp: putPet,
      DeleteOp: deletePet,
      FormFields: [
        field('age', 'Age', 'number'),
        field('api_secret', 'Api secret', 'password'),
        field('name', 'Name', 'text', true),
        field('ownerEmail', 'Owner Email', 'email'),
        field('species', 'Species', 'select', false, ['cat', 'dog']),
      ],
    },
  ],
  Operations: [login, register, orderItems, listPets, createPet, getPet, putPet, deletePet],
  LoginOp: login,
  RegisterOp: register,
};

const API_FUNCTIONS = `// Generated API functions

export const login = (data: any) =>
  apiCall('POST', '/api/v1/auth/login', data);

export const postApiV1AuthRegister = (data: any) =>
  apiCall('POST', '/api/v1/auth/register', data);

export const getApiV1OrderItems = () =>
  apiCall('GET', '/api/v1/order-items');

export const listPets = () =>
  apiCall('GET', '/api/v1/pets');

export const postApiV1Pets = (data: any) =>
  apiCall('POST', '/api/v1/pets', data);

export const getApiV1PetsByPetId = (petId: string) =>
  apiCall('GET', \`/api/v1/pets/\${petId}\`);

export const putApiV1PetsByPetId = (petId: string, data: any) =>
  apiCall('PUT', \`/api/v1/pets/\${petId}\`, data);

export const deleteApiV1PetsByPetId = (petId: string) =>
  apiCall('DELETE', \`/api/v1/pets/\${petId}\`);

`;

const APP_TSX = `import { Routes, Route, Navigate } from 'react-router-dom';
import Layout from './components/Layout';
import DashboardPage from './pages/DashboardPage';
import LoginPage from './pages/LoginPage';
import RegisterPage from './pages/RegisterPage';
import { useAuth } from './auth';
import OrderItemsPage from './pages/OrderItemsPage';
import PetsPage from './pages/PetsPage';
function PrivateRoute({ children }: { children: React.ReactNode }) {
  const { token } = useAuth();
  return token ? <>{children}</> : <Navigate to="/login" replace />;
}

export default function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/register" element={<RegisterPage />} />
      <Route path="/" element={
        <PrivateRoute>
          <Layout />
        </PrivateRoute>
      }>
        <Route index element={<DashboardPage />} />
        <Route path="order-items" element={<OrderItemsPage />} />
        <Route path="pets" element={<PetsPage />} />
      </Route>
    </Routes>
  );
}
`;

const MAIN_TSX = `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import App from './App';
import './index.css';
import { AuthProvider } from './auth';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>
);
`;

/** PetsPage.tsx from its state hooks to the end of handleCreate's form reset. */
const PETS_STATE = `export default function PetsPage() {
  const [items, setItems] = useState<Item[]>([]);
  const [selected, setSelected] = useState<Item | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [showForm, setShowForm] = useState(false);
  const [form, setForm] = useState<Record<string, string>>({
    age: '',
    api_secret: '',
    name: '',
    ownerEmail: '',
    species: '',
  });

  useEffect(() => {
    loadItems();
  }, []);
`;

const PETS_SPECIES_FIELD = `            <FormField
              name="species"
              label="Species"
              type="select"
              value={form.species}
              onChange={(name, value) => setForm((f) => ({ ...f, [name]: value }))}
              required={false}
              options={['cat', 'dog', ]}
            />
            <button type="submit" style={{ padding: '0.5rem 1.5rem', background: '#1a1a2e', color: '#fff', \
border: 'none', borderRadius: 4, cursor: 'pointer' }}>Create</button>`;

const ORDER_ITEMS_TAIL = `      setLoading(false);
    }
  }



  const columns = items.length > 0`;

test('ui_scaffold_analyze and ui_scaffold over HTTP: upstream analysis, files, and sources that parse', async () => {
  const engine = await Engine.fromText(
    `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  analyze:
    trigger: { type: http, config: { method: POST, path: /analyze } }
    steps: [{ name: analyze, type: step.ui_scaffold_analyze }]
  scaffold:
    trigger: { type: http, config: { method: POST, path: /scaffold } }
    steps: [{ name: gen, type: step.ui_scaffold, config: { filename: pets-ui.zip } }]
  titled:
    steps: [{ name: analyze, type: step.ui_scaffold_analyze, config: { title: Admin, theme: dark } }]
`,
    { plugins: [httpPlugin, pipelineStepsPlugin], logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' },
  );
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  const post = (path: string, body: string) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body });
  try {
    const analyzed = await post('/analyze', SPEC);
    assert.equal(analyzed.status, 200);
    assert.equal(analyzed.headers.get('content-type'), 'application/json');
    const text = await analyzed.text();
    assert.ok(text.startsWith('{"Title":"Pet Store","Version":"1.2.0","Theme":"auto","HasAuth":true,'), text);
    assert.deepEqual(JSON.parse(text), ANALYSIS);

    // outside HTTP: the analysis is the output; title and theme override the spec's
    const titled = await engine.executePipeline('titled', { spec: SPEC });
    assert.deepEqual([titled.Title, titled.Theme, titled.Version], ['Admin', 'dark', '1.2.0']);

    const res = await post('/scaffold', SPEC);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="pets-ui.zip"');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const names = Object.keys(files);
    assert.deepEqual(names, [
      'ui/package.json',
      'ui/tsconfig.json',
      'ui/vite.config.ts',
      'ui/index.html',
      'ui/src/main.tsx',
      'ui/src/index.css',
      'ui/src/App.tsx',
      'ui/src/api.ts',
      'ui/src/auth.tsx',
      'ui/src/components/Layout.tsx',
      'ui/src/components/DataTable.tsx',
      'ui/src/components/FormField.tsx',
      'ui/src/pages/DashboardPage.tsx',
      'ui/src/pages/LoginPage.tsx',
      'ui/src/pages/RegisterPage.tsx',
      'ui/src/pages/OrderItemsPage.tsx',
      'ui/src/pages/PetsPage.tsx',
    ]);
    const file = (name: string) => Buffer.from(files[`ui/${name}`]!).toString('utf8');
    assert.equal(file('src/App.tsx'), APP_TSX);
    assert.equal(file('src/main.tsx'), MAIN_TSX);
    assert.ok(file('src/api.ts').endsWith(`return res.text();\n}\n\n${API_FUNCTIONS}`), file('src/api.ts'));
    assert.equal(JSON.parse(file('package.json')).name, 'pet-store');
    assert.equal(JSON.parse(file('tsconfig.json')).compilerOptions.jsx, 'react-jsx');
    assert.match(file('index.html'), /<title>Pet Store<\/title>/);
    assert.match(file('src/pages/LoginPage.tsx'), /await fetch\('\/api\/v1\/auth\/login', \{/);
    assert.match(file('src/pages/RegisterPage.tsx'), /await fetch\('\/api\/v1\/auth\/register', \{/);
    assert.match(
      file('src/components/Layout.tsx'),
      /<NavLink to="\/order-items" style=\{linkStyle\}>OrderItems<\/NavLink>/,
    );
    const pets = file('src/pages/PetsPage.tsx');
    assert.ok(pets.startsWith("import { useState, useEffect, FormEvent } from 'react';\n"), pets);
    assert.ok(pets.includes(PETS_STATE), pets);
    assert.ok(pets.includes(PETS_SPECIES_FIELD), pets);
    assert.match(pets, /await fetch\('\/api\/v1\/pets\/\{petId\}'\.replace\(\/\\\{\[\^\}\]\+\\\}\/, String\(id\)\)/);
    const orderItems = file('src/pages/OrderItemsPage.tsx');
    assert.ok(orderItems.startsWith("import { useState, useEffect } from 'react';\n"), orderItems);
    assert.ok(orderItems.includes(ORDER_ITEMS_TAIL), orderItems);
    assert.doesNotMatch(orderItems, /FormField|handleDelete|showForm/);

    // every generated source is valid TypeScript/TSX
    for (const name of names.filter((n) => /\.tsx?$/.test(n)))
      await transform(Buffer.from(files[name]!).toString('utf8'), { loader: 'tsx', sourcefile: name });

    // a spec without auth endpoints: no auth files; `auth: true` is only read by ui_scaffold
    const plain = await post('/scaffold', '{"info": {"title": "Plain"}, "paths": {"/widgets": {"get": {}}}}');
    const plainFiles = Object.keys(unzipSync(new Uint8Array(await plain.arrayBuffer())));
    assert.ok(!plainFiles.includes('ui/src/auth.tsx') && plainFiles.includes('ui/src/pages/WidgetsPage.tsx'));

    // bad input: 400 {"error"} and no crash
    const broken = await post('/analyze', '{"info": ');
    assert.equal(broken.status, 400);
    assert.match(
      ((await broken.json()) as { error: string }).error,
      /^failed to parse OpenAPI spec: JSON parse error: /,
    );
    const scalar = await post('/scaffold', 'just words');
    assert.equal(scalar.status, 400);
    assert.match(
      ((await scalar.json()) as { error: string }).error,
      /failed to parse OpenAPI spec: YAML parse error: the spec must be a mapping/,
    );
    const empty = await fetch(`${url}/analyze`, { method: 'POST' });
    assert.equal(empty.status, 400);
    assert.match(
      ((await empty.json()) as { error: string }).error,
      /no OpenAPI spec provided in request body|spec is empty/,
    );
    await assert.rejects(engine.executePipeline('titled', {}), /step.ui_scaffold_analyze "analyze": no OpenAPI spec/);
  } finally {
    await engine.stop();
  }
});
