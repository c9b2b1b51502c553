// Another process holding an SQLite file's write lock, as a backup job or a migration would:
// opens the file, runs `BEGIN EXCLUSIVE`, prints "locked", and commits when stdin says "release"
// (or closes). Usage: node --import tsx sqlite-lock-holder.ts <path>
import Database from "better-sqlite3";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: sqlite-lock-holder.ts <path>");
const db = new Database(path);
db.pragma("busy_timeout = 10000");
db.exec("BEGIN EXCLUSIVE");
// A write inside the transaction, so the lock is the real thing and not only announced.
db.exec("CREATE TABLE IF NOT EXISTS lock_holder_was_here (at INTEGER)");
db.prepare("INSERT INTO lock_holder_was_here VALUES (?)").run(Date.now());
process.stdout.write("locked\n");

const release = () => {
  if (!db.inTransaction) return;
  db.exec("COMMIT");
  db.close();
  process.stdout.write("released\n");
  process.exit(0);
};
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text) => {
  if (String(text).includes("release")) release();
});
process.stdin.on("end", release);
