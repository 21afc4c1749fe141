// Payments imported from a CSV (member, amount, date[, tier]): each row that names a known member
// by name or id, with a number and a date, becomes a payment record; the rest are reported.
import Papa from 'papaparse';

export interface PaymentRow {
  member: string;
  amount: number;
  paidOn: string;
  tier: string;
}

export interface PaymentImport {
  rows: PaymentRow[];
  skipped: { line: number; reason: 'member' | 'amount' | 'date' | 'tier' }[];
}

function isoDate(text: string): string | null {
  const m = text.trim().match(/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})/);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

export function parsePaymentsCsv(text: string, members: { key: string; name: string }[], tiers: string[], defaultTier: string): PaymentImport {
  const parsed = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true });
  const byName = new Map(members.map((m) => [m.name.trim().toLowerCase(), m.key]));
  const byKey = new Set(members.map((m) => m.key));
  const out: PaymentImport = { rows: [], skipped: [] };
  parsed.data.forEach((cells, i) => {
    const [who = '', amount = '', date = '', tier = ''] = cells.map((c) => String(c).trim());
    if (i === 0 && /member|name|成员/i.test(who) && Number.isNaN(Number(amount))) return; // header
    const member = byKey.has(who) ? who : byName.get(who.toLowerCase());
    if (!member) return void out.skipped.push({ line: i + 1, reason: 'member' });
    const digits = amount.replace(/[^\d.]/g, '');
    const value = Number(digits);
    if (!digits || !Number.isFinite(value)) return void out.skipped.push({ line: i + 1, reason: 'amount' });
    const paidOn = isoDate(date);
    if (!paidOn) return void out.skipped.push({ line: i + 1, reason: 'date' });
    const t = tier || defaultTier;
    if (!tiers.includes(t)) return void out.skipped.push({ line: i + 1, reason: 'tier' });
    out.rows.push({ member, amount: value, paidOn, tier: t });
  });
  return out;
}

/** CSV text from rows, quoted as spreadsheets expect. */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  return Papa.unparse({ fields: header, data: rows.map((r) => r.map((c) => (c === null ? '' : c))) });
}
