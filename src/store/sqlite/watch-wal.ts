/**
 * Change notification for SQLite: every commit in WAL mode writes the `-wal` file, so a
 * file-system watch on the database's directory (inotify on Linux) hears each commit within
 * microseconds, without polling. The directory is watched rather than the file because the WAL
 * is deleted and recreated as connections come and go.
 */
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export function watchWal(databasePath: string, onChange: () => void): () => void {
  if (databasePath === ':memory:') return () => {};
  const wal = `${basename(databasePath)}-wal`;
  const watcher = watch(dirname(databasePath), { persistent: false }, (_event, file) => {
    if (file === null || file === wal) onChange();
  });
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}
