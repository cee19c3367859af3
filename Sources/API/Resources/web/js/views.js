// Views: which part of the page shows (chat or orders, from the address's #hash), and the room
// list on a narrow screen.

import { $ } from './dom.js';
import { chat } from './chat-state.js';
import { scrollToBottom } from './message-list.js';

export function showView(name) {
  const view = name === 'orders' ? 'orders' : 'chat';
  $('chat-view').hidden = view !== 'chat';
  $('orders-view').hidden = view !== 'orders';
  for (const link of $('views-nav').querySelectorAll('a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  if (view === 'chat' && chat.current) scrollToBottom();
}

export function setRoomsOpen(open) {
  $('rooms-toggle').setAttribute('aria-expanded', String(open));
  $('chat-view').classList.toggle('rooms-open', open);
}
