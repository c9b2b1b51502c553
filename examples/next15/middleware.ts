import { NextResponse } from "next/server";
import { proxy } from "./lib/session";

// Next.js 15.5 calls this Middleware (16 renamed it Proxy). The Node.js runtime is required:
// the session store is a database, which the Edge runtime cannot open.
export default proxy((request, session) =>
  session.userId === null && request.nextUrl.pathname.startsWith("/account")
    ? NextResponse.redirect(new URL("/", request.url))
    : NextResponse.next(),
);

export const config = { runtime: "nodejs", matcher: ["/((?!_next/|favicon.ico).*)"] };
