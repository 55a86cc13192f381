/** Query parameters that may carry a secret (`?token=...`, `?api_key=...`). */
const SECRET_PARAMETER = /pass|secret|token|key|auth|sig/i;

/**
 * A URL as it may be printed or logged: the user name stays (it tells operators which account),
 * the password and secret-looking query values become `***`. Something that does not parse as a
 * URL is not shown at all: it might be a password pasted into the wrong variable.
 */
export function redactUrl(url: string, unparseable = '[unparseable URL]'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return unparseable;
  }
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
  }
  // URLSearchParams encodes `*`; the plain form reads better and means the same.
  return parsed.toString().replaceAll('%2A%2A%2A', '***');
}

/** `scheme://user:password@` anywhere in a text (an error message, a log line). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#@]*@/gi;

/** Any URL credentials in free text, redacted: for messages whose origin the caller does not control. */
export function redactCredentialsIn(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1:***@');
}
