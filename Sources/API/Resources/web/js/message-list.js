// Chat: the open room's messages and system lines, in event-id order and each once, with the
// newest kept in view.

import { $, el, timeElement } from './dom.js';
import { announce } from './alerts.js';
import { session } from './session.js';
import { chat } from './chat-state.js';
import { outbox } from './outbox.js';

export function isNearBottom() {
  const scroller = $('message-scroller');
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

export function scrollToBottom() {
  const scroller = $('message-scroller');
  scroller.scrollTop = scroller.scrollHeight;
  $('jump-latest').hidden = true;
}

/** Puts a history item in event-id order (replays and history pages may overlap or interleave). */
function insertByEventId(node, eventId) {
  const list = $('messages');
  let after = list.lastElementChild;
  while (after && Number(after.dataset.eventId) > eventId) after = after.previousElementSibling;
  if (after) after.after(node); else list.prepend(node);
}

export function addMessage(message, { live: isLive }) {
  if (chat.messageIds.has(message.message_id)) return;
  chat.messageIds.add(message.message_id);
  const own = message.author === session.user;
  const stickToBottom = isNearBottom();
  const node = el('li', {
    class: own ? 'message own' : 'message',
    dataset: {
      testid: 'message', messageId: message.message_id, eventId: message.event_id, author: message.author, own: String(own),
    },
  },
  el('div', { class: 'message-meta' },
    el('span', { class: 'author' }, own ? `${message.author} (you)` : message.author), ' ',
    timeElement(message.occurred_at)),
  el('p', { class: 'message-text', dataset: { testid: 'message-text' } }, message.text));
  insertByEventId(node, Number(message.event_id));
  outbox.delivered(message.client_msg_id, message.message_id);
  if (isLive && own) scrollToBottom();
  else if (isLive && stickToBottom) scrollToBottom();
  else if (isLive) $('jump-latest').hidden = false;
  if (isLive && !own && chat.caughtUp) announce(`${message.author}: ${message.text}`);
}

export function addSystemLine(envelope, text) {
  const node = el('li', { class: 'system', dataset: { testid: 'system-line', eventId: envelope.id } },
    text, ' ', timeElement(envelope.occurred_at));
  const stickToBottom = isNearBottom();
  insertByEventId(node, Number(envelope.id));
  if (stickToBottom) scrollToBottom();
}
