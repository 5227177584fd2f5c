import { randomInt } from 'node:crypto';
import { ValidationError } from '../errors.js';

/** spec §5.2: `TMPL` + 8–10 alphanumerics. */
const templateIdPattern = /^TMPL[A-Za-z0-9]{8,10}$/;
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const GENERATED_LENGTH = 10;

export function isTemplateId(value: string): boolean {
  return templateIdPattern.test(value);
}

export function checkTemplateId(value: unknown): string {
  if (typeof value !== 'string' || !isTemplateId(value)) {
    throw new ValidationError('Template ID must be TMPL followed by 8-10 letters or digits.');
  }
  return value;
}

/** A fresh Template ID from the CSPRNG (62^10 ids: collisions are retried by the caller). */
export function generateTemplateId(): string {
  let id = 'TMPL';
  for (let i = 0; i < GENERATED_LENGTH; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}
