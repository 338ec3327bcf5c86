// The web host's request guards: the per-start token, the DNS-rebinding Host check and the response headers.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const TOKEN_HEADER = 'x-sightline-token';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every response. No Access-Control-* header ever: other origins get nothing readable. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response timings. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from the header (fetch calls) or, where `allowQuery`, from `?token=` (EventSource, <img>). */
export function requestToken(req: IncomingMessage, url: URL, allowQuery: boolean): string | null {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') return header;
  return allowQuery ? url.searchParams.get('token') : null;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::']);

/** `host:port` as it appears in a URL or a Host header (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * DNS-rebinding guard: a page on an attacker's domain that resolves to 127.0.0.1 sends its own
 * name in Host. We accept the bound host:port, localhost for a loopback bind, and, for a wildcard
 * bind, IP literals only (a rebinding attack needs a domain name).
 */
export function hostGuard(boundHost: string, port: number): (hostHeader: string | undefined) => boolean {
  const allowed = new Set([hostPort(boundHost, port)]);
  if (LOOPBACK.has(boundHost)) for (const h of LOOPBACK) allowed.add(hostPort(h, port));
  return (hostHeader) => {
    if (!hostHeader) return false;
    const value = hostHeader.toLowerCase();
    if (allowed.has(value)) return true;
    if (!WILDCARD.has(boundHost)) return false;
    const match = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d+)$/.exec(value);
    return match !== null && Number(match[3]) === port && isIP(match[1] ?? match[2] ?? '') !== 0;
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}
