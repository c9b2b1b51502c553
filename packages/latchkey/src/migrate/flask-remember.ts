// Flask-Login's "remember me" cookie (`remember_token`: the user id and an HMAC of it under
// SECRET_KEY) outlives the session cookie by a year by default and carries no issue time, so it
// would stay importable for as long as the legacy key lives. latchkey never reads it; it expires
// it in the response that moves the session, so no browser keeps a legacy credential after the
// cutover (one that a rollback or another service on the old key would still honour).

/** The Flask readers' option naming Flask-Login's remember cookie. */
export interface FlaskRememberCookieOption {
  /**
   * Flask-Login's `REMEMBER_COOKIE_NAME`, expired (never read) when a session moves; `false`
   * when the app did not use Flask-Login's "remember me". Default `remember_token`.
   */
  rememberCookie?: string | false;
}

/** The companion cookie names a Flask reader declares. */
export function flaskCompanionCookies(options: FlaskRememberCookieOption): readonly string[] {
  const name = options.rememberCookie ?? "remember_token";
  return name === false ? [] : [name];
}
