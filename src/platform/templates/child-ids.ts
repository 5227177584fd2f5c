import { ValidationError } from '../errors.js';

/**
 * The id of one item of a full-list update (spec §5.2 children). On create (`existing` undefined)
 * ids are ignored, so a copied template gets fresh ones; on update an id must name an item of this
 * template, and keeps that item's identity.
 */
export function childId(
  value: unknown,
  existing: ReadonlySet<number> | undefined,
  what: string,
): number | undefined {
  if (value === undefined || value === null || existing === undefined) return undefined;
  if (typeof value !== 'number' || !existing.has(value)) {
    throw new ValidationError(`${what} id ${String(value)} does not belong to this template.`);
  }
  return value;
}

/** Ids in a full list must be distinct: one existing item cannot become two. */
export function checkDistinctIds(items: ReadonlyArray<{ readonly id?: number }>, what: string): void {
  const seen = new Set<number>();
  for (const { id } of items) {
    if (id === undefined) continue;
    if (seen.has(id)) throw new ValidationError(`${what} id ${id} appears twice.`);
    seen.add(id);
  }
}
