import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Opens the workbench's SQLite file (tags, notebooks) the one way every store needs it: WAL so readers never
 * wait for a writer, synchronous FULL so a committed edit survives a crash, a busy timeout so concurrent
 * writers queue instead of failing, and the store's schema applied in one immediate transaction.
 */
export function openWorkbenchDatabase(path: string, schema: string, options: { busyTimeoutMs?: number; foreignKeys?: boolean } = {}): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    if (options.foreignKeys) db.pragma('foreign_keys = ON');
    db.transaction(() => db.exec(schema)).immediate();
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
