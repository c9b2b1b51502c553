import Link from "next/link";
import { getSession } from "../lib/session";

export default async function Home() {
  const session = await getSession();
  return session.userId === null ? (
    <p>
      You are not signed in. <Link href="/signin">Sign in</Link>
    </p>
  ) : (
    <p>
      Signed in as <strong>{session.userId}</strong>. <Link href="/account">Your account</Link>
    </p>
  );
}
