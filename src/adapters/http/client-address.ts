import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * The client's address, as the per-address limits key on it: the socket's peer, or, when that
 * peer is a proxy TRUST_PROXY names, the address the proxies put in X-Forwarded-For (Express's
 * `trust proxy`, set from TRUST_PROXY in createHttpApp, does that walk). Unset, nobody is trusted
 * and the header is ignored, so a client cannot pick its own address.
 */
export function clientAddressOf(req: Request): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  // A trusted hop count passes on whatever the header holds at that hop: only an address may key a counter.
  const address = req.ip !== undefined && isIP(req.ip) !== 0 ? req.ip : peer;
  // An IPv4 client of a dual-stack socket is `::ffff:a.b.c.d`; the same client through a proxy is `a.b.c.d`.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}
