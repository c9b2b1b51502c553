import { type NextRequest, NextResponse } from "next/server";
import { proxy } from "./lib/session";

// Every navigation keeps the session's idle clock and rotation going (the page itself cannot
// set cookies), and signed-out visitors never reach /account. A store that is down is a 503 here.
export default proxy((request: NextRequest, session) =>
  session.userId === null && request.nextUrl.pathname.startsWith("/account")
    ? NextResponse.redirect(new URL("/signin", request.url))
    : NextResponse.next(),
);

export const config = { matcher: ["/((?!_next/|favicon.ico).*)"] };
