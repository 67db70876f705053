/**
 * Notices that the database file or its `-wal` was deleted or replaced while this connection has
 * them open. SQLite itself does not: it goes on writing to the unlinked files, where no process
 * opening the database afterwards sees the changes, and a process that opens it meanwhile meets
 * a shared-memory index that points into a WAL it cannot read. Writers check before each write
 * transaction and stop at once (a StoreBrokenError).
 */
import { realpathSync, statSync } from 'node:fs';
import { StoreBrokenError } from '../../core/errors.js';

interface Identity {
  dev: number;
  ino: number;
}

function identity(path: string): Identity | null {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? { dev: stats.dev, ino: stats.ino } : null;
}

function same(a: Identity | null, b: Identity | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

export class FileGuard {
  private readonly walPath: string;
  private readonly database: Identity | null;
  private readonly wal: Identity | null;

  /** Call once the connection has read the database (SQLite then holds the `-wal` open). */
  constructor(private readonly path: string) {
    // SQLite follows a symlink and keeps the -wal beside the file it points to.
    this.walPath = `${realpathSync(path)}-wal`;
    this.database = identity(path);
    this.wal = identity(this.walPath);
  }

  /** Throws StoreBrokenError when either file is no longer the one this connection uses. */
  check(): void {
    if (this.database && !same(this.database, identity(this.path))) {
      throw new StoreBrokenError(
        this.path,
        'DB_DELETED',
        'was deleted or replaced while in use',
        'the file this process has open is no longer at that path; its changes are lost when the process exits',
      );
    }
    if (this.wal && !same(this.wal, identity(this.walPath))) {
      throw new StoreBrokenError(
        this.path,
        'WAL_DELETED',
        'lost its -wal file while in use',
        `${this.walPath} was deleted or replaced; changes not yet checkpointed live only in the processes that still have it open`,
      );
    }
  }
}
