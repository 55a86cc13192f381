import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventPublisher, PlatformEvent } from '../../application/ports/event-publisher.js';

/**
 * When no data platform is configured: one JSON line per event appended to `events.jsonl` in the
 * data directory. Appends are queued one after another, so concurrent deliveries never interleave
 * inside a line.
 */
export class JsonLinesFilePublisher implements EventPublisher {
  readonly file: string;
  private tail: Promise<unknown> = Promise.resolve();
  private madeDir = false;

  constructor(private readonly dataDir: string) {
    this.file = path.join(dataDir, 'events.jsonl');
  }

  publish(event: PlatformEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const written = this.tail
      .catch(() => undefined)
      .then(async () => {
        if (!this.madeDir) await mkdir(this.dataDir, { recursive: true });
        this.madeDir = true;
        await appendFile(this.file, line, 'utf8');
      });
    this.tail = written;
    return written;
  }
}
