"use server";

import { redirect } from "next/navigation";
import { sessions, withSession } from "../lib/session";
import { checkPassword } from "../lib/users";

/** The sign-in form's action: a new session id for the signed-in user, then their account page. */
export async function signIn(_previous: string | null, form: FormData): Promise<string | null> {
  const userId = checkPassword(form.get("email"), form.get("password"));
  if (userId === null) return "Wrong email or password.";
  await withSession(async (session) => {
    await session.login(userId);
    // redirect() inside withSession: the new cookie is saved before Next navigates.
    redirect("/account");
  });
  return null;
}

/** "Sign out other devices": every other session of this user ends; this one gets a new id. */
export async function signOutOthers(): Promise<void> {
  await withSession(async (session) => {
    if (session.userId === null) redirect("/signin");
    await sessions.revokeOthers(session);
  });
  redirect("/account");
}
