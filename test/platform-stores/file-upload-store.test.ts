import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileUploadStore } from '../../src/device-api/upload-store.js';
import { describeUploadStoreContract } from './upload-store.contract.js';

describeUploadStoreContract('files', async (t, options) => {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-uploads-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { uploads: new FileUploadStore({ dir, ...options }), devices: [1, 2, 3] };
});
