// The outbox: messages on their way, kept in sessionStorage until the server has them.

import { $, el } from './dom.js';
import { randomId } from './identifiers.js';
import { session } from './session.js';
import { live, request } from './live-connection.js';
import { chat } from './chat-state.js';

/**
 * Each message gets its client_msg_id when written, and keeps it through every retry: the
 * server answers a repeated client_msg_id with the first ack, so nothing is posted twice.
 * Messages go one at a time, in the order written, and only while live (after caught_up),
 * so that what others wrote while we were away comes before them.
 */
export const outbox = {
  items: [], // {client_msg_id, room, text, state: 'queued'|'sending'|'sent'|'failed', error, message_id}
  timer: null,
  key() { return `tideline.outbox.${session.user}`; },
  load() {
    try { this.items = JSON.parse(sessionStorage.getItem(this.key())) || []; } catch { this.items = []; }
    // What was in flight when the tab closed is sent again (same client_msg_id, so at most once).
    this.items = this.items.filter((item) => item.state !== 'sent')
      .map((item) => (item.state === 'sending' ? { ...item, state: 'queued' } : item));
    this.save();
  },
  save() { if (session) sessionStorage.setItem(this.key(), JSON.stringify(this.items)); },
  add(room, text) {
    this.items.push({ client_msg_id: randomId('c-'), room, text, state: 'queued' });
    this.changed();
    this.pump();
  },
  changed() { this.save(); this.render(); },
  pump() {
    clearTimeout(this.timer);
    if (live.state !== 'live' || this.items.some((item) => item.state === 'sending')) return;
    const item = this.items.find((candidate) => candidate.state === 'queued');
    if (!item) return;
    item.state = 'sending';
    this.changed();
    request({ type: 'post', room: item.room, text: item.text, client_msg_id: item.client_msg_id })
      .then((ack) => this.acked(item, ack), (error) => this.refused(item, error));
  },
  acked(item, ack) {
    item.message_id = ack.message_id;
    item.state = 'sent';
    // The event comes on the room's subscription; if it did already, or we are not watching
    // that room, there is nothing left to wait for.
    if (item.room !== chat.current || chat.messageIds.has(ack.message_id)) this.remove(item);
    else this.changed();
    this.pump();
  },
  refused(item, error) {
    if (!this.items.includes(item)) return;
    if (!error.code || error.code === 'rate_limited' || error.code === 'unavailable') {
      // Connection lost or the server is busy: the same message goes again later.
      item.state = 'queued';
      this.changed();
      if (error.code) this.timer = setTimeout(() => this.pump(), 2000);
      return;
    }
    item.state = 'failed';
    item.error = error.message;
    this.changed();
    this.pump();
  },
  delivered(clientMsgId, messageId) {
    const item = this.items.find((candidate) => (clientMsgId && candidate.client_msg_id === clientMsgId)
      || (messageId && candidate.message_id === messageId));
    if (item && item.state !== 'sending') this.remove(item);
    else if (item) item.message_id = messageId; // its ack follows and finds the message shown
  },
  remove(item) {
    this.items = this.items.filter((candidate) => candidate !== item);
    this.changed();
  },
  connectionLost() {
    for (const item of this.items) if (item.state === 'sending') item.state = 'queued';
    if (session) this.changed();
  },
  render() {
    const label = { queued: 'Queued: sends when connected', sending: 'Sending…', sent: 'Sent', failed: 'Not sent' };
    $('outbox').replaceChildren(...this.items.filter((item) => item.room === chat.current).map((item) => el('li', {
      class: `message own pending ${item.state}`,
      dataset: { testid: 'outbox-message', state: item.state, clientMsgId: item.client_msg_id },
    },
    el('div', { class: 'message-meta' },
      el('span', { class: 'author' }, `${session.user} (you)`), ' ',
      el('span', { class: 'pending-state' }, item.state === 'failed' ? `${label.failed}: ${item.error}` : label[item.state])),
    el('p', { class: 'message-text', dataset: { testid: 'message-text' } }, item.text),
    item.state === 'failed' ? el('div', { class: 'pending-actions' },
      el('button', { type: 'button', class: 'link-button', onclick: () => { item.state = 'queued'; this.changed(); this.pump(); } }, 'Retry'),
      el('button', { type: 'button', class: 'link-button', onclick: () => this.remove(item) }, 'Discard')) : null)));
  },
};
