import { redirect } from "next/navigation";
import { getSession, sessions } from "../../lib/session";
import { signOutOthers } from "../actions";

export default async function Account() {
  const session = await getSession();
  // Proxy redirects signed-out visitors already; a page still checks, because a matcher change
  // could take it out of Proxy's reach.
  if (session.userId === null) redirect("/signin");
  const devices = await sessions.listSessions(session.userId);
  return (
    <>
      <h1>Signed in as {session.userId}</h1>
      <h2>Your sessions</h2>
      <ul>
        {devices.map((device) => (
          <li key={device.ref} data-current={device.ref === session.ref}>
            {device.userAgent ?? "unknown browser"}, last seen{" "}
            {new Date(device.lastSeenAt).toISOString()}
            {device.ref === session.ref ? " (this device)" : null}
          </li>
        ))}
      </ul>
      <form action={signOutOthers}>
        <button type="submit">Sign out other devices</button>
      </form>
      {/* A route handler, so the response can carry Clear-Site-Data; it checks this token. */}
      <form method="post" action="/logout">
        <input type="hidden" name="_csrf" value={session.csrfToken()} />
        <button type="submit">Sign out</button>
      </form>
    </>
  );
}
