import type { Logger } from '../application/ports/logger.js';

interface Job {
  name: string;
  intervalMs: number;
  run: () => Promise<unknown>;
}

/**
 * Runs background jobs on their intervals, never two runs of one job at once in this process
 * (each job is itself safe to run on several instances). stop() waits for runs in flight.
 */
export class JobScheduler {
  private readonly jobs: Job[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  add(name: string, intervalMs: number, run: () => Promise<unknown>): void {
    this.jobs.push({ name, intervalMs, run });
  }

  start(): void {
    for (const job of this.jobs) this.schedule(job);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  private schedule(job: Job): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = job
        .run()
        .catch((error: unknown) =>
          this.logger.error('job failed', { job: job.name, error: error instanceof Error ? error.message : String(error) }),
        )
        .finally(() => {
          this.running.delete(run);
          this.schedule(job);
        });
      this.running.add(run);
    }, job.intervalMs);
    timer.unref();
    this.timers.add(timer);
  }
}
