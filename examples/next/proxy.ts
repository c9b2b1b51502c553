import { type NextRequest, NextResponse } from "next/server";
import { proxy } from "./lib/session";

// Every navigation keeps the session's idle clock and rotation going (the page itself cannot
// set cookies), and signed-out visitors never reach /account. A store that is down is a 503 here.
export default proxy((request: NextRequest, session) =>
  session.userId === null && request.nextUrl.pathname.startsWith("/account")
    ? NextResponse.redirect(new URL("/signin", request.url))
    : NextResponse.next(),
);

// Next's documented matcher: every page, but not its static files, and not prefetches (Next
// fetches the pages a link points to before the click; that is no activity of the user's). What
// the matcher skips is reached without Proxy, so pages, actions and route handlers each check
// the session themselves and fail closed on their own.
export const config = {
  matcher: [
    {
      source: "/((?!_next/|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
