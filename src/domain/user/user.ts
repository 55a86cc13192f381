import { ValidationFailed, type FieldProblem } from '../shared/errors.js';

export const ROLES = ['BUYER', 'SELLER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** A SUSPENDED user cannot log in, and their tokens stop working. */
export const USER_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

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
  status: UserStatus;
  /**
   * Written into every token issued for the user; a token carrying an older one is ended. The
   * store owns it: it moves on whenever the role, the password or the status changes.
   */
  tokenVersion: number;
  createdAt: Date;
}

/** What it takes to register someone; the id and the token version come from the repository. */
export type NewUser = Omit<UserSnapshot, 'id' | 'tokenVersion'>;

/** What deciding on a token needs to know of its user now. */
export interface UserAccess {
  role: Role;
  status: UserStatus;
  tokenVersion: number;
}

/** A new role with the field it requires: a business number for a SELLER, an admin code for an ADMIN. */
export interface RoleChange {
  role: Role;
  businessNumber?: string | null;
  adminCode?: string | null;
}

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
    const fields = roleFields(details);
    return {
      email: details.email.trim(),
      name: details.name.trim(),
      role: details.role,
      passwordHash,
      introduction: details.role === 'BUYER' ? null : details.introduction ?? null,
      ...fields,
      status: 'ACTIVE',
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
  get status(): UserStatus {
    return this.state.status;
  }
  get tokenVersion(): number {
    return this.state.tokenVersion;
  }

  isAdmin(): boolean {
    return this.state.role === 'ADMIN';
  }

  isActive(): boolean {
    return this.state.status === 'ACTIVE';
  }

  /**
   * Gives the user another role (or the same one with a new role field). A field the role
   * requires falls back to the one the user already has in that role; fields of other roles
   * are dropped, and a BUYER keeps no introduction, as at registration.
   */
  changeRole(change: RoleChange): void {
    const staying = change.role === this.state.role;
    const fields = roleFields({
      role: change.role,
      businessNumber: change.businessNumber ?? (staying ? this.state.businessNumber : null),
      adminCode: change.adminCode ?? (staying ? this.state.adminCode : null),
    });
    this.state.role = change.role;
    this.state.businessNumber = fields.businessNumber;
    this.state.adminCode = fields.adminCode;
    if (change.role === 'BUYER') this.state.introduction = null;
  }

  changeStatus(status: UserStatus): void {
    this.state.status = status;
  }

  /** The new password arrives hashed, as at registration. */
  changePassword(passwordHash: string): void {
    this.state.passwordHash = passwordHash;
  }

  toSnapshot(): UserSnapshot {
    return { ...this.state };
  }
}

/** Checks the field a role requires and keeps only the fields of that role. */
function roleFields(details: RoleChange): { businessNumber: string | null; adminCode: string | null } {
  const problems: FieldProblem[] = [];
  const businessNumber = details.businessNumber ?? null;
  const adminCode = details.adminCode?.trim() || null;
  if (details.role === 'SELLER') {
    if (!businessNumber) problems.push({ field: 'businessNumber', message: 'is required for a SELLER' });
    else if (!BUSINESS_NUMBER.test(businessNumber)) problems.push({ field: 'businessNumber', message: 'must look like NNN-NN-NNNNN' });
  }
  if (details.role === 'ADMIN' && !adminCode) {
    problems.push({ field: 'adminCode', message: 'is required for an ADMIN' });
  }
  if (problems.length > 0) throw new ValidationFailed(problems);
  return {
    businessNumber: details.role === 'SELLER' ? businessNumber : null,
    adminCode: details.role === 'ADMIN' ? adminCode : null,
  };
}

/** E-mail addresses are compared case-insensitively everywhere. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
