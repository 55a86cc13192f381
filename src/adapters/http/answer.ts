import type { Request, Response } from 'express';

/** The Content-Type of a JSON answer, as Express completes it (charset added). */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * What `res.status(status).type(...).send(JSON.stringify(body))` writes (the status, the
 * Content-Type with its charset, Content-Length, the body but for HEAD), written directly: Express
 * would look the type up in its MIME table, then parse and re-format the Content-Type it was just
 * given, on every answer. Only for what send() would not treat apart: no ETag (off in this app),
 * never fresh (a write, or not 2xx), never 204, 205 or 304.
 */
export function sendJson(req: Request, res: Response, status: number, body: unknown, contentType = JSON_CONTENT_TYPE): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  if (res.getHeader('Transfer-Encoding') === undefined) res.setHeader('Content-Length', String(Buffer.byteLength(json, 'utf8')));
  if (req.method === 'HEAD') res.end();
  else res.end(json, 'utf8');
}
