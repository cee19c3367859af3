// Token renewal: a token minted by a development server is renewed before it expires and handed
// to the open connections; a token that is refused renews the session, or ends it.

import { session, saveSession } from './session.js';
import { api } from './rest.js';
import { live, request, setConnectionState, connect, scheduleReconnect } from './live-connection.js';
import { notifications } from './notifications.js';
import { endSession } from './account.js';

/** POST /v1/auth/token: exists only on a development server (404 elsewhere). */
export async function mintToken(user, roles) {
  const reply = await api('POST', '/v1/auth/token', { body: { user, roles }, anonymous: true });
  return { token: reply.token, user, roles, expiresAt: Date.parse(reply.expires_at), minted: true };
}

export let renewTimer = null;
let renewing = null; // the renewal in flight, shared by everyone who needs a fresh token

/** A minted token is renewed a minute before it expires; a pasted one cannot be. */
export function scheduleRenewal() {
  clearTimeout(renewTimer);
  if (!session || !session.minted || !session.expiresAt) return;
  const delay = Math.max(5000, session.expiresAt - Date.now() - 60000);
  renewTimer = setTimeout(() => renewSession().catch(() => { renewTimer = setTimeout(scheduleRenewal, 15000); }),
    Math.min(delay, 2 ** 31 - 1));
}

/** Mints a new token for the same user and roles, and hands it to the open connections. */
function renewSession() {
  if (!renewing) {
    const { user, roles } = session;
    renewing = mintToken(user, roles).then((next) => {
      if (!session || session.user !== user) return;
      saveSession(next);
      scheduleRenewal();
      // The socket stays open: an auth frame moves its expiry. If that fails, reconnect.
      if (live.socket && live.socket.readyState === WebSocket.OPEN) {
        request({ type: 'auth', token: next.token }).catch(() => { if (live.socket) live.socket.close(1000); });
      }
      notifications.reopen(); // an EventSource cannot change its URL: a new one, from the last id
    }).finally(() => { renewing = null; });
  }
  return renewing;
}

/** The token is no longer accepted: mint a new one if we can, else end the session. */
export function renewOrEnd() {
  if (!session) return;
  if (!session.minted) { endSession('Your token has expired or was refused. Sign in again.'); return; }
  if (!live.socket) setConnectionState('connecting', 'Renewing the session…');
  renewSession().then(() => { if (!live.socket) connect(); }, () => { if (!live.socket) scheduleReconnect(); });
}

export function onUnauthorized() { renewOrEnd(); }
