import type { Clock } from '../../src/domain/shared/clock.js';

/** A clock that moves only when the test says so. */
export class ManualClock implements Clock {
  constructor(private current = new Date('2026-01-15T09:00:00.000Z')) {}

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
