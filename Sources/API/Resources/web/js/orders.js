// Orders: the live orders table, and the form that places one.

import { $, el, formatMoney, timeElement, dateTimeFormat, parseCents } from './dom.js';
import { randomId } from './identifiers.js';
import { showAlert } from './alerts.js';
import { isStaff, session } from './session.js';
import { read, query, api, ApiError } from './rest.js';
import { watchTopic } from './subscriptions.js';

export const orders = {
  byId: new Map(),
  idempotencyKey: null, // kept across retries of one submission, so a retry cannot order twice
  nextItem: 1,
};

export async function loadOrders() {
  orders.byId.clear();
  $('orders-body').replaceChildren();
  let after = null;
  let last = 0;
  for (let page = 0; page < 40; page += 1) {
    const reply = await read(query('/v1/orders', { limit: 500, after }));
    for (const order of reply.orders) { addOrder(order); last = Math.max(last, Number(order.event_id)); }
    after = reply.next_after;
    if (!after) break;
  }
  $('orders-scope').textContent = isStaff() ? 'everyone’s, live' : 'yours, live';
  watchTopic('orders', last, ordersFrame);
}

function ordersFrame(kind, frame) {
  if (kind === 'event' && frame.type === 'orders.order_created') {
    addOrder({ ...frame.data, event_id: frame.id, occurred_at: frame.occurred_at }, { live: true });
  } else if (kind === 'refused') {
    showAlert(`The live orders table stopped: ${frame.message || frame.code}`);
  }
}

function addOrder(order, { live: isLive = false } = {}) {
  if (orders.byId.has(order.order_id)) return;
  orders.byId.set(order.order_id, order);
  const items = (order.items || []).map((item) => `${item.quantity} × ${item.sku}`).join(', ');
  const row = el('tr', {
    class: isLive ? 'fresh' : null,
    dataset: { testid: 'order-row', orderId: order.order_id, eventId: order.event_id, customer: order.customer_id },
  },
  el('td', { class: 'order-id', title: order.order_id }, el('code', {}, order.order_id)),
  el('td', {}, order.customer_id === session.user ? `${order.customer_id} (you)` : order.customer_id),
  el('td', {}, items),
  el('td', { class: 'num' }, formatMoney(order.total_cents, order.currency)),
  el('td', {}, timeElement(order.occurred_at, dateTimeFormat)));
  // Newest first.
  const body = $('orders-body');
  let before = body.firstElementChild;
  while (before && Number(before.dataset.eventId) > Number(order.event_id)) before = before.nextElementSibling;
  body.insertBefore(row, before);
  $('orders-empty').hidden = true;
}

export function addItemRow() {
  const number = orders.nextItem++;
  const row = $('order-item-template').content.firstElementChild.cloneNode(true);
  for (const field of row.querySelectorAll('.field')) {
    const input = field.querySelector('input');
    const id = `${input.className}-${number}`;
    input.id = id;
    field.querySelector('label').htmlFor = id;
  }
  const remove = row.querySelector('.remove-item');
  remove.setAttribute('aria-label', 'Remove this item');
  remove.addEventListener('click', () => {
    if ($('order-items').querySelectorAll('.order-item').length > 1) row.remove();
    updateOrderTotal();
    $('add-item').focus();
  });
  $('order-items').append(row);
  updateOrderTotal();
  return row;
}

/** The form's items, or a list of what is wrong with them. */
function readOrderItems() {
  const items = [];
  const problems = [];
  $('order-items').querySelectorAll('.order-item').forEach((row, index) => {
    const sku = row.querySelector('.item-sku').value.trim();
    const quantity = Number(row.querySelector('.item-quantity').value);
    const cents = parseCents(row.querySelector('.item-price').value);
    if (!sku) problems.push(`item ${index + 1}: a SKU is needed`);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10000) problems.push(`item ${index + 1}: quantity 1 to 10,000`);
    if (cents === null) problems.push(`item ${index + 1}: a price such as 3.50`);
    items.push({ sku, quantity, unit_price_cents: cents });
  });
  return { items, problems };
}

export function updateOrderTotal() {
  const { items } = readOrderItems();
  const total = items.reduce((sum, item) => sum + (item.unit_price_cents ?? 0) * (Number.isInteger(item.quantity) ? item.quantity : 0), 0);
  $('order-total').textContent = formatMoney(total, $('order-currency').value);
}

export async function placeOrder(event) {
  event.preventDefault();
  const { items, problems } = readOrderItems();
  if (problems.length) { $('order-result').textContent = `Check the order: ${problems.join('; ')}.`; return; }
  const currency = $('order-currency').value;
  orders.idempotencyKey ||= randomId('order-');
  $('place-order').disabled = true;
  $('order-result').textContent = 'Placing the order…';
  try {
    const reply = await api('POST', '/v1/orders', { body: { items, currency }, idempotencyKey: orders.idempotencyKey });
    orders.idempotencyKey = null;
    $('order-result').textContent = `Order ${reply.order_id} placed: ${formatMoney(reply.total_cents, currency)}.`;
    // The live table shows it as soon as its event arrives; this covers a socket that is down.
    addOrder({
      order_id: reply.order_id, customer_id: session.user, items, total_cents: reply.total_cents, currency,
      event_id: reply.event_id, occurred_at: new Date().toISOString(),
    }, { live: true });
    $('order-items').replaceChildren(el('legend', {}, 'Items'));
    addItemRow();
  } catch (error) {
    // A network error keeps the idempotency key: submitting again is then a retry, not a second order.
    if (error instanceof ApiError) orders.idempotencyKey = null;
    $('order-result').textContent = `The order was not placed: ${error.message}`;
  } finally {
    $('place-order').disabled = false;
  }
}
