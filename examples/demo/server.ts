// `npm run demo`: a small Express app on latchkey. Log in with any name, count visits, log out.
import type { AddressInfo } from "node:net";
import express from "express";
import { createSessions } from "latchkey";
import { sessionMiddleware } from "latchkey/express";
import { memoryStore } from "latchkey/stores/memory";
import { developmentSecret } from "./dev-secret.ts";

declare module "latchkey" {
  interface SessionData {
    visits: number;
  }
}

const sessions = createSessions({
  secrets: [developmentSecret()],
  store: memoryStore(),
  preset: "nist-aal2",
  onEvent: (event) => console.log("session event:", event.type, event.reason ?? ""),
});

const app = express();
app.disable("x-powered-by");
app.use(express.urlencoded({ extended: false }));
app.use(sessionMiddleware(sessions));

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

app.get("/", (req, res) => {
  const visits = (req.session.get("visits") ?? 0) + 1;
  req.session.set("visits", visits);
  const user = req.session.userId;
  const expires = req.session.expiresAt;
  res.type("html").send(`<!doctype html><meta charset="utf-8"><title>latchkey demo</title>
<h1>latchkey demo</h1>
<p>Visits this session: ${visits}</p>
${
  user === null
    ? `<form method="post" action="/login"><label>Name <input name="user" required></label> <button>Log in</button></form>`
    : `<p>Logged in as <b>${escapeHtml(user)}</b>. Session ends at the latest ${new Date(expires ?? 0).toISOString()} without activity.</p>
<form method="post" action="/logout"><button>Log out</button></form>`
}`);
});

app.post("/login", async (req, res) => {
  const name = String(req.body?.user ?? "")
    .trim()
    .slice(0, 64);
  if (name === "") {
    res.status(400).send("name required");
    return;
  }
  await req.session.login(name);
  res.redirect(303, "/");
});

app.post("/logout", async (req, res) => {
  await req.session.logout();
  res.redirect(303, "/");
});

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`latchkey demo listening on http://localhost:${port}`);
});
