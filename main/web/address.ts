// What the web host tells a person about where it listens: the address to open (a wildcard bind is opened through
// one of the machine's own addresses, not 127.0.0.1, which other machines cannot use) and a warning when other
// machines can reach it.
import os from 'node:os';
import { isIP } from 'node:net';

export interface ShownAddress {
  /** The host to put in the printed URL. */
  host: string;
  /** Set when the bind is reachable from other machines. */
  warning: string | null;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function shownAddress(boundHost: string, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): ShownAddress {
  if (isLoopback(boundHost)) return { host: boundHost, warning: null };
  const keepLocal = 'Use --host 127.0.0.1 (the default) to keep it on this machine.';
  if (!WILDCARD.has(boundHost)) {
    return {
      host: boundHost,
      warning: `Listening on ${boundHost}: other machines that reach this address and get the URL with its token can see your photos and your library. ${keepLocal}`,
    };
  }
  const external = Object.values(interfaces)
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => i !== undefined && !i.internal && isIP(i.address) !== 0);
  // An IPv4 address is what people type; a link-local IPv6 address needs a zone and cannot go in a URL as is.
  const address = external.find((i) => i.family === 'IPv4') ?? external.find((i) => i.family === 'IPv6' && !i.address.startsWith('fe80'));
  return {
    host: address?.address ?? '127.0.0.1',
    warning:
      `Listening on every network interface (${boundHost}): anyone on your network who gets the URL with its token can see ` +
      `your photos and your library. ${keepLocal}`,
  };
}
