// The web host: the contract over HTTP + server-sent events, media by id, and the built renderer.
// node:http only. Every API, event and media request needs the per-start token; the Host header
// must name the bound address (DNS-rebinding guard); no CORS headers are ever sent.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoreService } from '../core/service-types';
import { shownAddress } from './address';
import { handleApiCall } from './api';
import { streamEvents } from './events';
import { hostGuard, hostPort, newToken, requestToken, sendError, tokenMatches } from './guards';
import { serveMedia } from './media';
import { serveStatic } from './static-files';

export interface WebHostOptions {
  service: CoreService;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** Default: 32 random bytes, new on every start. */
  token?: string;
}

export interface WebHost {
  /** Open this: `http://127.0.0.1:PORT/#token=…`; the renderer moves the token into sessionStorage. */
  url: string;
  token: string;
  /** Set when other machines can reach the host (a bind other than loopback): print it. */
  warning: string | null;
  close(): Promise<void>;
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token || newToken();
  const openStreams = new Set<() => void>();
  let isAllowedHost: (hostHeader: string | undefined) => boolean = () => false;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAllowedHost(req.headers.host)) return sendError(res, 403, 'Unexpected Host header');
    // Browsers name the page that sent a request; only Sightline's own pages may use it (no other site's form or fetch).
    const origin = req.headers.origin;
    if (origin !== undefined && origin.toLowerCase() !== `http://${req.headers.host?.toLowerCase()}`) {
      return sendError(res, 403, 'Requests from other sites are refused: open the URL that `sightline serve` printed');
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sightline.invalid');
    } catch {
      return sendError(res, 400, 'Bad request');
    }
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';
    const authorised = (allowQuery: boolean): boolean => tokenMatches(token, requestToken(req, url, allowQuery));

    if (path === '/api/events') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET');
      if (!authorised(true)) return unauthorised(res);
      const end = streamEvents(req, res, opts.service);
      openStreams.add(end);
      req.on('close', () => openStreams.delete(end));
      return;
    }
    if (path.startsWith('/api/')) {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      if (!authorised(false)) return unauthorised(res);
      return handleApiCall(req, res, path.slice('/api/'.length), opts.service);
    }
    if (path.startsWith('/media/')) {
      if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
      if (!authorised(true)) return unauthorised(res);
      const parts = path.slice('/media/'.length).split('/');
      if (parts.length !== 2) return sendError(res, 404, 'Not found');
      return serveMedia(res, parts[0], parts[1], opts.service, method === 'HEAD');
    }
    if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
    return serveStatic(res, opts.rendererDir, path, method === 'HEAD');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  isAllowedHost = hostGuard(host, port);
  const shown = shownAddress(host);

  return {
    url: `http://${hostPort(shown.host, port)}/#token=${token}`,
    token,
    warning: shown.warning,
    close: async () => {
      openStreams.forEach((end) => end());
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function unauthorised(res: ServerResponse): void {
  sendError(res, 401, 'Missing or wrong access token: open the URL that `sightline serve` printed');
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendError(res, 405, `Method not allowed (use ${allow})`);
}
