"use server";

import { redirect } from "next/navigation";
import { withSession } from "../lib/session";

const DEMO_PASSWORD = "correct horse battery staple";

/** Signs the demo user in; redirect() inside withSession, so the new cookie is saved first. */
export async function signIn(form: FormData): Promise<void> {
  if (form.get("password") !== DEMO_PASSWORD) redirect("/?wrong");
  await withSession(async (session) => {
    await session.login("ada");
    redirect("/account");
  });
}
