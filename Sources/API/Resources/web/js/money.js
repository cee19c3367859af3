// Money: amounts are integers in the minor units of their ISO 4217 currency (contract section
// 10): cents for EUR, whole yen for JPY, fils for BHD. Showing one and reading a typed price
// back both go by the currency's exponent, never by 100.

/**
 * ISO 4217's exponents that are not 2, as the server's Domain/Currency.swift lists them; any
 * other code, known or not, has 2. Not Intl's digits: those come from CLDR, which shows HUF,
 * IDR, COP or PKR without decimals and IQD with none instead of 3, so 1000 HUF minor units
 * would read as 1,000 forints instead of 10.
 */
const ZERO_DIGITS = new Set([
  'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV',
  'XAF', 'XOF', 'XPF',
  // No minor unit at all (metals, units of account, testing, "no currency").
  'XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX',
]);
const THREE_DIGITS = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const FOUR_DIGITS = new Set(['CLF', 'UYW']);

/** How many decimals a currency's minor unit has: 0 for JPY, 2 for EUR, 3 for BHD. */
export function minorUnitDigits(currency) {
  if (ZERO_DIGITS.has(currency)) return 0;
  if (THREE_DIGITS.has(currency)) return 3;
  if (FOUR_DIGITS.has(currency)) return 4;
  return 2;
}

/**
 * Minor units as the reader's locale writes the currency: 1050 EUR is €10.50, 1050 JPY is
 * ¥1,050, 1050 BHD is BHD 1.050. Intl gets a decimal string split with integer arithmetic, so
 * even an amount near 2^53 is shown to the last digit (dividing would round it as a double).
 */
export function formatMoney(minorUnits, currency) {
  const digits = minorUnitDigits(currency);
  const decimal = decimalString(minorUnits, digits);
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(decimal);
  } catch {
    // A code Intl refuses (not three letters): the number and the code as they are.
    return `${decimal} ${currency}`;
  }
}

/** 1050 with 2 digits is "10.50", with 0 "1050", with 3 "1.050". */
function decimalString(minorUnits, digits) {
  const sign = minorUnits < 0 ? '-' : '';
  const text = String(Math.abs(minorUnits)).padStart(digits + 1, '0');
  return digits === 0 ? sign + text : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** Digits a typed price may have before the separator: 15 in all keeps it below 2^53, so exact. */
const MAX_DIGITS = 15;

/**
 * A typed price in the currency's minor units, exactly (no floating point): "3.5" or "3,50" EUR
 * is 350, "350" JPY is 350, "1.250" BHD is 1250. Null when it is not a price in that currency,
 * such as more decimals than the currency has ("3.505" EUR, "350.5" JPY).
 */
export function parseMinorUnits(text, currency) {
  const digits = minorUnitDigits(currency);
  const match = /^\s*(\d+)(?:[.,](\d+))?\s*$/.exec(text);
  if (!match) return null;
  const [, whole, fraction = ''] = match;
  if (whole.length > MAX_DIGITS - digits || fraction.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0'));
}

/** What parseMinorUnits accepts, as an input's `pattern`, so the field shows itself invalid. */
export function pricePattern(currency) {
  const digits = minorUnitDigits(currency);
  return digits === 0 ? `\\d{1,${MAX_DIGITS}}` : `\\d{1,${MAX_DIGITS - digits}}([.,]\\d{1,${digits}})?`;
}

/** The example a price field shows for a currency: "0" for JPY, "0.00" for EUR, "0.000" for BHD. */
export function pricePlaceholder(currency) {
  const digits = minorUnitDigits(currency);
  return digits === 0 ? '0' : `0.${'0'.repeat(digits)}`;
}
