// Notifications: the bell and its panel, fed by Server-Sent Events.
//
// The bell shows what the server counts (`unread_count`: every unread notification, not only
// the newest 200 that the list holds). The list changes live, so the count is kept as the
// unread ones held plus `unreadElsewhere`, the ones the server counted beyond them: a
// notification that is in the list and also arrives live is held once (by id), and counts once.

import { $, el, timeElement, dateTimeFormat } from './dom.js';
import { Backoff } from './backoff.js';
import { announce, showAlert } from './alerts.js';
import { session } from './session.js';
import { read, query, api } from './rest.js';
import { onUnauthorized } from './token-renewal.js';

export const notifications = {
  byId: new Map(),
  unreadElsewhere: 0, // unread ones older than the list holds (unread_count minus the list's unread)
  source: null,
  lastId: 0,
  retryTimer: null,
  backoff: new Backoff(1000, 30000),

  clear() {
    this.byId.clear();
    this.unreadElsewhere = 0;
    this.lastId = 0;
  },

  async load() {
    this.clear();
    const reply = await read('/v1/notifications');
    for (const item of reply.notifications) {
      this.byId.set(item.notification_id, item);
      this.lastId = Math.max(this.lastId, Number(item.event_id));
    }
    // A server before contract section 10 sends no count: then the list's unread are all we know.
    const held = this.heldUnread();
    this.unreadElsewhere = Math.max(0, (reply.unread_count ?? held) - held);
    this.render();
    this.open();
  },

  /**
   * EventSource resumes with Last-Event-ID by itself after a drop; a new one (new token, or
   * after it gave up on an error status) starts from `since` = the last id we processed.
   */
  open() {
    this.close();
    if (!session) return;
    const url = query('/v1/stream', { topics: 'notifications', access_token: session.token, since: this.lastId });
    const source = new EventSource(url);
    this.source = source;
    const listen = (type, handler) => source.addEventListener(type, (event) => {
      if (this.source !== source) return;
      const id = Number(event.lastEventId);
      if (id && id <= this.lastId) return;
      if (id) this.lastId = id;
      try { handler(JSON.parse(event.data)); } catch { /* not an envelope: ignore */ }
    });
    listen('notifications.notification_sent', (envelope) => this.sent(envelope));
    listen('notifications.notification_read', (envelope) => this.read(envelope.data.notification_id));
    source.addEventListener('open', () => { this.backoff.reset(); $('bell').dataset.stream = 'open'; });
    source.addEventListener('error', () => {
      if (this.source !== source) return;
      $('bell').dataset.stream = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
      // CONNECTING: the browser retries by itself. CLOSED: an error status (401, 429, 5xx); we retry.
      if (source.readyState === EventSource.CLOSED) {
        this.close();
        if (session && session.expiresAt && session.expiresAt <= Date.now() + 5000) { onUnauthorized(); return; }
        this.retryTimer = setTimeout(() => this.open(), this.backoff.next());
      }
    });
  },

  reopen() { if (this.source || this.retryTimer) this.open(); },

  close() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.source) this.source.close();
    this.source = null;
  },

  sent(envelope) {
    const data = envelope.data;
    if (this.byId.has(data.notification_id)) return;
    this.byId.set(data.notification_id, {
      notification_id: data.notification_id, kind: data.kind, content: data.content,
      related_event_id: data.related_event_id, read: false, event_id: envelope.id, occurred_at: envelope.occurred_at,
    });
    announce(`New notification: ${data.content}`);
    this.render();
  },

  read(notificationId) {
    const item = this.byId.get(notificationId);
    if (!item || item.read) return;
    item.read = true;
    this.render();
  },

  async markRead(notificationId) {
    try {
      await api('POST', `/v1/notifications/${encodeURIComponent(notificationId)}/read`);
      this.read(notificationId); // the event will say the same; this makes the click feel instant
    } catch (error) {
      showAlert(`Could not mark the notification as read: ${error.message}`);
    }
  },

  async markAllRead() {
    // One at a time: a burst of many POSTs would meet the command rate limit.
    for (const item of [...this.byId.values()]) if (!item.read) await this.markRead(item.notification_id);
    // Unread ones older than the list holds: the server lists unread ones (newest 200 at a time);
    // each is held from now on, so the next round asks only for the ones still beyond the list.
    while (this.unreadElsewhere > 0 && session) {
      const reply = await read(query('/v1/notifications', { unread: true }));
      const older = reply.notifications.filter((item) => !item.read && !this.byId.has(item.notification_id));
      if (older.length === 0) break;
      for (const item of older) {
        // Sent before the newest one we have seen, yet not held: beyond the list we loaded, so
        // counted in unreadElsewhere. A newer one is on its way over the stream, uncounted.
        if (Number(item.event_id) <= this.lastId) this.unreadElsewhere = Math.max(0, this.unreadElsewhere - 1);
        this.byId.set(item.notification_id, item);
      }
      this.render();
      for (const item of older) await this.markRead(item.notification_id);
    }
  },

  heldUnread() { let count = 0; for (const item of this.byId.values()) if (!item.read) count += 1; return count; },

  /** What the bell shows: every unread notification, held or not. */
  unread() { return this.heldUnread() + this.unreadElsewhere; },

  render() {
    const count = this.unread();
    const bell = $('bell');
    bell.dataset.count = String(count);
    bell.setAttribute('aria-label', count ? `Notifications, ${count} unread` : 'Notifications, none unread');
    $('bell-count').textContent = count > 99 ? '99+' : String(count);
    $('bell-count').hidden = count === 0;
    const items = [...this.byId.values()].sort((a, b) => Number(b.event_id) - Number(a.event_id));
    $('notifications-empty').hidden = items.length > 0;
    $('mark-all-read').disabled = count === 0;
    $('notifications-list').replaceChildren(...items.map((item) => el('li', {
      class: item.read ? 'notification' : 'notification unread',
      dataset: { testid: 'notification', notificationId: item.notification_id, read: String(item.read) },
    },
    el('p', { class: 'notification-content' }, item.content),
    el('div', { class: 'notification-meta' },
      timeElement(item.occurred_at, dateTimeFormat),
      item.read ? el('span', { class: 'muted' }, 'Read')
        : el('button', {
          type: 'button', class: 'secondary small', dataset: { testid: 'mark-read' },
          'aria-label': `Mark as read: ${item.content}`, onclick: () => this.markRead(item.notification_id),
        }, 'Mark as read')))));
  },
};

export function setPanelOpen(open) {
  $('notifications-panel').hidden = !open;
  $('bell').setAttribute('aria-expanded', String(open));
  if (open) $('notifications-title').focus();
}
