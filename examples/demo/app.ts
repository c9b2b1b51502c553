// The demo application: sign up, log in, log out; the current session; your devices with revoke
// buttons; a CSRF-protected form; a step-up page. Every piece of latchkey, in one small app.
import Database from "better-sqlite3";
import express from "express";
import helmet from "helmet";
import { createSessions, type Duration, type SessionEvent } from "latchkey";
import { csrfMiddleware, sessionMiddleware } from "latchkey/express";
import { developmentSecret } from "./dev-secret.ts";
import { demoStore } from "./store.ts";
import { userDirectory } from "./users.ts";
import {
  credentialsForm,
  csrfField,
  devicesList,
  escapeHtml,
  page,
  sessionTable,
} from "./views.ts";

declare module "latchkey" {
  interface SessionData {
    notes: string[];
  }
}

export interface DemoOptions {
  /** SQLite file for users (and sessions, by default). */
  databasePath: string;
  idleTimeout?: Duration;
  onEvent?: (event: SessionEvent) => void;
}

export async function createDemo(options: DemoOptions) {
  const db = new Database(options.databasePath);
  db.pragma("journal_mode = WAL");
  const users = userDirectory(db);
  const { store, label } = await demoStore(db);
  const sessions = createSessions({
    secrets: [developmentSecret()],
    store,
    preset: "nist-aal2",
    ...(options.idleTimeout === undefined
      ? {}
      : { idleTimeout: options.idleTimeout, touchInterval: 1 }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });

  const app = express();
  app.disable("x-powered-by");
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          "script-src": ["'self'"],
          "form-action": ["'self'"],
          // Upgrading subresources to https would break the demo on http://localhost.
          "upgrade-insecure-requests": process.env.NODE_ENV === "production" ? [] : null,
        },
      },
      // A year, as ASVS 5.0 3.4.1 asks; browsers ignore HSTS on http://localhost.
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    }),
  );
  app.use(
    "/static",
    express.static(new URL("./public", import.meta.url).pathname, { maxAge: "1h" }),
  );
  app.use(express.urlencoded({ extended: false, limit: "10kb" }));
  app.use(sessionMiddleware(sessions));
  app.use(csrfMiddleware(sessions));
  // Pages show per-user data: never from a shared cache.
  app.use((_req, res, next) => {
    res.setHeader("cache-control", "no-store");
    next();
  });

  const currentUser = (req: express.Request) =>
    req.session.userId ? users.find(req.session.userId) : null;
  const field = (req: express.Request, name: string) =>
    String((req.body as Record<string, unknown> | undefined)?.[name] ?? "").trim();
  const render = (
    req: express.Request,
    res: express.Response,
    title: string,
    body: string,
    status = 200,
  ) => {
    res
      .status(status)
      .type("html")
      .send(page(title, body, currentUser(req), req.session.csrfToken()));
  };

  app.get("/", (req, res) => {
    const s = req.session;
    const user = currentUser(req);
    const rows: Array<[string, string]> = [
      ["Store", escapeHtml(label)],
      ["Logged in as", user ? escapeHtml(user.name) : "nobody"],
      [
        "Session started",
        s.createdAt ? new Date(s.createdAt).toISOString() : "not yet (nothing stored)",
      ],
      ["Authenticated at", s.authTime ? new Date(s.authTime).toISOString() : "–"],
      [
        "Ends without activity in",
        s.expiresAt ? `<span data-deadline="${s.expiresAt}"></span>` : "–",
      ],
      [
        "Ends at the latest",
        s.absoluteExpiresAt ? new Date(s.absoluteExpiresAt).toISOString() : "–",
      ],
      ["Remembered", s.persistent ? "yes (persistent cookie)" : "no (ends with the browser)"],
      ["Holds", `<code>${escapeHtml(JSON.stringify({ notes: s.get("notes") ?? [] }))}</code>`],
    ];
    render(req, res, "Your session", sessionTable(rows));
  });

  const signupPage = (req: express.Request, res: express.Response, error = "", status = 200) =>
    render(
      req,
      res,
      "Sign up",
      credentialsForm("/signup", "Create account", req.session.csrfToken(), true, error),
      status,
    );

  app.get("/signup", (req, res) => signupPage(req, res));
  app.post("/signup", async (req, res) => {
    const [name, email, password] = [
      field(req, "name"),
      field(req, "email"),
      field(req, "password"),
    ];
    if (!/^[\w.-]{1,64}$/.test(name) || password.length < 8 || !email.includes("@")) {
      signupPage(
        req,
        res,
        "Name (letters, digits, . _ -), email and a password of 8+ characters, please.",
        400,
      );
      return;
    }
    const user = users.signUp(name, email, password);
    if (user === "taken") {
      signupPage(req, res, "That name is taken.", 409);
      return;
    }
    await req.session.login(user.id);
    res.redirect(303, "/");
  });

  app.get("/login", (req, res) =>
    render(req, res, "Log in", credentialsForm("/login", "Log in", req.session.csrfToken(), false)),
  );
  app.post("/login", async (req, res) => {
    const user = users.verify(field(req, "name"), field(req, "password"));
    if (user === null) {
      render(
        req,
        res,
        "Log in",
        credentialsForm(
          "/login",
          "Log in",
          req.session.csrfToken(),
          false,
          "Wrong name or password.",
        ),
        401,
      );
      return;
    }
    await req.session.login(user.id, { persistent: field(req, "remember") === "1" });
    res.redirect(303, "/");
  });

  app.post("/logout", async (req, res) => {
    await req.session.logout();
    res.redirect(303, "/");
  });

  const requireUser: express.RequestHandler = (req, res, next) => {
    if (req.session.userId === null) res.redirect(303, "/login");
    else next();
  };

  app.get("/notes", requireUser, (req, res) => {
    const notes = req.session.get("notes") ?? [];
    render(
      req,
      res,
      "Notes",
      `<p>Stored in your session; the form is CSRF-protected.</p>
<ul id="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>
<form method="post" action="/notes">${csrfField(req.session.csrfToken())}<label>Note <input name="note" required maxlength="200"></label><button>Add</button></form>`,
    );
  });
  app.post("/notes", requireUser, (req, res) => {
    const note = field(req, "note").slice(0, 200);
    const notes = req.session.get("notes");
    if (note && notes) notes.push(note);
    else if (note) req.session.set("notes", [note]);
    res.redirect(303, "/notes");
  });

  app.get("/devices", requireUser, async (req, res) => {
    const list = await sessions.listSessions(req.session.userId as string, req.session);
    render(req, res, "Your devices", devicesList(list, req.session.csrfToken()));
  });
  app.post("/devices/revoke", requireUser, async (req, res) => {
    const ref = field(req, "ref");
    const mine = await sessions.listSessions(req.session.userId as string, req.session);
    // Only the user's own sessions, never another user's by a guessed reference.
    if (mine.some((s) => s.ref === ref && !s.current)) await sessions.revoke(ref);
    res.redirect(303, "/devices");
  });
  app.post("/devices/revoke-others", requireUser, async (req, res) => {
    await sessions.revokeOthers(req.session);
    res.redirect(303, "/devices");
  });

  app.get("/account", requireUser, (req, res) => {
    const user = currentUser(req);
    const csrf = req.session.csrfToken();
    const body = req.session.isFresh("5m")
      ? `<p>Email: <strong>${escapeHtml(user?.email)}</strong></p>
<form method="post" action="/account/email">${csrfField(csrf)}<label>New email <input name="email" type="email" required></label><button>Change email</button></form>`
      : `<p>Changing your email needs your password again (you last signed in more than 5 minutes ago).</p>
<form method="post" action="/account/reauth">${csrfField(csrf)}<label>Password <input name="password" type="password" autocomplete="current-password" required></label><button>Confirm</button></form>`;
    render(req, res, "Account", body);
  });
  app.post("/account/reauth", requireUser, async (req, res) => {
    if (users.verifyById(req.session.userId as string, field(req, "password")))
      await req.session.reauthenticate();
    res.redirect(303, "/account");
  });
  app.post("/account/email", requireUser, (req, res) => {
    if (!req.session.isFresh("5m")) {
      res.redirect(303, "/account");
      return;
    }
    const email = field(req, "email");
    if (email.includes("@")) users.changeEmail(req.session.userId as string, email.slice(0, 200));
    res.redirect(303, "/account");
  });

  return {
    app,
    sessions,
    async close() {
      await sessions.close();
      db.close();
    },
  };
}
