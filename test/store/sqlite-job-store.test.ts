import { join } from 'node:path';
import { SqliteJobStore } from '../../src/store/sqlite/sqlite-job-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeJobActionsContract } from './job-actions.contract.js';
import { describeJobStoreContract } from './job-store.contract.js';
import { describeMaintenanceContract } from './maintenance.contract.js';
import { describeQueuesContract } from './queues.contract.js';

const open = async (clock: ConstructorParameters<typeof SqliteJobStore>[1]) =>
  new SqliteJobStore(join(tempDir(), 'q.db'), clock, { durable: false });

describeJobStoreContract('sqlite', open);
describeJobActionsContract('sqlite', open);
describeMaintenanceContract('sqlite', open);
describeQueuesContract('sqlite', open);
