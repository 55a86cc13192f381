import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problem } from './problem.js';

const REQUEST_TARGET = /^[A-Z]+ (\/[^\s?]*)/;

/**
 * Requests Node's HTTP parser refuses (headers over its size limit, a malformed request line or
 * header) never reach Express: Node would answer a bare 400 or 431 with no body. They get the
 * API's problem answer (400 VALIDATION_FAILED) instead, like any other malformed request.
 */
export function answerUnparsableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // Slowness, not shape: Node's own answer.
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const instance = REQUEST_TARGET.exec(error.rawPacket?.toString('latin1') ?? '')?.[1] ?? '/';
    const body = JSON.stringify(
      problem('VALIDATION_FAILED', 'The request is not valid', instance, [
        tooLarge ? { field: 'headers', message: 'are too large' } : { field: 'request', message: 'is not valid HTTP/1.1' },
      ]),
    );
    socket.end(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
