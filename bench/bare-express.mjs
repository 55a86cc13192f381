// The coupon bench's yardstick (bench/coupons.ts): an Express app whose one POST endpoint parses the
// JSON body and answers 201, nothing else. Started like the service (its own `node` process, the
// same flags), it shows what this machine's HTTP stack, Express and the load generator allow,
// so the coupon storm's rate can be read as a share of it. Prints "listening on PORT".
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json());
app.post('/{*path}', (req, res) => {
  res.status(201).json({ ok: true, received: typeof req.body === 'object' && req.body !== null });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
