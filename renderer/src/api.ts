// The one place that knows the transport: the desktop preload's `window.sightline`, or HTTP to the web host.
import { callsOver, EVENT_NAMES } from '../../common/calls';
import type { Api, CallName, EventName, EventPayloads, MediaKind } from '../../common/contract';

const TOKEN_KEY = 'sightline.token';
const TOKEN_HEADER = 'x-sightline-token';

declare global {
  interface Window {
    sightline?: Api;
  }
}

export function getApi(): Api {
  return window.sightline ?? httpApi(takeToken());
}

/**
 * The web host prints `http://127.0.0.1:PORT/#token=…`. Keep the token for this tab (it survives reloads)
 * and drop it from the address bar so it is not copied or bookmarked by accident.
 */
function takeToken(): string {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpApi(token: string): Api {
  const call = async (name: CallName, input: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`/api/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
        body: JSON.stringify(input),
      });
    } catch {
      throw new Error('Lost the connection to Sightline. Check that `sightline serve` is still running, then reload this page.');
    }
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    if (res.status === 401) throw new Error('This page has no valid access token. Open the link that `sightline serve` printed in the terminal.');
    if (!res.ok) throw new Error(body?.error ?? `${name} failed (HTTP ${res.status})`);
    return body;
  };

  let source: EventSource | null = null;
  const events = (): EventSource => (source ??= new EventSource(`/api/events?token=${encodeURIComponent(token)}`));

  return {
    ...callsOver(call),
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event ${String(event)}`);
      const handler = (message: MessageEvent<string>): void => listener(JSON.parse(message.data) as EventPayloads[E]);
      const target = events();
      target.addEventListener(event, handler);
      return () => target.removeEventListener(event, handler);
    },
    mediaUrl: (kind: MediaKind, imageId: number): string => `/media/${kind}/${Math.trunc(imageId)}?token=${encodeURIComponent(token)}`,
  } satisfies Api;
}
