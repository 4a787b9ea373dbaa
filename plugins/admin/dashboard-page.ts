// The admin dashboard as one HTML page with its script inline (no build step, no assets to ship): the
// first-user setup or a login, then the engine's status, modules and config, from the admin API.
// Everything the API returns is put on the page as text, never as HTML.

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function dashboardPage(title: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f4f6fa; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; justify-content: space-between; }
  main { max-width: 960px; margin: 24px auto; padding: 0 24px; }
  section {
    background: #fff; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; box-shadow: 0 1px 2px #0002;
  }
  form { display: grid; gap: 8px; max-width: 360px; }
  input, button { font: inherit; padding: 6px 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6ee; }
  pre { overflow: auto; background: #f4f6fa; padding: 12px; max-height: 420px; }
  .error { color: #b3261e; } [hidden] { display: none; }
</style>
</head>
<body>
<header><strong>${t}</strong><span id="who"></span></header>
<main>
  <section id="auth">
    <h2 id="auth-title">Sign in</h2>
    <form id="auth-form">
      <input id="name" placeholder="Name" hidden>
      <input id="email" type="email" placeholder="Email" required autocomplete="username">
      <input id="password" type="password" placeholder="Password" required autocomplete="current-password">
      <button id="auth-button">Sign in</button>
      <div id="auth-error" class="error"></div>
    </form>
  </section>
  <section id="engine" hidden>
    <h2>Engine <button id="refresh">Refresh</button> <button id="logout">Sign out</button></h2>
    <table id="status"></table>
    <h3>Modules</h3>
    <table id="modules"><thead><tr><th>Name</th><th>Type</th><th>Depends on</th></tr></thead><tbody></tbody></table>
    <h3>Config</h3>
    <pre id="config"></pre>
  </section>
</main>
<script>
const $ = (id) => document.getElementById(id);
let setup = false;
async function api(path, options = {}) {
  const token = sessionStorage.getItem('admin-token');
  const headers = { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) };
  const res = await fetch('/api/v1' + path, { ...options, headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error || res.statusText), { status: res.status });
  return body;
}
function cell(row, text) { const td = row.insertCell(); td.textContent = text; }
async function showEngine() {
  const [me, status, modules, config] = await Promise.all([
    api('/auth/me'), api('/admin/engine/status'), api('/admin/engine/modules'), api('/admin/engine/config'),
  ]);
  $('who').textContent = me.email;
  $('auth').hidden = true;
  $('engine').hidden = false;
  const st = $('status');
  st.replaceChildren();
  for (const [k, v] of Object.entries(status)) { const r = st.insertRow(); cell(r, k); cell(r, String(v)); }
  const body = $('modules').tBodies[0];
  body.replaceChildren();
  for (const m of modules) {
    const r = body.insertRow();
    cell(r, m.name);
    cell(r, m.type);
    cell(r, m.dependsOn.join(', '));
  }
  $('config').textContent = JSON.stringify(config, null, 2);
}
async function start() {
  try {
    if (sessionStorage.getItem('admin-token')) return await showEngine();
  } catch { sessionStorage.removeItem('admin-token'); }
  const s = await api('/auth/setup-status').catch(() => ({}));
  setup = s.needsSetup === true;
  $('auth-title').textContent = setup ? 'Create the first admin' : 'Sign in';
  $('auth-button').textContent = setup ? 'Create admin' : 'Sign in';
  $('name').hidden = !setup;
  $('auth').hidden = false;
  $('engine').hidden = true;
}
$('auth-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('auth-error').textContent = '';
  const body = { email: $('email').value, password: $('password').value, ...(setup ? { name: $('name').value } : {}) };
  try {
    const r = await api(setup ? '/auth/setup' : '/auth/login', { method: 'POST', body: JSON.stringify(body) });
    sessionStorage.setItem('admin-token', r.access_token || r.token);
    await showEngine();
  } catch (err) { $('auth-error').textContent = err.message; }
});
$('refresh').addEventListener('click', () => showEngine().catch((err) => alert(err.message)));
$('logout').addEventListener('click', async () => {
  await api('/auth/logout', { method: 'POST' }).catch(() => {});
  sessionStorage.removeItem('admin-token');
  $('who').textContent = '';
  await start();
});
start();
</script>
</body>
</html>
`;
}
