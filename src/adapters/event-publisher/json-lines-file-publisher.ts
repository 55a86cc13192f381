import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventPublisher, PlatformEvent } from '../../application/ports/event-publisher.js';
import { DEFAULT_EVENT_SOURCE } from './http-webhook-publisher.js';
import { encodeEvent, type WireFormat } from './wire-format.js';

/**
 * When no data platform is configured: one JSON line per event appended to a file (the
 * configuration picks it per database: `DATA_DIR/events.jsonl` for the embedded one,
 * `DATA_DIR/events-<database>.jsonl` for a server). Appends are queued one after another, so
 * concurrent deliveries never interleave inside a line.
 */
export class JsonLinesFilePublisher implements EventPublisher {
  private tail: Promise<unknown> = Promise.resolve();
  private madeDir = false;

  constructor(
    readonly file: string,
    private readonly wire: { format: WireFormat; source: string } = { format: 'platform', source: DEFAULT_EVENT_SOURCE },
  ) {}

  publish(event: PlatformEvent): Promise<void> {
    const line = `${encodeEvent(event, this.wire.format, this.wire.source).body}\n`;
    const written = this.tail
      .catch(() => undefined)
      .then(async () => {
        try {
          if (!this.madeDir) await mkdir(path.dirname(this.file), { recursive: true });
          this.madeDir = true;
          await appendFile(this.file, line, 'utf8');
        } catch (error) {
          // Stored with the event and shown to operators: a short reason, as the other outlets give.
          const code = (error as { code?: unknown }).code;
          throw new Error(`events file not written: ${typeof code === 'string' ? code : 'unknown error'}`);
        }
      });
    this.tail = written;
    return written;
  }
}
