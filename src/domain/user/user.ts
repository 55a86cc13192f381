import { ValidationFailed, type FieldProblem } from '../shared/errors.js';

export const ROLES = ['BUYER', 'SELLER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export const MIN_PASSWORD_LENGTH = 8;
const BUSINESS_NUMBER = /^\d{3}-\d{2}-\d{5}$/;

export interface UserSnapshot {
  id: number;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  introduction: string | null;
  businessNumber: string | null;
  adminCode: string | null;
  createdAt: Date;
}

/** What it takes to register someone; the id comes from the repository. */
export type NewUser = Omit<UserSnapshot, 'id'>;

export interface AccountDetails {
  email: string;
  name: string;
  role: Role;
  introduction?: string | null;
  businessNumber?: string | null;
  adminCode?: string | null;
}

/**
 * A shop account. One type for all roles (single-table inheritance): sellers carry a business
 * registration number, admins an admin code; both may carry an introduction.
 */
export class User {
  private constructor(private readonly state: UserSnapshot) {}

  static fromSnapshot(snapshot: UserSnapshot): User {
    return new User({ ...snapshot });
  }

  /**
   * Checks the role's own fields and returns the row to store. The password arrives already
   * hashed: the domain never sees it in clear.
   */
  static register(details: AccountDetails, passwordHash: string, at: Date): NewUser {
    const problems: FieldProblem[] = [];
    const businessNumber = details.businessNumber ?? null;
    const adminCode = details.adminCode?.trim() ?? null;
    if (details.role === 'SELLER') {
      if (!businessNumber) problems.push({ field: 'businessNumber', message: 'is required for a SELLER' });
      else if (!BUSINESS_NUMBER.test(businessNumber))
        problems.push({ field: 'businessNumber', message: 'must look like NNN-NN-NNNNN' });
    }
    if (details.role === 'ADMIN' && !adminCode) {
      problems.push({ field: 'adminCode', message: 'is required for an ADMIN' });
    }
    if (problems.length > 0) throw new ValidationFailed(problems);
    return {
      email: details.email.trim(),
      name: details.name.trim(),
      role: details.role,
      passwordHash,
      introduction: details.role === 'BUYER' ? null : details.introduction ?? null,
      businessNumber: details.role === 'SELLER' ? businessNumber : null,
      adminCode: details.role === 'ADMIN' ? adminCode : null,
      createdAt: at,
    };
  }

  get id(): number {
    return this.state.id;
  }
  get email(): string {
    return this.state.email;
  }
  get role(): Role {
    return this.state.role;
  }
  get passwordHash(): string {
    return this.state.passwordHash;
  }

  isAdmin(): boolean {
    return this.state.role === 'ADMIN';
  }

  toSnapshot(): UserSnapshot {
    return { ...this.state };
  }
}

/** E-mail addresses are compared case-insensitively everywhere. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
