// The console walked through in headless Chromium (Debian's chromium driven by playwright-core),
// as a user would: log in with the printed token, watch an app pushed to apps.git appear and reach
// Running without a reload, open its page, press "Sync now" on the apps source, search the registry,
// look at the tenants. Every page is saved as a screenshot in the artifacts directory.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { kubectl, pushApp, pushPlugin, repoRoot, tempDir, waitFor, type PlatformInfo } from './platform-support.ts';

/** Where screenshots go: $WFCTL_ARTIFACTS_DIR, else artifacts/ in the checkout (git-ignored). */
export const artifactsDir = process.env.WFCTL_ARTIFACTS_DIR ?? join(repoRoot, 'artifacts');

export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium with a fresh profile (--user-data-dir), removed on close. */
export async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = tempDir('wfctl-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The app's endpoint once it is Running, from the cluster. */
export async function runningEndpoint(info: PlatformInfo, name: string): Promise<string> {
  return waitFor(`${name} to be Running with an endpoint`, async () => {
    const out = await kubectl(info.kubeconfig, 'get', 'wfa', name, '-n', 'default', '-o', 'json').catch(() => '');
    if (!out) return undefined;
    const status = (JSON.parse(out) as { status?: { phase?: string; endpoint?: string } }).status;
    return status?.phase === 'Running' ? status.endpoint : undefined;
  });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(join(artifactsDir, 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(artifactsDir, 'screenshots', `${name}.png`), fullPage: true });
}

/**
 * The walkthrough. `pushed` is an app this test pushes to apps.git while the Apps page is open; it
 * must appear and reach Running there without a reload, and answer over HTTP.
 */
export async function walkThroughConsole(info: PlatformInfo, opts: { workDir: string; pushed: string }): Promise<void> {
  const browser = await openBrowser();
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.setDefaultTimeout(120_000);
  try {
    // nothing readable without a login
    await page.goto(`${info.consoleUrl}/apps`);
    await page.getByLabel('Console token').waitFor();
    assert.equal(await page.locator('[data-app]').count(), 0);
    const anonymous = await page.evaluate(async () => (await fetch('/api/apps')).status);
    assert.equal(anonymous, 401);
    await shot(page, 'login');

    // a wrong token is refused with a message; the printed one logs in
    await page.getByLabel('Console token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong token' }).waitFor();
    await page.getByLabel('Console token').fill(info.consoleToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/apps');
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    assert.equal(await page.evaluate('document.cookie'), '', 'the session cookie is HttpOnly');

    // keyboard: the first Tab reaches the skip link, which moves focus to the content
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');

    // the examples synced from apps.git are Running
    const greeter = page.locator('[data-app="default/greeter"]');
    await greeter.getByText('Running').waitFor();

    // a new app pushed to apps.git appears and reaches Running, live (no reload)
    await page.evaluate('window.marker = 42');
    await pushApp(info, opts.workDir, opts.pushed);
    const row = page.locator(`[data-app="default/${opts.pushed}"]`);
    await row.getByText('Running').waitFor({ timeout: 180_000 });
    assert.equal(await page.evaluate('window.marker'), 42, 'no reload');
    assert.match((await row.textContent()) ?? '', /default\/apps/, 'the app names the source that applied it');
    const endpoint = await runningEndpoint(info, opts.pushed);
    const answer = await waitFor('the pushed app to answer over HTTP', async () => {
      const r = await fetch(`${endpoint}/hello`);
      return r.status === 200 ? ((await r.json()) as { app: string }) : undefined;
    });
    assert.deepEqual(answer, { app: opts.pushed });
    await page.evaluate('document.activeElement?.blur()');
    await shot(page, 'apps');

    // the app's page: conditions, pods, the diagram from its config, live logs, the config
    await row.getByRole('link', { name: opts.pushed }).click();
    await page.waitForURL(`**/apps/default/${opts.pushed}`);
    await page.getByRole('heading', { name: 'Conditions' }).waitFor();
    await page
      .getByRole('table', { name: `Conditions of ${opts.pushed}` })
      .getByText('Ready')
      .first()
      .waitFor();
    assert.ok(
      (await page
        .getByRole('table', { name: `Pods of ${opts.pushed}` })
        .locator('tbody tr')
        .count()) >= 1,
    );
    await page.getByRole('img', { name: `Module graph of ${opts.pushed}` }).waitFor();
    await page.getByRole('img', { name: `Pipelines of ${opts.pushed}` }).waitFor();
    const logs = page.getByRole('log', { name: `Logs of ${opts.pushed}` });
    await logs
      .getByText(/listening|started/)
      .first()
      .waitFor();
    assert.match((await page.locator('pre.code').first().textContent()) ?? '', /modules:/);
    await shot(page, 'app');

    // Sources: the apps source, synced; "Sync now" makes the controller sync again
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Sources' }).click();
    await page.waitForURL('**/sources');
    const source = page.locator('[data-source="default/apps"]');
    await source.getByText('Synced').waitFor();
    await shot(page, 'sources');
    await source.getByRole('link', { name: 'apps' }).click();
    await page
      .getByRole('table', { name: 'Resources of apps' })
      .getByRole('link', { name: opts.pushed, exact: true })
      .waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('status').filter({ hasText: 'Sync requested' }).waitFor();
    const handled = await waitFor('the controller to act on the sync request', async () => {
      const wfs = JSON.parse(await kubectl(info.kubeconfig, 'get', 'wfs', 'apps', '-n', 'default', '-o', 'json')) as {
        metadata: { annotations?: Record<string, string> };
        status?: { lastHandledSyncRequest?: string };
      };
      const requested = wfs.metadata.annotations?.['workflow.gocodealone.com/sync-requested-at'];
      return requested && wfs.status?.lastHandledSyncRequest === requested ? requested : undefined;
    });
    assert.ok(handled);
    await shot(page, 'source');

    // Registry: search with filters, and a plugin's page
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Registry' }).click();
    await page.getByLabel('Search plugins').fill('http');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL('**/registry?q=http');
    await page.getByRole('link', { name: 'http', exact: true }).waitFor();
    await page.getByLabel('Type').selectOption('builtin');
    await page.waitForURL(/type=builtin/);
    await page
      .getByRole('status')
      .filter({ hasText: /\d+ plugins?/ })
      .waitFor();
    await shot(page, 'registry');
    await page.getByRole('link', { name: 'http', exact: true }).click();
    await page.waitForURL('**/registry/http');
    await page.getByRole('table', { name: 'Versions of http' }).waitFor();
    await page.getByRole('heading', { name: 'Capabilities' }).waitFor();
    await page.getByText('built into the engine: nothing to download').waitFor();

    // a plugin published to registry.git by a git push is searchable at once, with its downloads' checksums
    await pushPlugin(info, opts.workDir, 'workflow-plugin-gitlab');
    await page.goto(`${info.consoleUrl}/registry?q=gitlab&tier=community`);
    await waitFor('the pushed plugin to be indexed', async () => {
      const found = await page.getByRole('link', { name: /gitlab$/ }).count();
      if (!found) await page.reload();
      return found > 0;
    });
    await page.getByRole('link', { name: /gitlab$/ }).click();
    await page.waitForURL(/\/registry\/[\w-]*gitlab$/);
    const versions = page.getByRole('table', { name: /^Versions of [\w-]*gitlab$/ });
    await versions.getByText('60f48423961dbb0245cf3d8ad8bbbe1c7d5d9949b3c8c22a5bc7c2a470a568df').waitFor();
    await page.getByText('step.gitlab_trigger_pipeline').first().waitFor();
    await shot(page, 'plugin');

    // Tenants: the default tenant, its usage and its license
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tenants' }).click();
    const tenant = page.locator('[data-tenant="default"]');
    await tenant.getByText(/\d+ of 50 apps/).waitFor();
    await tenant.getByText('enterprise').waitFor();
    await shot(page, 'tenants');

    // logging out ends the session
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Console token').waitFor();
    assert.equal(await page.evaluate(async () => (await fetch('/api/apps')).status), 401);
    assert.deepEqual(pageErrors, [], 'no script errors on any page');
  } finally {
    await browser.close();
  }
}
