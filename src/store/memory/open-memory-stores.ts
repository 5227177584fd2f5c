import type { EngineStores } from '../../broker/store-ports.js';
import { MemoryRetainedStore } from './memory-retained-store.js';
import { MemorySessionStore } from './memory-session-store.js';

/** Engine stores that live and die with the process (persistence off, tests). */
export function openMemoryStores(): EngineStores {
  const sessions = new MemorySessionStore();
  const retained = new MemoryRetainedStore();
  return {
    sessions,
    retained,
    async close() {
      await Promise.all([sessions.close(), retained.close()]);
    },
  };
}
