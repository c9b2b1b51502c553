// The load of under-load.test.ts, in a process of its own (so the test's timing client is not
// starved by it): CLIENTS clients, each with its own session, save a SIZE-character value back to
// back for DURATION ms. Prints {"statuses": {"200": n, …}} when done.
// Usage: node --import tsx blob-savers.ts <url> <clients> <size> <durationMs>
import { CookieJar, request } from "../../helpers/http.ts";

const [url, clients, size, duration] = process.argv.slice(2);
const until = Date.now() + Number(duration);
const statuses: Record<string, number> = {};

async function saver(): Promise<void> {
  const jar = new CookieJar("__Host-session");
  while (Date.now() < until) {
    const reply = await request(`${url}/blob?key=big&size=${size}`, {
      method: "POST",
      cookie: jar.header,
    }).catch(() => ({ status: -1, setCookies: [] as string[] }));
    if (reply.status !== -1) jar.take(reply as Parameters<CookieJar["take"]>[0]);
    statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
  }
}

await Promise.all(Array.from({ length: Number(clients) }, saver));
process.stdout.write(`${JSON.stringify({ statuses })}\n`);
