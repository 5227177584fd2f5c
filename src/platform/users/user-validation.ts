import { isEmailAddress } from '../../lib/email-address.js';
import { ValidationError } from '../errors.js';
import { ROLES, type Role } from '../model.js';

/** Password length bounds, in characters (decision 0024). */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_USER_NAME_LENGTH = 100;

/** The stored form of an email: trimmed and lower-cased, so uniqueness is case-insensitive on both backends. */
export function normalizeEmail(email: unknown): string {
  if (typeof email !== 'string') throw new ValidationError('email must be a string.');
  const normalized = email.trim().toLowerCase();
  if (!isEmailAddress(normalized)) throw new ValidationError('email must be an email address.');
  return normalized;
}

export function validatePassword(password: unknown): string {
  if (typeof password !== 'string') throw new ValidationError('password must be a string.');
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(
      `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long.`,
    );
  }
  return password;
}

export function validateRole(role: unknown): Role {
  if (!ROLES.includes(role as Role)) throw new ValidationError(`role must be one of ${ROLES.join(', ')}.`);
  return role as Role;
}

/** The display name; defaults to the email's local part. */
export function validateUserName(name: unknown, email: string): string {
  if (name === undefined) return email.slice(0, email.indexOf('@'));
  if (typeof name !== 'string') throw new ValidationError('name must be a string.');
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_USER_NAME_LENGTH)
    throw new ValidationError(`name must be 1 to ${MAX_USER_NAME_LENGTH} characters long.`);
  return trimmed;
}
