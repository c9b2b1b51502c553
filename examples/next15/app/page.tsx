import { signIn } from "./actions";

export default function Home() {
  return (
    <form action={signIn}>
      <input name="password" type="password" aria-label="Password" required />
      <button type="submit">Sign in</button>
    </form>
  );
}
