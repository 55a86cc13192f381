import { type FieldProblem, ValidationFailed } from '../shared/errors.js';

/**
 * Where an order's physical goods go (DOMAIN.md "Orders", Shipping address). Kept with the order
 * as it was given, trimmed; shown to the buyer, the sellers of its lines and ADMINs.
 */
export interface ShippingAddress {
  recipient: string;
  phone: string;
  /** A Korean postal code (우편번호): five digits. */
  postalCode: string;
  line1: string;
  /** The rest of the address (building, unit); null when not given. */
  line2: string | null;
}

/** What a buyer sends; text is trimmed before it is checked and kept. */
export interface ShippingAddressInput {
  recipient: string;
  phone: string;
  postalCode: string;
  line1: string;
  line2?: string | null;
}

export const RECIPIENT_MAX_LENGTH = 50;
export const ADDRESS_LINE_MAX_LENGTH = 200;
export const PHONE_MAX_LENGTH = 20;
export const PHONE_MIN_DIGITS = 8;
export const PHONE_MAX_DIGITS = 15;
/** Five digits, the Korean postal code since 2015 (the database checks the same pattern). */
export const POSTAL_CODE_PATTERN = /^\d{5}$/;
/** Digits, an optional leading `+`, groups separated by one space or hyphen: `010-1234-5678`, `+82 10 1234 5678`. */
export const PHONE_PATTERN = /^\+?\d+(?:[ -]\d+)*$/;

const FIELD = 'shippingAddress';

function textProblem(value: string, max: number): string | null {
  if (value.length === 0) return 'must not be blank';
  if (value.length > max) return `must be at most ${max} characters`;
  return null;
}

function phoneProblem(phone: string): string | null {
  if (phone.length === 0) return 'must not be blank';
  if (phone.length > PHONE_MAX_LENGTH || !PHONE_PATTERN.test(phone)) {
    return `must be digits, an optional leading +, and single spaces or hyphens between groups, at most ${PHONE_MAX_LENGTH} characters (e.g. 010-1234-5678)`;
  }
  const digits = phone.replace(/\D/g, '').length;
  if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS) return `must have ${PHONE_MIN_DIGITS} to ${PHONE_MAX_DIGITS} digits`;
  return null;
}

/**
 * A shipping address from what the buyer sent: every text trimmed, then checked (400
 * VALIDATION_FAILED naming each field that breaks a rule). `line2` left out, null or blank
 * after trimming is refused when blank (as every other text) and kept as null when absent.
 */
export function shippingAddressOf(input: ShippingAddressInput): ShippingAddress {
  const address: ShippingAddress = {
    recipient: input.recipient.trim(),
    phone: input.phone.trim(),
    postalCode: input.postalCode.trim(),
    line1: input.line1.trim(),
    line2: input.line2 === undefined || input.line2 === null ? null : input.line2.trim(),
  };
  const problems: FieldProblem[] = [];
  const check = (field: keyof ShippingAddress, problem: string | null) => {
    if (problem) problems.push({ field: `${FIELD}.${field}`, message: problem });
  };
  check('recipient', textProblem(address.recipient, RECIPIENT_MAX_LENGTH));
  check('phone', phoneProblem(address.phone));
  check('postalCode', POSTAL_CODE_PATTERN.test(address.postalCode) ? null : 'must be a five-digit postal code (e.g. 06236)');
  check('line1', textProblem(address.line1, ADDRESS_LINE_MAX_LENGTH));
  if (address.line2 !== null) check('line2', textProblem(address.line2, ADDRESS_LINE_MAX_LENGTH));
  if (problems.length > 0) throw new ValidationFailed(problems);
  return address;
}

/** An order whose lines are not all digital ships goods, so it needs an address. */
export function assertShippable(lines: ReadonlyArray<{ digital?: boolean; productId: number }>, address: ShippingAddress | null): void {
  if (address !== null) return;
  const index = lines.findIndex((l) => !l.digital);
  if (index < 0) return;
  throw new ValidationFailed([
    {
      field: FIELD,
      message: `is required: line ${index + 1} (product ${(lines[index] as { productId: number }).productId}) is a physical product to ship; only an order of digital products may leave it out`,
    },
  ]);
}
