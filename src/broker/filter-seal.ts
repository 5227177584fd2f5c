/**
 * Keeps secrets that clients put in wire filters (the Gateway API's `dev/{token}/…`) out of the
 * session store. The adapter that maps such a filter names its sealed form
 * (SubscribeMapping.storedFilter); the session store only ever sees that. After a restart the
 * seal turns the stored form back into the wire filter, or says it cannot (the secret was
 * revoked meanwhile) and the subscription is dropped.
 */
export interface FilterSeal {
  /**
   * The sealed form of a mapped subscription's wire filter, for rows an older devgate stored in
   * clear text (rewritten when they are loaded); undefined when the filter holds no secret.
   */
  seal(wireFilter: string, matchFilter: string): string | undefined;
  /** The wire filter again; undefined when it can no longer be recovered (drop the subscription). */
  unseal(sealed: string, matchFilter: string): Promise<string | undefined>;
}
