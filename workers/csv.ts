// CSV text (RFC 4180): fields with commas, quotes or line breaks are quoted, quotes doubled.
// Cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote.

function cell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
