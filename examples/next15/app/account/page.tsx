import { redirect } from "next/navigation";
import { getSession } from "../../lib/session";

export default async function Account() {
  const session = await getSession();
  if (session.userId === null) redirect("/");
  return <h1>Signed in as {session.userId}</h1>;
}
