import { describe, expect, it } from 'vitest';
import { parsePaymentsCsv, toCsv } from './payments-csv';

const members = [
  { key: 'k-ann', name: 'Ann Lee' },
  { key: 'k-wang', name: '王小明' }
];

describe('payments CSV', () => {
  it('reads rows by member name or id, skips a header and reports bad rows', () => {
    const csv = [
      'member,amount,date,tier',
      'Ann Lee,99,2026-01-05,',
      '王小明,"¥199.00",2026/2/1,gold',
      'k-ann,10,2026-02-30',
      'Nobody,5,2026-01-01',
      'Ann Lee,abc,2026-01-01',
      'Ann Lee,5,2026-01-01,silver'
    ].join('\n');
    const out = parsePaymentsCsv(csv, members, ['gold'], 'gold');
    expect(out.rows).toEqual([
      { member: 'k-ann', amount: 99, paidOn: '2026-01-05', tier: 'gold' },
      { member: 'k-wang', amount: 199, paidOn: '2026-02-01', tier: 'gold' }
    ]);
    expect(out.skipped.map((s) => s.reason)).toEqual(['date', 'member', 'amount', 'tier']);
  });

  it('writes CSV that quotes commas and quotes', () => {
    expect(toCsv(['name', 'note'], [['Ann, "A"', null]])).toBe('name,note\r\n"Ann, ""A""",');
  });
});
