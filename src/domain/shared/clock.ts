/** Time is a port so the domain stays deterministic in tests. */
export interface Clock {
  now(): Date;
}
