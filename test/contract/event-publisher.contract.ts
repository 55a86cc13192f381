import { expect } from 'chai';
import type { EventPublisher, PlatformEvent } from '../../src/application/ports/event-publisher.js';
import type { WireFormat } from '../../src/adapters/event-publisher/wire-format.js';

/** What an outlet's receiver got: the id it carries and the event as decoded from the body. */
export interface Received {
  id: string;
  /** `type` of the platform body, or of the CloudEvent. */
  type: string;
  /** `payload` of the platform body, `data` of the CloudEvent. */
  payload: unknown;
}

export interface Outlet {
  publisher: EventPublisher;
  /** Everything the receiving side holds so far, in arrival order. */
  received(): Promise<Received[]>;
  /** The same outlet where nobody answers (a closed port, a directory that cannot exist), its address holding a secret. */
  unreachable(): EventPublisher;
  close(): Promise<void>;
}

export const contractEvent = (n: number, type: PlatformEvent['type'] = 'OrderCreated'): PlatformEvent => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type,
  aggregateType: 'Order',
  aggregateId: n,
  occurredAt: '2026-01-15T09:00:00.000Z',
  payload: { id: n, status: 'CREATED', items: [{ productId: 7, quantity: 2 }] },
});

/** Decodes a body as the configured format writes it. */
export function decode(body: string, fallbackId?: string): Received {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (parsed['specversion'] === '1.0') return { id: parsed['id'] as string, type: parsed['type'] as string, payload: parsed['data'] };
  return { id: (parsed['id'] as string | undefined) ?? fallbackId ?? '', type: parsed['type'] as string, payload: parsed['payload'] };
}

/**
 * One contract for every outlet of the data platform's events (file, signed HTTP, RabbitMQ): a
 * publish resolves only once the receiving side holds the event, each event arrives under its own
 * id with its payload, in either wire format, and an unreachable outlet rejects with a reason that
 * shows nothing of its address.
 */
export function eventPublisherContract(open: (format: WireFormat) => Promise<Outlet>): void {
  for (const format of ['platform', 'cloudevents'] as const) {
    describe(`${format} format`, function () {
      this.timeout(30_000);
      let outlet: Outlet;
      beforeEach(async () => {
        outlet = await open(format);
      });
      afterEach(async () => {
        await outlet.close();
      });

      it('a publish resolves once the receiving side holds the event, under its id, with its payload', async () => {
        await outlet.publisher.publish(contractEvent(1));
        const [first] = await outlet.received();
        expect(first).to.deep.equal({
          id: contractEvent(1).id,
          type: format === 'cloudevents' ? 'order.created.v1' : 'OrderCreated',
          payload: contractEvent(1).payload,
        });
      });

      it('200 events published at once arrive each once, none lost, none under another id', async () => {
        const events = Array.from({ length: 200 }, (_, i) => contractEvent(100 + i, i % 2 ? 'PaymentCompleted' : 'OrderCreated'));
        await Promise.all(events.map((e) => outlet.publisher.publish(e)));
        const ids = (await outlet.received()).map((r) => r.id);
        expect(ids).to.have.length(200);
        expect(new Set(ids)).to.deep.equal(new Set(events.map((e) => e.id)));
      });

      it('publishing an event again (a retry) delivers it again under the same id: receivers deduplicate on it', async () => {
        await outlet.publisher.publish(contractEvent(7));
        await outlet.publisher.publish(contractEvent(7));
        expect((await outlet.received()).map((r) => r.id)).to.deep.equal([contractEvent(7).id, contractEvent(7).id]);
      });

      it('an unreachable outlet rejects with a short reason that shows nothing of its address or secret', async () => {
        const error = await outlet
          .unreachable()
          .publish(contractEvent(9))
          .then(
            () => null,
            (e: unknown) => e as Error,
          );
        expect(error, 'the publish was rejected').to.be.instanceOf(Error);
        expect(error!.message).to.not.match(/s3cret|127\.0\.0\.1|nowhere/);
      });
    });
  }
}
