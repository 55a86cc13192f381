import http from 'node:http';
import { expect } from 'chai';
import { DrainingServer } from '../../../src/infrastructure/draining-server.js';
import { rawRequest } from '../../support/http-client.js';
import { type Deferred, deferred } from '../../support/deferred.js';

describe('DrainingServer (graceful shutdown of the HTTP listener)', () => {
  let server: DrainingServer;
  let base: string;
  /** /slow waits for this; each request to it signals `slowStarted`. */
  let release: Deferred;
  let slowStarted: Deferred;
  let neverStarted: Deferred;
  const agents: http.Agent[] = [];
  const keepAlive = () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return agent;
  };

  beforeEach(async () => {
    release = deferred();
    slowStarted = deferred();
    neverStarted = deferred();
    server = new DrainingServer((req, res) => {
      if (req.url === '/slow') {
        slowStarted.resolve();
        void release.promise.then(() => res.end('slow done'));
        return;
      }
      if (req.url === '/never') {
        neverStarted.resolve();
        return;
      }
      res.end('quick');
    });
    base = `http://127.0.0.1:${await server.listen(0)}`;
  });

  afterEach(async () => {
    release.resolve();
    for (const agent of agents.splice(0)) agent.destroy();
    if (server.server.listening) {
      server.server.closeAllConnections();
      server.server.close();
    }
  });

  it('a request in flight when the drain starts finishes with its answer, marked Connection: close, and only then does the drain end', async () => {
    const slow = rawRequest(keepAlive(), `${base}/slow`);
    await slowStarted.promise;
    let drained = false;
    const drain = server.drain(60_000).then(() => (drained = true));
    expect(server.draining).to.equal(true);

    // Served while the slow request still runs, so the drain cannot have ended yet.
    const meanwhile = await rawRequest(keepAlive(), `${base}/quick`);
    expect(meanwhile.status).to.equal(200);
    expect(drained, 'drained while a request was in flight').to.equal(false);

    release.resolve();
    const answer = await slow;
    expect(answer.status).to.equal(200);
    expect(answer.body).to.equal('slow done');
    expect(answer.headers['connection']).to.equal('close');
    await drain;
    expect(server.server.listening).to.equal(false);
  });

  it('a keep-alive connection opened before the drain gets Connection: close on its next answer', async () => {
    const agent = keepAlive();
    const before = await rawRequest(agent, `${base}/quick`);
    expect(before.headers['connection']).to.equal('keep-alive');
    const slow = rawRequest(keepAlive(), `${base}/slow`);
    await slowStarted.promise;
    const drain = server.drain(60_000);

    const after = await rawRequest(agent, `${base}/quick`);

    expect(after.reusedSocket, 'the same keep-alive connection').to.equal(true);
    expect(after.status).to.equal(200);
    expect(after.headers['connection']).to.equal('close');
    release.resolve();
    await slow;
    await drain;
  });

  it('a new connection during the drain is still answered (Connection: close), so a probe gets an answer, not a refusal', async () => {
    const slow = rawRequest(keepAlive(), `${base}/slow`);
    await slowStarted.promise;
    const drain = server.drain(60_000);

    const probe = await rawRequest(keepAlive(), `${base}/quick`);

    expect(probe.reusedSocket).to.equal(false);
    expect(probe.status).to.equal(200);
    expect(probe.headers['connection']).to.equal('close');
    release.resolve();
    await slow;
    await drain;
  });

  it('with nothing in flight the drain ends at once, closing idle keep-alive connections', async () => {
    const agent = keepAlive();
    expect((await rawRequest(agent, `${base}/quick`)).headers['connection']).to.equal('keep-alive');

    await server.drain(60_000);

    expect(server.server.listening).to.equal(false);
    let refused: unknown = null;
    await rawRequest(keepAlive(), `${base}/quick`).catch((error: unknown) => (refused = error));
    expect((refused as NodeJS.ErrnoException | null)?.code).to.equal('ECONNREFUSED');
  });

  it('past the grace period the connections left are cut and onCut is told how many requests were running', async () => {
    let failure: unknown = null;
    const hanging = rawRequest(keepAlive(), `${base}/never`).catch((error: unknown) => (failure = error));
    await neverStarted.promise;
    const cut: number[] = [];

    await server.drain(20, (requests) => cut.push(requests));

    await hanging;
    expect(cut).to.deep.equal([1]);
    expect((failure as NodeJS.ErrnoException | null)?.code).to.equal('ECONNRESET');
    expect(server.server.listening).to.equal(false);
  });
});
