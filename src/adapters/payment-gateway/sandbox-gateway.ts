import type { GatewayAnswer, GatewayStatus, PaymentGateway } from '../../application/ports/payment-gateway.js';

export type SandboxMode = 'approve' | 'decline' | 'timeout';

/**
 * A stand-in for an external gateway, for tests and demos: it answers as its mode says, after a
 * small delay, outside any transaction. In `timeout` mode the answer is lost, and a later status
 * query says the payment was not approved (so recovery fails the order and gives everything back).
 */
export class SandboxGateway implements PaymentGateway {
  readonly settlesInTransaction = false;

  constructor(
    private readonly mode: SandboxMode,
    private readonly delayMs = 5,
  ) {}

  async request(): Promise<GatewayAnswer> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.mode === 'approve') return 'APPROVED';
    if (this.mode === 'decline') return 'DECLINED';
    return 'UNKNOWN';
  }

  async status(): Promise<GatewayStatus> {
    return this.mode === 'approve' ? 'APPROVED' : 'NOT_APPROVED';
  }
}
