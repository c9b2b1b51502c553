// HTML for the demo: plain templates, every interpolated value escaped.
import type { SessionInfo } from "latchkey";

export const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(
  title: string,
  body: string,
  user: { name: string } | null,
  csrf: string,
): string {
  const nav = user
    ? `<a href="/">Home</a> · <a href="/notes">Notes</a> · <a href="/devices">Your devices</a> · <a href="/account">Account</a>
       <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${escapeHtml(csrf)}"><button>Log out ${escapeHtml(user.name)}</button></form>`
    : `<a href="/">Home</a> · <a href="/login">Log in</a> · <a href="/signup">Sign up</a>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · latchkey demo</title>
<link rel="stylesheet" href="/static/style.css"><script src="/static/countdown.js" defer></script></head>
<body><header><strong>latchkey demo</strong> <nav>${nav}</nav></header><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export const csrfField = (token: string) =>
  `<input type="hidden" name="_csrf" value="${escapeHtml(token)}">`;

export function credentialsForm(
  action: string,
  button: string,
  csrf: string,
  withEmail: boolean,
  error = "",
): string {
  return `${error ? `<p class="error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${action}">${csrfField(csrf)}
<label>Name <input name="name" autocomplete="username" required maxlength="64"></label>
${withEmail ? '<label>Email <input name="email" type="email" required maxlength="200"></label>' : ""}
<label>Password <input name="password" type="password" autocomplete="${withEmail ? "new-password" : "current-password"}" required minlength="8"></label>
${withEmail ? "" : '<label class="check"><input type="checkbox" name="remember" value="1"> Remember me</label>'}
<button>${escapeHtml(button)}</button></form>`;
}

export function sessionTable(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join("")}</table>`;
}

export function devicesList(list: SessionInfo[], csrf: string): string {
  const items = list
    .map(
      (
        s,
      ) => `<li class="${s.current ? "current" : ""}"><div><strong>${escapeHtml(s.userAgent ?? "unknown device")}</strong>
  ${s.current ? '<span class="badge">this device</span>' : ""}<br>
  <small>signed in ${new Date(s.createdAt).toISOString()} · last seen ${new Date(s.lastSeenAt).toISOString()} · ends by ${new Date(s.expiresAt).toISOString()}</small></div>
  ${s.current ? "" : `<form method="post" action="/devices/revoke">${csrfField(csrf)}<input type="hidden" name="ref" value="${escapeHtml(s.ref)}"><button>Revoke</button></form>`}</li>`,
    )
    .join("");
  return `<ul class="devices">${items}</ul>
<form method="post" action="/devices/revoke-others">${csrfField(csrf)}<button>Log out everywhere else</button></form>`;
}
