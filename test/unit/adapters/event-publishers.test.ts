import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { HttpWebhookPublisher } from '../../../src/adapters/event-publisher/http-webhook-publisher.js';
import { JsonLinesFilePublisher, REOPEN_AFTER_MS } from '../../../src/adapters/event-publisher/json-lines-file-publisher.js';
import { WebhookSigner, verifyWebhook } from '../../../src/adapters/event-publisher/webhook-signature.js';
import { DeliveryRefused, type PlatformEvent } from '../../../src/application/ports/event-publisher.js';
import { inCi } from '../../support/environment.js';

const event = (n: number): PlatformEvent => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'OrderCreated',
  aggregateType: 'Order',
  aggregateId: n,
  occurredAt: '2026-01-15T09:00:00.000Z',
  payload: { id: n, items: [{ quantity: 1 }] },
});

describe('event publishers', () => {
  describe('HttpWebhookPublisher', () => {
    let server: Server;
    let base: string;
    let answer: { status: number; delayMs?: number };
    let requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];

    beforeEach(async () => {
      requests = [];
      answer = { status: 200 };
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
          setTimeout(() => res.writeHead(answer.status).end('{"ok":true}'), answer.delayMs ?? 0);
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('POSTs the event JSON with Idempotency-Key = the event id; any 2xx is delivered', async () => {
      const publisher = new HttpWebhookPublisher(`${base}/events?source=orders`);
      for (const status of [200, 201, 202, 204]) {
        answer = { status };
        await publisher.publish(event(status));
      }
      expect(requests).to.have.length(4);
      const [first] = requests;
      expect(first).to.deep.include({ method: 'POST', url: '/events?source=orders' });
      expect(first!.headers['idempotency-key']).to.equal(event(200).id);
      expect(first!.headers['content-type']).to.equal('application/json');
      expect(JSON.parse(first!.body)).to.deep.equal(event(200));
      expect(first!.headers['authorization']).to.equal(undefined);
    });

    it('anything else throws with the status, and never the URL or its credentials', async () => {
      const publisher = new HttpWebhookPublisher(`${base.replace('http://', 'http://user:s3cret@')}/hook?token=t0ken`);
      for (const status of [301, 400, 409, 500, 503]) {
        answer = { status };
        const error = await publisher.publish(event(1)).catch((e: unknown) => e as Error);
        expect(error).to.be.instanceOf(Error);
        expect(error!.message).to.equal(`data platform answered HTTP ${status}`);
      }
      // Credentials in the URL travel as Basic authorization.
      expect(requests[0]!.headers['authorization']).to.equal(`Basic ${Buffer.from('user:s3cret').toString('base64')}`);
    });

    it('no answer within the timeout, or nobody listening, throws a short reason without the URL', async () => {
      answer = { status: 200, delayMs: 500 };
      const slow = await new HttpWebhookPublisher(`${base}/hook?token=t0ken`, { timeoutMs: 100 }).publish(event(1)).catch((e: unknown) => e as Error);
      expect(slow!.message).to.equal('data platform not reached: timed out after 100 ms');

      const refused = await new HttpWebhookPublisher('http://user:s3cret@127.0.0.1:1/hook?token=t0ken').publish(event(1)).catch((e: unknown) => e as Error);
      expect(refused!.message).to.match(/^data platform not reached: /);
      expect(refused!.message).to.not.match(/s3cret|t0ken|127\.0\.0\.1|hook/);
    });
  });

  describe('HttpWebhookPublisher: what is retried, signatures (Standard Webhooks) and CloudEvents', () => {
    let server: Server;
    let base: string;
    let status: number;
    let received: { headers: IncomingHttpHeaders; body: string }[];

    beforeEach(async () => {
      received = [];
      status = 200;
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.writeHead(status).end();
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('a 4xx other than 408 and 429 is refused for good (DeliveryRefused); 408, 429, 3xx and 5xx are worth another try', async () => {
      const publisher = new HttpWebhookPublisher(base);
      for (const [answer, refusedForGood] of [[400, true], [401, true], [404, true], [410, true], [422, true], [408, false], [429, false], [301, false], [500, false], [503, false]] as const) {
        status = answer;
        const error = await publisher.publish(event(1)).catch((e: unknown) => e as Error);
        expect(error instanceof DeliveryRefused, `HTTP ${answer}`).to.equal(refusedForGood);
      }
    });

    it('signs each delivery with every secret: webhook-id is the event id on every try, the receiver verifies it, and a tampered body or old timestamp fails', async () => {
      const current = `whsec_${randomBytes(32).toString('base64')}`;
      const next = `whsec_${randomBytes(32).toString('base64')}`;
      let now = 1_767_225_600;
      const publisher = new HttpWebhookPublisher(base, { signer: new WebhookSigner([current, next]), nowSeconds: () => now });
      await publisher.publish(event(5));
      now += 60;
      await publisher.publish(event(5));
      const [first, retry] = received;
      for (const delivery of [first!, retry!]) {
        expect(delivery.headers['webhook-id']).to.equal(event(5).id);
        expect((delivery.headers['webhook-signature'] as string).split(' ')).to.have.length(2);
      }
      expect(retry!.headers['webhook-timestamp']).to.equal(String(now));
      const headers = (d: { headers: IncomingHttpHeaders }) => ({ id: d.headers['webhook-id'] as string, timestamp: d.headers['webhook-timestamp'] as string, signature: d.headers['webhook-signature'] as string });
      // Either secret verifies: the receiver can rotate.
      expect(verifyWebhook(current, headers(retry!), retry!.body, now)).to.equal(true);
      expect(verifyWebhook(next, headers(retry!), retry!.body, now)).to.equal(true);
      expect(verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, headers(retry!), retry!.body, now)).to.equal(false);
      expect(verifyWebhook(current, headers(retry!), retry!.body.replace('"aggregateId":5', '"aggregateId":6'), now)).to.equal(false);
      expect(verifyWebhook(current, headers(first!), first!.body, now + 3_600)).to.equal(false);
    });

    it('unsigned without secrets, but with webhook-id and webhook-timestamp', async () => {
      await new HttpWebhookPublisher(base).publish(event(3));
      expect(received[0]!.headers).to.include({ 'webhook-id': event(3).id });
      expect(received[0]!.headers['webhook-timestamp']).to.match(/^\d{10}$/);
      expect(received[0]!.headers).to.not.have.property('webhook-signature');
    });

    it('DATA_PLATFORM_FORMAT=cloudevents: a structured-mode CloudEvent 1.0 whose id is the outbox id and whose data is the payload', async () => {
      await new HttpWebhookPublisher(base, { format: 'cloudevents', source: '/shop-1' }).publish(event(8));
      const [delivery] = received;
      expect(delivery!.headers['content-type']).to.equal('application/cloudevents+json');
      expect(JSON.parse(delivery!.body)).to.deep.equal({
        specversion: '1.0',
        id: event(8).id,
        source: '/shop-1',
        type: 'order.created.v1',
        subject: 'orders/8',
        time: '2026-01-15T09:00:00.000Z',
        datacontenttype: 'application/json',
        data: event(8).payload,
      });
    });

    it('a secret must be whsec_ and base64 of at least 24 bytes', () => {
      expect(() => new WebhookSigner(['s3cret'])).to.throw(/whsec_/);
      expect(() => new WebhookSigner([`whsec_${randomBytes(8).toString('base64')}`])).to.throw(/24 bytes/);
    });
  });

  describe('JsonLinesFilePublisher', () => {
    const freshDir = () => mkdtempSync(path.join(tmpdir(), 'events-'));
    const idsIn = (file: string) =>
      readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as PlatformEvent).aggregateId);
    /** FileHandle's methods live on its prototype: what a spy or a stub takes hold of. */
    let fileHandle: FileHandle;
    before(async () => {
      const probe = await open(path.join(freshDir(), 'probe'), 'a');
      fileHandle = Object.getPrototypeOf(probe) as FileHandle;
      await probe.close();
    });
    let publishers: JsonLinesFilePublisher[];
    const publisherOf = (...args: ConstructorParameters<typeof JsonLinesFilePublisher>) => {
      const publisher = new JsonLinesFilePublisher(...args);
      publishers.push(publisher);
      return publisher;
    };
    beforeEach(() => {
      publishers = [];
    });
    afterEach(async () => {
      sinon.restore();
      await Promise.all(publishers.map((p) => p.close()));
    });

    it('appends one JSON line per event to its file (creating the directory), concurrent deliveries never interleave', async () => {
      const dir = path.join(freshDir(), 'nested');
      const publisher = publisherOf(path.join(dir, 'events-orders.jsonl'));
      expect(publisher.file).to.equal(path.join(dir, 'events-orders.jsonl'));
      await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.publish(event(i))));
      const lines = readFileSync(publisher.file, 'utf8').trimEnd().split('\n');
      expect(lines).to.have.length(200);
      expect(lines.map((line) => (JSON.parse(line) as PlatformEvent).aggregateId).sort((a, b) => a - b)).to.deep.equal(
        Array.from({ length: 200 }, (_, i) => i),
      );
      expect(JSON.parse(lines[0]!)).to.deep.equal(event(0));
    });

    it('many publishes, some while a write is in flight: every line, in the order published, each publish resolved only once its line is in the file', async () => {
      const publisher = publisherOf(path.join(freshDir(), 'events.jsonl'));
      const missing: number[] = [];
      const published: Promise<void>[] = [];
      for (let i = 0; i < 300; i += 1) {
        published.push(
          publisher.publish(event(i)).then(() => {
            // Read the moment the publish resolves: its line must already be there.
            if (!readFileSync(publisher.file, 'utf8').includes(`"id":"${event(i).id}"`)) missing.push(i);
          }),
        );
        if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(published);
      expect(missing, 'publishes resolved before their line was written').to.deep.equal([]);
      expect(idsIn(publisher.file)).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    });

    it('what is published in one go is one write; what is published while a write is in flight is gathered into the next single write', async () => {
      const writes = sinon.spy(fileHandle, 'write');
      const publisher = publisherOf(path.join(freshDir(), 'events.jsonl'));
      await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.publish(event(i))));
      expect(writes.callCount, 'writes for 100 events published at once').to.equal(1);

      const first = publisher.publish(event(100));
      // The first write is under way (it took its line) but cannot be done: it waits on the file system.
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
      const rest = Array.from({ length: 50 }, (_, i) => publisher.publish(event(101 + i)));
      await Promise.all([first, ...rest]);
      expect(writes.callCount, 'writes after one event, then 50 more during its write').to.equal(3);
      expect(idsIn(publisher.file)).to.deep.equal(Array.from({ length: 151 }, (_, i) => i));
    });

    it('keeps its handle: a line published just after the file was moved away still goes to the moved file (the same open file)', async () => {
      const dir = freshDir();
      const publisher = publisherOf(path.join(dir, 'events.jsonl'), undefined, { reopenAfterMs: 60_000 });
      await publisher.publish(event(1));
      renameSync(publisher.file, path.join(dir, 'events.jsonl.1'));
      await publisher.publish(event(2));
      expect(idsIn(path.join(dir, 'events.jsonl.1'))).to.deep.equal([1, 2]);
      expect(existsSync(publisher.file)).to.equal(false);
    });

    it(`the file moved away (log rotation): after ${REOPEN_AFTER_MS} ms, later lines land in a new file at the configured path`, async function () {
      this.timeout(10_000);
      const dir = freshDir();
      const publisher = publisherOf(path.join(dir, 'events.jsonl'));
      await publisher.publish(event(1));
      renameSync(publisher.file, path.join(dir, 'events.jsonl.1'));
      await new Promise((resolve) => setTimeout(resolve, REOPEN_AFTER_MS + 100));
      await Promise.all([publisher.publish(event(2)), publisher.publish(event(3))]);
      expect(idsIn(path.join(dir, 'events.jsonl.1'))).to.deep.equal([1]);
      expect(idsIn(publisher.file)).to.deep.equal([2, 3]);
    });

    it('the file cannot be opened (a directory in its place): the publishes reject with a short reason; once it is fixed, the next publish is written', async () => {
      const publisher = publisherOf(path.join(freshDir(), 'events.jsonl'));
      mkdirSync(publisher.file);
      const outcomes = await Promise.allSettled([1, 2, 3].map((n) => publisher.publish(event(n))));
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'written'))).to.deep.equal(
        Array(3).fill('events file not written: EISDIR'),
      );
      rmdirSync(publisher.file);
      await publisher.publish(event(4));
      expect(idsIn(publisher.file)).to.deep.equal([4]);
    });

    it('a write fails on an open handle (a full disk): those publishes reject, the handle is let go of, and the next publish opens the path anew', async function () {
      // Linux's always-full device; CI runs on Linux, so there it must be: fail rather than skip.
      if (!existsSync('/dev/full')) {
        if (inCi()) throw new Error('/dev/full is missing: this test needs Linux');
        this.skip();
      }
      const publisher = publisherOf(path.join(freshDir(), 'events.jsonl'), undefined, { reopenAfterMs: 60_000 });
      // Opens fine, every write fails with ENOSPC.
      symlinkSync('/dev/full', publisher.file);
      const outcomes = await Promise.allSettled([1, 2].map((n) => publisher.publish(event(n))));
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'written'))).to.deep.equal(
        Array(2).fill('events file not written: ENOSPC'),
      );
      unlinkSync(publisher.file);
      await publisher.publish(event(3));
      expect(idsIn(publisher.file)).to.deep.equal([3]);
    });

    it('a write cut short part way through a line: those publishes reject, and the next line starts on a line of its own', async () => {
      const publisher = publisherOf(path.join(freshDir(), 'events.jsonl'), undefined, { reopenAfterMs: 60_000 });
      await publisher.publish(event(1));
      const handle = fileHandle as unknown as { write(buffer: Buffer, offset: number, length: number, position: null): Promise<unknown> };
      const write = handle.write;
      let calls = 0;
      sinon.stub(handle, 'write').callsFake(function (this: FileHandle, buffer, offset, length, position) {
        calls += 1;
        // A third of the batch (two lines) gets to the disk, then the disk is full.
        if (calls === 1) return write.call(this, buffer, offset, Math.floor(length / 3), position);
        return Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      });
      const outcomes = await Promise.allSettled([2, 3].map((n) => publisher.publish(event(n))));
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'written'))).to.deep.equal(
        Array(2).fill('events file not written: ENOSPC'),
      );
      sinon.restore();
      await publisher.publish(event(4));
      const lines = readFileSync(publisher.file, 'utf8').trimEnd().split('\n');
      expect(lines).to.have.length(3);
      expect(JSON.parse(lines[0]!)).to.deep.equal(event(1));
      expect(() => JSON.parse(lines[1]!), 'the torn line').to.throw();
      expect(JSON.parse(lines[2]!)).to.deep.equal(event(4));
    });

    it('close() writes what was already published, closes the file, and later publishes are refused', async () => {
      const writes = sinon.spy(fileHandle, 'write');
      const publisher = publisherOf(path.join(freshDir(), 'events.jsonl'));
      const published = Array.from({ length: 10 }, (_, i) => publisher.publish(event(i)));
      await publisher.close();
      await Promise.all(published);
      expect(idsIn(publisher.file)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i));
      expect(writes.thisValues.map((handle) => (handle as FileHandle).fd), 'the handle written through, closed').to.deep.equal([-1]);
      const late = await publisher.publish(event(11)).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(late?.message).to.equal('events file publisher is closed');
    });
  });
});
