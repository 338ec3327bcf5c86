// The web host against the real core service: token, input validation, Host guard, static files, media, events.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../common/types';
import { createCoreService } from '../core/service';
import type { CoreService } from '../core/service-types';
import { startWebHost, type WebHost } from './host';

const samplesDir = fileURLToPath(new URL('../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-host-'));
const rendererDir = path.join(tmp, 'renderer');
let service: CoreService;
let host: WebHost;
let port: number;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: unlike fetch it sends the path and the Host header exactly as given. */
function raw(method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: pathAndQuery, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const api = (call: string, input: unknown, headers: Record<string, string> = {}) =>
  raw('POST', `/api/${call}`, { 'content-type': 'application/json', 'x-sightline-token': host.token, ...headers }, JSON.stringify(input));

beforeAll(async () => {
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Sightline</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(tmp, 'secret.txt'), 'outside the renderer');
  service = await createCoreService({ dataDir: path.join(tmp, 'data'), mode: 'web' });
  host = await startWebHost({ service, rendererDir });
  port = Number(new URL(host.url).port);
});
afterAll(async () => {
  await host?.close();
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('web host', () => {
  it('listens on 127.0.0.1 with a fresh random token in the printed URL', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{40,}$/);
    expect(host.url.endsWith(host.token)).toBe(true);
    expect(host.warning).toBeNull();
  });

  it('warns when bound to every interface, and prints an address other machines can open', async () => {
    const open = await startWebHost({ service, rendererDir, host: '0.0.0.0' });
    try {
      expect(open.warning).toMatch(/every network interface \(0\.0\.0\.0\).*--host 127\.0\.0\.1/);
      const external = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4');
      expect(new URL(open.url).hostname).toBe(external?.address ?? '127.0.0.1');
    } finally {
      await open.close();
    }
  });


  it('serves the renderer with security headers and no CORS headers', async () => {
    const index = await raw('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>Sightline</title>');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'.*img-src 'self' data: blob:/);
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect((await raw('GET', '/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
    const preflight = await raw('OPTIONS', '/api/getInfo', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(403);
    for (const response of [index, preflight]) {
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('requires the token, in the header, for every call', async () => {
    expect((await api('getInfo', {}, { 'x-sightline-token': '' })).status).toBe(401);
    expect((await api('getInfo', {}, { 'x-sightline-token': `${host.token.slice(0, -1)}x` })).status).toBe(401);
    const inQuery = await raw('POST', `/api/getInfo?token=${host.token}`, { 'content-type': 'application/json' }, '{}');
    expect(inQuery.status).toBe(401);
    const ok = await api('getInfo', {});
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ mode: 'web' });
  });

  it('refuses unknown calls, wrong methods and invalid input with a message', async () => {
    expect((await api('deleteEverything', {})).status).toBe(404);
    expect((await api('__proto__', {})).status).toBe(404);
    expect((await raw('GET', '/api/getInfo', { 'x-sightline-token': host.token })).status).toBe(405);
    const bad = await api('listImages', { datasetId: -1 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/Invalid input for listImages: datasetId/);
    expect((await api('setReview', { imageId: 1, verdict: 'evil', note: '' })).status).toBe(400);
    const notJson = await raw('POST', '/api/getInfo', { 'content-type': 'application/json', 'x-sightline-token': host.token }, '{nope');
    expect(notJson.status).toBe(400);
    const form = await raw('POST', '/api/getInfo', { 'content-type': 'text/plain', 'x-sightline-token': host.token }, '{}');
    expect(form.status).toBe(415);
  });

  it('answers a person’s mistakes with 400 or 404 and a message that says what is wrong', async () => {
    const missing = await api('getImage', { imageId: 999_999 });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'No image with id 999999' });
    expect((await api('listImages', { datasetId: 999_999 })).status).toBe(404);
    const nowhere = await api('importFolder', { path: path.join(tmp, 'no-such-folder') });
    expect(nowhere.status).toBe(404);
    expect(JSON.parse(nowhere.body).error).toBe(`There is no folder ${path.join(tmp, 'no-such-folder')}`);
    const aFile = await api('importFolder', { path: path.join(tmp, 'secret.txt') });
    expect(aFile.status).toBe(400);
    expect(JSON.parse(aFile.body).error).toMatch(/secret\.txt is a file, not a folder/);
    const relative = await api('browse', { path: 'photos' });
    expect(relative.status).toBe(400);
    expect(JSON.parse(relative.body).error).toMatch(/^photos is a relative path/);
  });

  it('answers a large invalid request with a short message', async () => {
    const changes = Array.from({ length: 15_000 }, () => ({ imageId: 'not a number', verdict: 'nope' }));
    const body = JSON.stringify({ changes });
    expect(body.length).toBeGreaterThan(300_000);
    const response = await raw('POST', '/api/setVerdicts', { 'content-type': 'application/json', 'x-sightline-token': host.token }, body);
    expect(response.status).toBe(400);
    expect(response.body.length).toBeLessThan(2_000);
    expect(JSON.parse(response.body).error).toMatch(/^Invalid input for setVerdicts: .*\(and 29995 more\)$/);
  });

  it('refuses requests that another site’s page sends (Origin), and takes its own page’s', async () => {
    for (const origin of ['http://evil.example', 'null', `http://localhost:${port}`, `https://127.0.0.1:${port}`]) {
      const response = await api('getInfo', {}, { origin });
      expect(response.status, origin).toBe(403);
      expect(JSON.parse(response.body).error).toMatch(/other sites are refused/);
    }
    expect((await raw('GET', '/', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await api('getInfo', {}, { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });

  it('browses the server’s folders with ~ as the home folder, and imports from a ~ path', async () => {
    const home = process.env.HOME;
    process.env.HOME = path.join(tmp, 'home');
    try {
      mkdirSync(path.join(tmp, 'home', 'pictures', '281_tabby'), { recursive: true });
      cpSync(path.join(samplesDir, '281_tabby'), path.join(tmp, 'home', 'pictures', '281_tabby'), { recursive: true });
      const listed = await api('browse', { path: '~' });
      expect(listed.status).toBe(200);
      expect(JSON.parse(listed.body)).toMatchObject({
        path: path.join(tmp, 'home'),
        home: path.join(tmp, 'home'),
        entries: [{ name: 'pictures', kind: 'folder', photoCount: 1, path: path.join(tmp, 'home', 'pictures') }],
      });
      const started = await api('importFolder', { path: '~/pictures' });
      expect(started.status).toBe(200);
      const datasets = JSON.parse((await api('listDatasets', {})).body) as { id: number; rootPath: string }[];
      expect(datasets.find((d) => d.id === JSON.parse(started.body).datasetId)?.rootPath).toBe(path.join(tmp, 'home', 'pictures'));
      // Finish it here: the event stream test below waits for the first job that ends.
      const { jobId } = JSON.parse(started.body) as { jobId: string };
      const running = async () => (JSON.parse((await api('listJobs', {})).body) as JobProgress[]).some((j) => j.jobId === jobId && (j.state === 'running' || j.state === 'queued'));
      while (await running()) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.env.HOME = home;
    }
  });

  it('rejects a Host header that is not the bound address (DNS rebinding)', async () => {
    expect((await raw('GET', '/', { host: `evil.example:${port}` })).status).toBe(403);
    expect((await api('getInfo', {}, { host: `attacker.test:${port}` })).status).toBe(403);
    expect((await raw('GET', '/', { host: `127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await raw('GET', '/', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('refuses path traversal and directory listings', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00index.html', '/%E0%A4%A']) {
      const response = await raw('GET', attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('outside the renderer');
    }
    expect((await raw('GET', '/assets')).status).toBe(404);
    expect((await raw('GET', '/assets/')).status).toBe(404);
  });

  it('streams job progress as server-sent events and serves media by id only', async () => {
    const folder = path.join(tmp, 'photos', '281_tabby');
    mkdirSync(folder, { recursive: true });
    cpSync(path.join(samplesDir, '281_tabby'), folder, { recursive: true });
    expect((await raw('GET', '/api/events')).status).toBe(401);

    const finished = new Promise<JobProgress>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/api/events?token=${host.token}`, headers: { host: `127.0.0.1:${port}` } }, (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (const match of buffer.matchAll(/event: jobProgress\ndata: (.*)\n\n/g)) {
            const progress = JSON.parse(match[1]) as JobProgress;
            if (progress.state !== 'running' && progress.state !== 'queued') {
              req.destroy();
              resolve(progress);
            }
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const started = await api('importFolder', { path: path.join(tmp, 'photos') });
    expect(started.status).toBe(200);
    expect(await finished).toMatchObject({ state: 'done', done: 1, total: 1 });

    const [image] = JSON.parse((await api('listImages', { datasetId: JSON.parse(started.body).datasetId })).body) as { id: number }[];
    expect((await raw('GET', `/media/thumb/${image.id}`)).status).toBe(401);
    const thumb = await raw('GET', `/media/thumb/${image.id}?token=${host.token}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect(thumb.headers['cache-control']).toMatch(/private, max-age=\d+/);
    expect((await raw('GET', `/media/image/${image.id}?token=${host.token}`)).status).toBe(200);
    for (const id of ['0', '-1', '1.5', 'abc', '01', '99999999999999999', '..%2f..%2fsecret.txt']) {
      expect((await raw('GET', `/media/thumb/${id}?token=${host.token}`)).status, id).toBe(400);
    }
    expect((await raw('GET', `/media/thumb/999999?token=${host.token}`)).status).toBe(404);
    expect((await raw('GET', `/media/file/${image.id}?token=${host.token}`)).status).toBe(404);
    expect((await raw('GET', `/media/thumb/${image.id}/x?token=${host.token}`)).status).toBe(404);
    expect((await raw('POST', `/media/thumb/${image.id}?token=${host.token}`)).status).toBe(405);
  });
});
