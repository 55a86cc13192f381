/** The part of node-postgres's Client whose socket is held. */
interface WithSocket {
  connection: { stream: { cork(): void; uncork(): void } };
}

const holding = new WeakSet<object>();

/**
 * Holds what is sent on a pipelining connection until the current turn of the event loop is over
 * (setImmediate): the statements a use case sends one after another without waiting (a pipelined
 * write, the read behind it, COMMIT) leave in one socket write instead of one each. Each write is
 * a system call and wakes the PostgreSQL backend, which then reads one statement at a time; on the
 * order path they were a quarter of the service's samples. Nothing waits longer than the rest of
 * this turn: the socket is let go of before the loop next polls for I/O.
 */
export function holdSendsForThisTurn(client: WithSocket): void {
  const stream = client.connection.stream;
  if (holding.has(stream)) return;
  holding.add(stream);
  stream.cork();
  setImmediate(() => {
    holding.delete(stream);
    stream.uncork();
  });
}
