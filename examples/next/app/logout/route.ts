import { route } from "../../lib/session";

/** Ends the session in the store, expires the cookie and clears site data, then goes home. */
export const POST = route(async (request, session) => {
  await session.logout();
  return Response.redirect(new URL("/", request.url), 303);
});
