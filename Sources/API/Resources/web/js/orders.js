// Orders: the live orders table (newest first, older pages on request), and the form that
// places one.

import { $, el, timeElement, dateTimeFormat } from './dom.js';
import { formatMoney, minorUnitDigits, parseMinorUnits, pricePattern, pricePlaceholder } from './money.js';
import { randomId } from './identifiers.js';
import { showAlert } from './alerts.js';
import { isStaff, session } from './session.js';
import { read, api, ApiError } from './rest.js';
import { watchTopic } from './subscriptions.js';

/** Orders per page of the table: a screenful; "Older orders" asks for the next page. */
export const ORDERS_PAGE = 20;

export const orders = {
  byId: new Map(),
  nextBefore: null,     // event id the next older page starts before; null when the oldest is shown
  loadingOlder: false,
  generation: 0,        // bumped by every (re)load, so a late page of an earlier table is dropped
  idempotencyKey: null, // kept across retries of one submission, so a retry cannot order twice
  nextItem: 1,
};

/** An empty table, as after signing out. */
export function resetOrders() {
  orders.generation += 1;
  orders.byId.clear();
  orders.nextBefore = null;
  orders.loadingOlder = false;
  $('orders-body').replaceChildren();
  $('older-orders').hidden = true;
  $('orders-empty').hidden = false;
}

/** One page, newest first: `before` an event id, or '' for the newest orders (contract section 10). */
function readOrdersPage(before) {
  // Built by hand: `query()` leaves out empty values, and the empty `before=` is what asks for
  // newest first (without it the server pages oldest first, by `after`).
  return read(`/v1/orders?${new URLSearchParams({ before, limit: String(ORDERS_PAGE) })}`);
}

/** The newest page, then live orders from the newest one shown. */
export async function loadOrders() {
  resetOrders();
  const generation = orders.generation;
  const page = await readOrdersPage('');
  if (generation !== orders.generation) return;
  showOrdersPage(page);
  $('orders-scope').textContent = isStaff() ? 'everyone’s, live' : 'yours, live';
  // Everything older than the newest order shown comes with "Older orders"; everything newer,
  // with the subscription's replay. No order yet: replay from the start, which has none of ours.
  const newest = page.orders.reduce((max, order) => Math.max(max, Number(order.event_id)), 0);
  watchTopic('orders', newest, ordersFrame);
}

export async function loadOlderOrders() {
  if (!orders.nextBefore || orders.loadingOlder) return;
  const generation = orders.generation;
  orders.loadingOlder = true;
  $('older-orders').disabled = true;
  $('older-orders').textContent = 'Loading…';
  try {
    const page = await readOrdersPage(orders.nextBefore);
    if (generation === orders.generation) showOrdersPage(page);
  } catch (error) {
    showAlert(`Could not load older orders: ${error.message}`);
  } finally {
    if (generation === orders.generation) orders.loadingOlder = false;
    $('older-orders').disabled = false;
    $('older-orders').textContent = 'Older orders';
  }
}

function showOrdersPage(page) {
  for (const order of page.orders) addOrder(order);
  orders.nextBefore = page.next_before ?? null;
  $('older-orders').hidden = !orders.nextBefore;
  $('orders-empty').hidden = orders.byId.size > 0;
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
  el('td', { class: 'num', dataset: { testid: 'order-total' } }, formatMoney(order.total_cents, order.currency)),
  el('td', {}, timeElement(order.occurred_at, dateTimeFormat)));
  // Newest first, wherever it comes from: a live order goes to the top, an older page below.
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
  fitPriceField(row.querySelector('.item-price'), $('order-currency').value);
  updateOrderTotal();
  return row;
}

/** A price field asks for as many decimals as the currency has: none for JPY, 3 for BHD. */
function fitPriceField(input, currency) {
  input.pattern = pricePattern(currency);
  input.placeholder = pricePlaceholder(currency);
}

/** Another currency: prices are read by its exponent from now on, and the total with them. */
export function currencyChanged() {
  const currency = $('order-currency').value;
  for (const input of $('order-items').querySelectorAll('.item-price')) fitPriceField(input, currency);
  updateOrderTotal();
}

/** "without decimals", "with at most 2 decimals": what a price in the currency may have. */
function decimalsAllowed(currency) {
  const digits = minorUnitDigits(currency);
  return digits === 0 ? 'without decimals' : `with at most ${digits} decimal${digits === 1 ? '' : 's'}`;
}

/** The form's items (prices in the currency's minor units), or a list of what is wrong with them. */
function readOrderItems(currency) {
  const items = [];
  const problems = [];
  $('order-items').querySelectorAll('.order-item').forEach((row, index) => {
    const sku = row.querySelector('.item-sku').value.trim();
    const quantity = Number(row.querySelector('.item-quantity').value);
    const price = parseMinorUnits(row.querySelector('.item-price').value, currency);
    if (!sku) problems.push(`item ${index + 1}: a SKU is needed`);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10000) problems.push(`item ${index + 1}: quantity 1 to 10,000`);
    if (price === null) problems.push(`item ${index + 1}: a price in ${currency} ${decimalsAllowed(currency)}`);
    items.push({ sku, quantity, unit_price_cents: price }); // the API's name; the value is minor units
  });
  return { items, problems };
}

export function updateOrderTotal() {
  const currency = $('order-currency').value;
  const { items } = readOrderItems(currency);
  const total = items.reduce((sum, item) => sum + (item.unit_price_cents ?? 0) * (Number.isInteger(item.quantity) ? item.quantity : 0), 0);
  $('order-total').textContent = formatMoney(total, currency);
}

export async function placeOrder(event) {
  event.preventDefault();
  const currency = $('order-currency').value;
  const { items, problems } = readOrderItems(currency);
  if (problems.length) { $('order-result').textContent = `Check the order: ${problems.join('; ')}.`; return; }
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
