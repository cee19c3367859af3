// Small helpers for the page's elements: finding and building them, and formatting times for
// display (money has its own module, money.js).

export const $ = (id) => document.getElementById(id);

/** Builds an element: el('li', {class: 'x', dataset: {id: '1'}}, 'text', child). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A <time> showing hours and minutes, the full date on hover. */
export function timeElement(iso, format = timeFormat) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('time', {}, '');
  return el('time', { datetime: iso, title: dateTimeFormat.format(date) }, format.format(date));
}
