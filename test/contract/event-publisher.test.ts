import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { HttpWebhookPublisher } from '../../src/adapters/event-publisher/http-webhook-publisher.js';
import { JsonLinesFilePublisher } from '../../src/adapters/event-publisher/json-lines-file-publisher.js';
import { RabbitMqPublisher } from '../../src/adapters/event-publisher/rabbitmq-publisher.js';
import { verifyWebhook, WebhookSigner } from '../../src/adapters/event-publisher/webhook-signature.js';
import { bindQueue, drain, dropExchange, exchangeName, requireRabbitMq } from '../support/rabbitmq.js';
import { decode, eventPublisherContract, type Received } from './event-publisher.contract.js';

const SOURCE = '/contract';

describe('EventPublisher contract', function () {
  describe('JSON-lines file', function () {
    eventPublisherContract(async (format) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'events-contract-'));
      const file = path.join(dir, 'nested', 'events.jsonl');
      const blocker = path.join(dir, 'nowhere');
      writeFileSync(blocker, 'a file, so nothing can be made under it');
      const publisher = new JsonLinesFilePublisher(file, { format, source: SOURCE });
      return {
        publisher,
        received: async () => {
          try {
            return readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => decode(line));
          } catch {
            return [];
          }
        },
        unreachable: () => new JsonLinesFilePublisher(path.join(blocker, 's3cret', 'events.jsonl')),
        close: () => publisher.close(),
      };
    });
  });

  describe('signed HTTP webhook', function () {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    let unsigned = 0;
    eventPublisherContract(async (format) => {
      const received: Received[] = [];
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const headers = { id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']) };
          // A receiver keeps only what it can verify.
          if (!verifyWebhook(secret, headers, body, Math.floor(Date.now() / 1000))) {
            unsigned += 1;
            res.writeHead(401).end();
            return;
          }
          received.push({ ...decode(body), id: headers.id });
          res.writeHead(204).end();
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
      return {
        publisher: new HttpWebhookPublisher(url, { format, source: SOURCE, signer: new WebhookSigner([secret]) }),
        received: async () => received,
        unreachable: () => new HttpWebhookPublisher('http://user:s3cret@127.0.0.1:1/nowhere?token=s3cret', { timeoutMs: 1_000 }),
        close: async () => {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        },
      };
    });

    after(() => expect(unsigned, 'deliveries the receiver could not verify').to.equal(0));
  });

  describe('RabbitMQ', function () {
    let url: string;
    before(async function () {
      url = await requireRabbitMq(this);
    });
    eventPublisherContract(async (format) => {
      const exchange = exchangeName('contract');
      await bindQueue(url, exchange);
      const publisher = new RabbitMqPublisher(url, { exchange, format, source: SOURCE });
      const received: Received[] = [];
      return {
        publisher,
        received: async () => {
          for (const message of await drain(url, exchange)) received.push({ ...decode(message.content.toString()), id: message.properties.messageId as string });
          return received;
        },
        unreachable: () => new RabbitMqPublisher('amqp://guest:s3cret@127.0.0.1:1/nowhere', { exchange, timeoutMs: 1_000 }),
        close: async () => {
          await publisher.close();
          await dropExchange(url, exchange);
        },
      };
    });
  });
});
