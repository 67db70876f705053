import { join } from 'node:path';
import { SqliteJobStore } from '../../src/store/sqlite/sqlite-job-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeJobStoreContract } from './job-store.contract.js';

describeJobStoreContract(
  'sqlite',
  async (clock) => new SqliteJobStore(join(tempDir(), 'q.db'), clock, { durable: false }),
);
