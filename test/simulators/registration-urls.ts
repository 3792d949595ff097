/**
 * True for `http://127.0.0.1…`, `http://localhost…` and `http://[::1]…`. Providers demand public HTTPS
 * webhook URLs; simulators accept loopback http too (when told to) so a test hub can receive, and refuse
 * everything else as the provider would.
 */
export function isLoopbackHttp(url: string): boolean {
  return /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url);
}
