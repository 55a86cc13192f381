import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlatformEvent } from '../../src/application/ports/event-publisher.js';

export interface Delivery {
  /** The Idempotency-Key header the relay sent. */
  key: string | undefined;
  event: PlatformEvent;
  /** Whether this receiver answered 2xx. */
  ok: boolean;
}

/**
 * The data platform in this process, on a random port. It answers 500 to the first `failFirst`
 * requests, and otherwise as `mode` says: 200 at once, 500 always, or 200 after a long wait.
 */
export class PlatformReceiver {
  mode: 'ok' | 'fail' | 'slow' = 'ok';
  failFirst = 0;
  readonly deliveries: Delivery[] = [];
  url = '';
  private server!: Server;
  private requests = 0;

  async start(path = '/events'): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const header = req.headers['idempotency-key'];
        const key = Array.isArray(header) ? header[0] : header;
        const ok = this.mode !== 'fail' && this.requests++ >= this.failFirst;
        const answer = () => {
          this.deliveries.push({ key, event: JSON.parse(body) as PlatformEvent, ok });
          res.writeHead(ok ? 200 : 500).end();
        };
        if (ok && this.mode === 'slow') setTimeout(answer, 1_500);
        else answer();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Successful deliveries, the first of each id only (what a deduplicating receiver keeps). */
  firstDeliveries(): PlatformEvent[] {
    const seen = new Set<string>();
    return this.deliveries.filter((d) => d.ok && !seen.has(d.event.id) && seen.add(d.event.id)).map((d) => d.event);
  }

  /** Successful deliveries of one order's events, as they arrived. */
  ofOrder(orderId: number): Delivery[] {
    return this.deliveries.filter((d) => d.ok && d.event.aggregateType === 'Order' && d.event.aggregateId === orderId);
  }
}
