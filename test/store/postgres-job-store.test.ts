import { openPostgresStore } from '../../src/store/postgres/open-postgres-store.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { describeJobActionsContract } from './job-actions.contract.js';
import { describeJobStoreContract } from './job-store.contract.js';
import { describeMaintenanceContract } from './maintenance.contract.js';
import { describeQueuesContract } from './queues.contract.js';

describePg('PostgreSQL store', () => {
  describeJobStoreContract('postgres', (clock) => openPostgresStore(freshPgUrl(), { clock }));
  describeJobActionsContract('postgres', (clock) => openPostgresStore(freshPgUrl(), { clock }));
  describeMaintenanceContract('postgres', (clock) => openPostgresStore(freshPgUrl(), { clock }));
  describeQueuesContract('postgres', (clock) => openPostgresStore(freshPgUrl(), { clock }));
});
