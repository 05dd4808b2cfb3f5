// The thread that owns the server's SQLite connection. better-sqlite3 is synchronous, so on the event loop every
// commit's fsync stalled every request; here it stalls only this thread, and calls that queue up meanwhile share
// the next commit (group-commit.ts). Entry point of the Worker started by threaded-store.ts.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { migrateSqlite, openSqliteDatabase } from '../database.js';
import { SqliteStore } from '../sqlite-store.js';
import { GroupCommit } from './group-commit.js';
import { serializeError, type ReadyMessage, type StoreCall, type ThreadOptions } from './protocol.js';

function open(options: ThreadOptions): { store: SqliteStore; groupCommit: GroupCommit } {
  const db = openSqliteDatabase(options.file, { synchronous: options.synchronous });
  try {
    migrateSqlite(db);
    const store = new SqliteStore(db, options);
    return { store, groupCommit: new GroupCommit(db, store) };
  } catch (error) {
    db.close();
    throw error;
  }
}

function serve(port: NonNullable<typeof parentPort>, options: ThreadOptions): void {
  let opened: ReturnType<typeof open>;
  try {
    opened = open(options);
  } catch (error) {
    port.postMessage({ ready: false, error: serializeError(error) } satisfies ReadyMessage);
    return;
  }
  const { store, groupCommit } = opened;
  const queued: StoreCall[] = [];
  // One batch at a time: a batch is one transaction on the one connection.
  let busy = false;
  let closed = false;

  const runQueued = async (): Promise<void> => {
    // Take everything already waiting on the port, not just what the event loop has delivered so far.
    for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) queued.push(...(next.message as StoreCall[]));
    const batch = queued.splice(0);
    const closeAt = batch.findIndex((call) => call.repository === '$store' && call.method === 'close');
    const close = batch[closeAt];
    const work = close === undefined ? batch : batch.slice(0, closeAt);
    // One message for the whole batch's replies: one wake-up of the event loop.
    if (work.length > 0) port.postMessage(await groupCommit.run(work));
    if (close !== undefined) {
      closed = true;
      await store.close();
      port.postMessage([{ id: close.id, value: undefined }]);
      port.close();
    }
  };

  const schedule = (): void => {
    if (busy || closed || queued.length === 0) return;
    busy = true;
    setImmediate(() => {
      void runQueued().finally(() => {
        busy = false;
        schedule();
      });
    });
  };

  // Each message holds the calls of one turn of the server's event loop.
  port.on('message', (calls: StoreCall[]) => {
    queued.push(...calls);
    schedule();
  });
  port.postMessage({ ready: true } satisfies ReadyMessage);
}

if (parentPort) serve(parentPort, workerData as ThreadOptions);
