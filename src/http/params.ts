import { ValidationError } from '../platform/errors.js';
import type { PageRequest } from '../platform/services.js';

export interface PageQuery {
  readonly page?: number;
  readonly size?: number;
}

/** Only the given paging values, so services apply their defaults. */
export function pageRequest(query: PageQuery): PageRequest {
  return {
    ...(query.page === undefined ? {} : { page: query.page }),
    ...(query.size === undefined ? {} : { size: query.size }),
  };
}

/** A template is named by its numeric id or its `TMPL…` id; digits-only strings are numeric ids. */
export function templateRef(value: number | string): number | string {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
}

/** `v1`, `V1` or `1` → 1 (spec §6.2 pin keys); anything else is `Wrong pin format.` */
export function parsePin(text: string): number {
  const match = /^[vV]?(\d{1,7})$/.exec(text.trim());
  if (match?.[1] === undefined) throw new ValidationError('Wrong pin format.');
  return Number(match[1]);
}

/** `a,b&x=c` style lists: repeated parameters and comma-separated values alike; blanks dropped. */
export function listParam(values: readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  return values
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A comma-separated list of numeric ids. */
export function idListParam(values: readonly string[] | undefined, what: string): number[] {
  return listParam(values).map((item) => {
    if (!/^\d{1,15}$/.test(item)) throw new ValidationError(`Wrong ${what} format.`);
    return Number(item);
  });
}
