// Session: the token and who it is for, kept per tab in sessionStorage.
//
// `session` is exported as a live binding: every module sees the current one, and only
// saveSession assigns it.

const SESSION_KEY = 'tideline.session';
export let session = null; // {token, user, roles, expiresAt (ms or null), minted}

/** The claims of a JWT, without verifying it (the server does that). */
export function decodeToken(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('a token has three parts separated by dots');
  let claims;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
    claims = JSON.parse(json);
  } catch {
    throw new Error('its middle part is not base64url-encoded JSON');
  }
  if (typeof claims.sub !== 'string') throw new Error('the token has no user (sub)');
  return claims;
}

export function saveSession(next) {
  session = next;
  if (next) sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(SESSION_KEY);
}

export function loadSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (stored && stored.token && stored.user) return stored;
  } catch { /* a damaged entry is as good as none */ }
  return null;
}

export const isStaff = () => Boolean(session && session.roles.includes('staff'));
