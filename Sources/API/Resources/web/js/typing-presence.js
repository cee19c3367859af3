// Chat: who is typing and who is online in the open room, and our own typing signals.

import { $, el } from './dom.js';
import { session } from './session.js';
import { live, send } from './live-connection.js';
import { chat } from './chat-state.js';

export function renderTyping() {
  const users = [...chat.typing].sort();
  let text = '';
  if (users.length === 1) text = `${users[0]} is typing…`;
  else if (users.length === 2) text = `${users[0]} and ${users[1]} are typing…`;
  else if (users.length > 2) text = `${users.length} people are typing…`;
  $('typing').textContent = text;
}

export function renderPresence() {
  const users = [...chat.presence].sort((a, b) => (a === session?.user ? -1 : b === session?.user ? 1 : a.localeCompare(b)));
  $('presence-count').textContent = String(users.length);
  $('presence-list').replaceChildren(...users.map((user) => el('li', {
    class: user === session?.user ? 'presence-user own' : 'presence-user', dataset: { testid: 'presence-user', user },
  }, user === session?.user ? `${user} (you)` : user)));
}

/** Our own typing signals: `started` while typing (renewed before the server's 5 s expiry), `stopped` when idle or sent. */
export const typingOut = {
  active: false,
  lastStarted: 0,
  idleTimer: null,
  input(text) {
    if (!chat.current || live.state !== 'live') return;
    if (!text.trim()) { this.stop(); return; }
    const now = Date.now();
    // The server relays one `started` per 2 s and expires it after 5 s: renew every 3 s.
    if (!this.active || now - this.lastStarted > 3000) {
      if (send({ type: 'typing', room: chat.current, state: 'started' })) {
        this.active = true;
        this.lastStarted = now;
      }
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), 3000);
  },
  stop() {
    clearTimeout(this.idleTimer);
    if (this.active && chat.current) send({ type: 'typing', room: chat.current, state: 'stopped' });
    this.active = false;
  },
};
