/** The Content-Length a request declares, or null when it declares none (chunked) or nonsense. */
export function declaredLength(header: string | null | undefined): number | null {
  if (header == null || !/^\d{1,15}$/.test(header)) return null;
  return Number(header);
}
