import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EventPublisher, PlatformEvent } from '../../application/ports/event-publisher.js';
import { DEFAULT_EVENT_SOURCE } from './http-webhook-publisher.js';
import { encodeEvent, type WireFormat } from './wire-format.js';

/**
 * How long one handle on the file is written through before the next write opens the path anew.
 * An operator who moves the file away (log rotation without copytruncate) would otherwise see a
 * long-lived handle keep appending to the moved file for ever. Re-opening after a second is the
 * simple answer: at most one open and close a second instead of one per event, no stat call per
 * write, and what is written in that second still lands in the moved file (not lost) and the
 * file at the configured path is created again right after. A stat-check per write would narrow
 * that second but cost a system call per write, and it is racy all the same.
 */
export const REOPEN_AFTER_MS = 1_000;

interface Batch {
  lines: string[];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * When no data platform is configured: one JSON line per event appended to a file (the
 * configuration picks it per database: `DATA_DIR/events.jsonl` for the embedded one,
 * `DATA_DIR/events-<database>.jsonl` for a server).
 *
 * One handle (flag `a`) is kept open, not one open/write/close per event: the relay's deliveries
 * made while a write is in flight are gathered, in the order they were published, and go out
 * together in ONE write when it ends. One `write(2)` on an `O_APPEND` file, so lines never
 * interleave, not even with another instance appending to the same file. A publish resolves only
 * once the write holding its line has completed (the relay marks the event SENT then), and fails
 * with that write. A failed write lets go of the handle, so the next publish opens the path again
 * (the file deleted, the permission fixed); a handle older than `reopenAfterMs` is let go of too
 * (log rotation, see REOPEN_AFTER_MS). `close()` at service stop.
 */
export class JsonLinesFilePublisher implements EventPublisher {
  private madeDir = false;
  private handle: { file: FileHandle; openedAt: number } | null = null;
  /** Lines published since the write in flight began: the next write's. */
  private queued: Batch | null = null;
  /** The loop writing the queued batches, while there are any. */
  private writing: Promise<void> | null = null;
  /** A write failed part way through a line: the next write ends that torn line first. */
  private torn = false;
  private closed = false;
  private readonly reopenAfterMs: number;

  constructor(
    readonly file: string,
    private readonly wire: { format: WireFormat; source: string } = { format: 'platform', source: DEFAULT_EVENT_SOURCE },
    options: { reopenAfterMs?: number } = {},
  ) {
    this.reopenAfterMs = options.reopenAfterMs ?? REOPEN_AFTER_MS;
  }

  publish(event: PlatformEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('events file publisher is closed'));
    const line = `${encodeEvent(event, this.wire.format, this.wire.source).body}\n`;
    const batch = (this.queued ??= newBatch());
    batch.lines.push(line);
    // Started on the next microtask, so that what is published in one go (a relay batch's
    // deliveries, started together) shares the first write too.
    this.writing ??= Promise.resolve().then(() => this.writeQueued());
    return batch.done;
  }

  /** Closes the file (service stop), once what was already published is written. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.letGo();
  }

  private async writeQueued(): Promise<void> {
    try {
      for (let batch = this.queued; batch; batch = this.queued) {
        this.queued = null;
        try {
          await this.append(batch.lines.join(''));
          batch.resolve();
        } catch (error) {
          // Stored with the events and shown to operators: a short reason, as the other outlets give.
          const code = (error as { code?: unknown }).code;
          batch.reject(new Error(`events file not written: ${typeof code === 'string' ? code : 'unknown error'}`));
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async append(text: string): Promise<void> {
    const file = await this.open();
    let written = 0;
    let bytes = Buffer.from(text, 'utf8');
    try {
      // Not in a new file (rotated, removed): there the torn line is not above.
      if (this.torn && (await file.stat()).size > 0) bytes = Buffer.concat([Buffer.from('\n'), bytes]);
      // One write(2) in the normal case; a short one (a full disk) goes on from where it stopped.
      while (written < bytes.length) {
        const { bytesWritten } = await file.write(bytes, written, bytes.length - written, null);
        if (bytesWritten === 0) throw new Error('the events file took no bytes');
        written += bytesWritten;
      }
      this.torn = false;
    } catch (error) {
      // The lines of this batch are tried again by the relay; a line cut short must not swallow the next one.
      if (written > 0 && bytes[written - 1] !== 0x0a) this.torn = true;
      await this.letGo();
      throw error;
    }
  }

  private async open(): Promise<FileHandle> {
    if (this.handle && performance.now() - this.handle.openedAt >= this.reopenAfterMs) await this.letGo();
    if (this.handle) return this.handle.file;
    if (!this.madeDir) await mkdir(path.dirname(this.file), { recursive: true });
    this.madeDir = true;
    let file: FileHandle;
    try {
      file = await open(this.file, 'a');
    } catch (error) {
      // The directory itself was removed: the next try makes it again.
      if ((error as { code?: unknown }).code === 'ENOENT') this.madeDir = false;
      throw error;
    }
    this.handle = { file, openedAt: performance.now() };
    return file;
  }

  private async letGo(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.file.close().catch(() => undefined);
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { lines: [], done, resolve, reject };
}
