// Server-sent events: every service event, one SSE event type per EventName, JSON data.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EVENT_NAMES } from '../../common/calls';
import type { CoreService } from '../core/service-types';
import { SECURITY_HEADERS } from './guards';

const HEARTBEAT_MS = 15_000;

/** Streams events until the client goes away; returns a function that ends the stream from our side. */
export function streamEvents(req: IncomingMessage, res: ServerResponse, service: Pick<CoreService, 'on'>): () => void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  // Tells EventSource how long to wait before reconnecting, and flushes the headers.
  res.write('retry: 2000\n\n');
  const offs = EVENT_NAMES.map((name) =>
    service.on(name, (payload) => {
      res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    }),
  );
  // Proxies and idle timeouts drop silent connections; a comment line keeps this one open.
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    offs.forEach((off) => off());
    res.end();
  };
  req.on('close', end);
  return end;
}
