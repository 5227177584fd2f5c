export { openMemoryStores } from './open-memory-stores.js';
