// The demo's accounts: SQLite, passwords hashed with scrypt (node:crypto), compared in constant time.
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type Database from "better-sqlite3";

export interface User {
  id: string;
  name: string;
  email: string;
}

export function userDirectory(db: Database.Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS demo_users (
    id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, email TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL)`);
  const insert = db.prepare(
    "INSERT INTO demo_users (id, name, email, salt, hash) VALUES (?, ?, ?, ?, ?)",
  );
  const byName = db.prepare("SELECT id, name, email, salt, hash FROM demo_users WHERE name = ?");
  const byId = db.prepare("SELECT id, name, email, salt, hash FROM demo_users WHERE id = ?");
  const setEmail = db.prepare("UPDATE demo_users SET email = ? WHERE id = ?");
  type Row = User & { salt: Buffer; hash: Buffer };
  const hashOf = (password: string, salt: Buffer) => scryptSync(password, salt, 32);
  // Checking a name that does not exist costs the same as a wrong password.
  const dummy = { salt: randomBytes(16), hash: randomBytes(32) };

  return {
    signUp(name: string, email: string, password: string): User | "taken" {
      if (byName.get(name) !== undefined) return "taken";
      const user = { id: randomBytes(9).toString("base64url"), name, email };
      const salt = randomBytes(16);
      insert.run(user.id, name, email, salt, hashOf(password, salt));
      return user;
    },
    verify(name: string, password: string): User | null {
      const row = byName.get(name) as Row | undefined;
      const ok = timingSafeEqual(hashOf(password, (row ?? dummy).salt), (row ?? dummy).hash);
      return ok && row ? { id: row.id, name: row.name, email: row.email } : null;
    },
    verifyById(id: string, password: string): boolean {
      const row = byId.get(id) as Row | undefined;
      return row !== undefined && timingSafeEqual(hashOf(password, row.salt), row.hash);
    },
    find(id: string): User | null {
      const row = byId.get(id) as Row | undefined;
      return row ? { id: row.id, name: row.name, email: row.email } : null;
    },
    changeEmail(id: string, email: string): void {
      setEmail.run(email, id);
    },
  };
}

export type UserDirectory = ReturnType<typeof userDirectory>;
