import { ValidationError } from '../errors.js';
import type { PageRequest } from '../services.js';

/** spec §6.4: page is 0-based, size defaults to 50 and is at most 1000. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** Checks a page request and turns it into an offset/limit pair. */
export function pageBounds(page: PageRequest = {}): { offset: number; limit: number } {
  const index = page.page ?? 0;
  const size = page.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(index) || index < 0) throw new ValidationError('page must be an integer ≥ 0.');
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ValidationError(`size must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return { offset: index * size, limit: size };
}
