/**
 * A data-platform receiver for the order service's events: verifies each delivery's Standard
 * Webhooks signature, refuses stale or replayed ones, and handles each event once however often
 * it is delivered (delivery is at least once). Node's standard library only, so it can be copied.
 *
 *   WEBHOOK_SECRET=whsec_... PORT=4000 npx tsx examples/webhook-consumer.ts
 *   # the service: DATA_PLATFORM_URL=http://127.0.0.1:4000/events DATA_PLATFORM_SECRET=whsec_...
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/** How far a delivery's timestamp may be from now: older ones may be replays of a captured request. */
const TOLERANCE_SECONDS = 300;

export interface ReceivedEvent {
  /** `webhook-id`: the event's id, the same on every retry. */
  id: string;
  /** The body: the platform's JSON, or a CloudEvent (`application/cloudevents+json`). */
  event: unknown;
}

export interface ConsumerOptions {
  /** `whsec_...`; several (space-separated) while the service rotates its secret. */
  secrets: string;
  /** Handles an event; called once per id. A throw answers 500, so the service tries again. */
  handle(received: ReceivedEvent): Promise<void> | void;
  nowSeconds?: () => number;
  /** Ids remembered for deduplication (a real consumer keeps them in its database, with the effect). */
  remember?: number;
}

/** Whether one of the header's `v1,<signature>` entries is the HMAC of `id.timestamp.body` under a secret. */
export function signatureMatches(secrets: string, id: string, timestamp: string, body: string, header: string): boolean {
  const given = header.split(' ').flatMap((entry) => {
    const [version, signature] = entry.split(',', 2);
    return version === 'v1' && signature ? [Buffer.from(signature)] : [];
  });
  return secrets
    .split(/[\s,]+/)
    .filter((s) => s.startsWith('whsec_'))
    .some((secret) => {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'));
      return given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
    });
}

export function createConsumer(options: ConsumerOptions): Server {
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const remember = options.remember ?? 100_000;
  const handled = new Set<string>();
  const inProgress = new Map<string, Promise<void>>();

  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = req.headers['webhook-id'];
      const timestamp = req.headers['webhook-timestamp'];
      const signature = req.headers['webhook-signature'];
      if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return answer(res, 400, 'missing webhook headers');
      // A 4xx tells the service not to try again: the request itself is wrong.
      if (!/^\d+$/.test(timestamp) || Math.abs(now() - Number(timestamp)) > TOLERANCE_SECONDS) return answer(res, 400, 'timestamp too old or in the future');
      if (!signatureMatches(options.secrets, id, timestamp, body, signature)) return answer(res, 401, 'bad signature');
      if (handled.has(id)) return answer(res, 200, 'duplicate, already handled');
      try {
        // Two deliveries of one event at once: the second waits for the first.
        let work = inProgress.get(id);
        if (!work) {
          work = Promise.resolve(options.handle({ id, event: JSON.parse(body) as unknown }));
          inProgress.set(id, work);
        }
        await work;
        handled.add(id);
        if (handled.size > remember) handled.delete(handled.values().next().value as string);
        answer(res, 204, '');
      } catch {
        // 5xx: the service tries again later, under the same id.
        answer(res, 500, 'handling failed');
      } finally {
        inProgress.delete(id);
      }
    });
  });
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secrets = process.env['WEBHOOK_SECRET'];
  if (!secrets) throw new Error('WEBHOOK_SECRET=whsec_... is required');
  const port = Number(process.env['PORT'] ?? 4000);
  createConsumer({
    secrets,
    handle: ({ id, event }) => {
      console.log(id, JSON.stringify(event));
    },
  }).listen(port, () => console.log(`listening on http://127.0.0.1:${port}/events`));
}
