// What a hostile web page can do to a running `sightline serve` from the same browser: nothing.
// DNS rebinding, cross-origin calls (even with the token), token-less media and events, an injected handler.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startApp, type RunningApp } from './harness';

let app: RunningApp;
let browser: Browser;
let attacker: Server;
let attackerOrigin: string;

/** The attacker's page: it reports what it could read from the app. */
function attackPage(target: string, token: string): string {
  return `<!doctype html><script>
  const target = ${JSON.stringify(target)};
  const token = ${JSON.stringify(token)};
  const outcome = (p) => p.then((r) => 'read ' + r.status, (e) => 'blocked: ' + e.name);
  window.results = Promise.all([
    outcome(fetch(target + '/api/listDatasets', { method: 'POST', headers: { 'content-type': 'application/json', 'x-sightline-token': token }, body: '{}' })),
    outcome(fetch(target + '/api/listDatasets', { method: 'POST', body: '{}' })),
    outcome(fetch(target + '/api/importFolder', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ path: '/' }) })),
    new Promise((resolve) => { const img = new Image(); img.onload = () => resolve('loaded'); img.onerror = () => resolve('refused'); img.src = target + '/media/thumb/1'; }),
    new Promise((resolve) => { const es = new EventSource(target + '/api/events'); es.onopen = () => resolve('open'); es.onerror = () => { es.close(); resolve('refused'); }; }),
  ]);
</script>`;
}

beforeAll(async () => {
  app = await startApp();
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(attackPage(app.origin, app.host.token));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerOrigin = `http://attacker.test:${(attacker.address() as AddressInfo).port}`;
  browser = await launchChromium(['--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebound.test 127.0.0.1']);
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await app?.stop();
});

describe('web host under attack', () => {
  it('refuses a page reached through a rebound DNS name', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://rebound.test:${new URL(app.origin).port}/#token=${app.host.token}`);
    expect(response?.status()).toBe(403);
    expect(await page.content()).not.toContain('Sightline');
    await page.close();
  });

  it('gives another origin nothing to read, even when it knows the token', async () => {
    const page = await browser.newPage();
    await page.goto(attackerOrigin);
    const results = await page.evaluate<string[]>('window.results');
    // Preflights get no CORS headers; no-cors responses are withheld by Cross-Origin-Resource-Policy.
    expect(results).toEqual(['blocked: TypeError', 'blocked: TypeError', 'blocked: TypeError', 'refused', 'refused']);
    // The no-cors POST (which needs no preflight) reached the host, which refused it: nothing was imported.
    const datasets = await fetch(`${app.origin}/api/listDatasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sightline-token': app.host.token },
      body: '{}',
    });
    expect(await datasets.json()).toEqual([]);
    await page.close();
  });

  it('tells a visitor without the token what to do', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.origin}/`);
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/Open the link that `sightline serve` printed/);
    await page.close();
  });

  it('does not run script injected into the page (CSP)', async () => {
    const page = await browser.newPage();
    await page.goto(app.host.url);
    await page.getByTestId('empty-state').waitFor();
    await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.pwned = 1">')`);
    await page.waitForTimeout(200);
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
    await page.close();
  });
});
