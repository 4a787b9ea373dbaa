// The console's front end: a login form, then four pages (Apps, Sources, Registry, Tenants) and the
// detail pages under them, fed by the server's live stream.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SessionInfo } from '../../api-types.ts';
import { describeError, getJson, postJson, setSession, whenUnauthorized } from './api.ts';
import { AppPage } from './pages/app.tsx';
import { AppsPage } from './pages/apps.tsx';
import { LoginPage } from './pages/login.tsx';
import { PluginPageView } from './pages/plugin.tsx';
import { RegistryPage } from './pages/registry.tsx';
import { SourcePage } from './pages/source.tsx';
import { SourcesPage } from './pages/sources.tsx';
import { TenantsPage } from './pages/tenants.tsx';
import { match, navigate, onLinkClick, useLocation } from './router.ts';
import { useLiveCluster } from './stream.ts';
import './styles.css';

const sections = [
  { path: '/apps', label: 'Apps' },
  { path: '/sources', label: 'Sources' },
  { path: '/registry', label: 'Registry' },
  { path: '/tenants', label: 'Tenants' },
];

function Console() {
  const [session, setSessionState] = useState<SessionInfo | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [path, search] = useLocation();
  const live = useLiveCluster(session?.authenticated === true);

  const accept = (info: SessionInfo) => {
    setSession(info);
    setSessionState(info);
  };
  useEffect(() => {
    whenUnauthorized(() => accept({ authenticated: false }));
    getJson<SessionInfo>('/api/session').then(accept, (err: unknown) => setError(describeError(err)));
  }, []);
  useEffect(() => {
    if (session?.authenticated && (path === '/' || path === '/login')) navigate('/apps');
    const section = sections.find((s) => path.startsWith(s.path));
    document.title = `${section?.label ?? 'Console'} · Workflow platform`;
  }, [path, session]);

  if (error) return <p class="notice notice-bad">The console server cannot be reached: {error}</p>;
  if (!session) return <p class="notice">Loading…</p>;
  if (!session.authenticated) return <LoginPage onLogin={accept} />;

  let page = null;
  let params: Record<string, string> | undefined;
  if ((params = match('/apps/:namespace/:name', path)))
    page = (
      <AppPage
        namespace={params.namespace!}
        name={params.name!}
        live={live.apps.items.find((a) => a.namespace === params!.namespace && a.name === params!.name)}
      />
    );
  else if ((params = match('/sources/:namespace/:name', path)))
    page = (
      <SourcePage
        namespace={params.namespace!}
        name={params.name!}
        live={live.sources.items.find((s) => s.namespace === params!.namespace && s.name === params!.name)}
      />
    );
  else if ((params = match('/registry/:name', path))) page = <PluginPageView name={params.name!} />;
  else if (path === '/sources') page = <SourcesPage sources={live.sources} />;
  else if (path === '/registry') page = <RegistryPage search={search} />;
  else if (path === '/tenants') page = <TenantsPage tenants={live.tenants} />;
  else page = <AppsPage apps={live.apps} />;

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: delegates link clicks to the router; links stay links
    // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard activation of a link fires the same click
    <div class="shell" onClick={onLinkClick}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/apps">
          Workflow platform
        </a>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.path}>
                <a href={s.path} aria-current={path.startsWith(s.path) ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live ${live.connected ? 'live-on' : 'live-off'}`} role="status">
          {live.connected ? 'Live' : 'Reconnecting…'}
        </span>
        <button
          type="button"
          class="link-button"
          onClick={() => postJson<SessionInfo>('/api/logout').then(accept, () => accept({ authenticated: false }))}
        >
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

render(<Console />, document.getElementById('app')!);
