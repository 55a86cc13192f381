import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventPublisher, PlatformEvent } from '../../application/ports/event-publisher.js';

/**
 * When no data platform is configured: one JSON line per event appended to a file (the
 * configuration picks it per database: `DATA_DIR/events.jsonl` for the embedded one,
 * `DATA_DIR/events-<database>.jsonl` for a server). Appends are queued one after another, so
 * concurrent deliveries never interleave inside a line.
 */
export class JsonLinesFilePublisher implements EventPublisher {
  private tail: Promise<unknown> = Promise.resolve();
  private madeDir = false;

  constructor(readonly file: string) {}

  publish(event: PlatformEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const written = this.tail
      .catch(() => undefined)
      .then(async () => {
        if (!this.madeDir) await mkdir(path.dirname(this.file), { recursive: true });
        this.madeDir = true;
        await appendFile(this.file, line, 'utf8');
      });
    this.tail = written;
    return written;
  }
}
