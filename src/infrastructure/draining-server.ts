import { once } from 'node:events';
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server that shuts down without dropping work. Draining, it keeps its listener open
 * while requests are in flight, so a readiness probe is answered (503: see `draining`) rather
 * than refused and a request a balancer still routes here is served; every response from then
 * on says `Connection: close`, so keep-alive clients move to another instance instead of
 * sending their next request into a closing socket. Once nothing is in flight it closes the
 * listener and the idle connections. Past the grace period it cuts whatever is left.
 */
export class DrainingServer {
  readonly server: Server;
  private readonly inFlight = new Set<ServerResponse>();
  private isDraining = false;
  private idle: (() => void) | null = null;

  constructor(handler: RequestListener) {
    this.server = createServer((req, res) => {
      this.inFlight.add(res);
      res.once('close', () => {
        this.inFlight.delete(res);
        if (this.inFlight.size === 0) this.idle?.();
      });
      if (this.isDraining) res.setHeader('Connection', 'close');
      handler(req, res);
    });
  }

  /** True from the moment drain() is called. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** Listens on `port` (0: any free one) and answers the port. */
  async listen(port: number): Promise<number> {
    this.server.listen(port);
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Lets the requests in flight finish, then closes; resolves once the listener and every
   * connection are closed. After `graceMs`, the connections still open are cut and `onCut` is
   * told how many requests were still running.
   */
  async drain(graceMs: number, onCut: (requests: number) => void = () => {}): Promise<void> {
    this.isDraining = true;
    const closed = once(this.server, 'close');
    // A response still to be written says so too; one already under way ends its connection
    // at its end anyway, when the idle connections are closed below.
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const cut = setTimeout(() => {
      onCut(this.inFlight.size);
      this.closeListener();
      this.server.closeAllConnections();
    }, graceMs);
    try {
      if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      this.closeListener();
      this.server.closeIdleConnections();
      await closed;
    } finally {
      clearTimeout(cut);
    }
  }

  private closeListener(): void {
    if (this.server.listening) this.server.close();
  }
}
