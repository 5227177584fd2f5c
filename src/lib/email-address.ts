export const MAX_EMAIL_LENGTH = 254;

/** One `@`, something on each side, no spaces: delivery is not devgate's business, only identity. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Whether `text` is usable as a sign-in email (RFC 5321 §4.5.3.1.3 path length bound). */
export function isEmailAddress(text: string): boolean {
  return text.length <= MAX_EMAIL_LENGTH && EMAIL.test(text);
}
