import { checkDomainName } from '../../src/names/domain-name';
import { checkEmailAddress } from '../../src/names/email-address';

describe('checkDomainName', () => {
  it.each([
    ['Example.ORG', 'example.org'],
    ['asso.fr.', 'asso.fr'],
    ['café.example', 'xn--caf-dma.example'],
    ['  mail.chatons.org ', 'mail.chatons.org'],
  ])('parses %p into %p', (input, expected) => {
    expect(checkDomainName(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'domain_empty'],
    ['localhost', 'domain_needs_dot'],
    ['-bad.example', 'domain_invalid_label'],
    ['bad-.example', 'domain_invalid_label'],
    ['a..example', 'domain_invalid_label'],
    ['under_score.example', 'domain_invalid_label'],
    [`${'a'.repeat(64)}.example`, 'domain_invalid_label'],
    [`${'abcdefghi.'.repeat(26)}example`, 'domain_too_long'],
    ['192.168.1.1', 'domain_numeric_tld'],
    ["x.example'; DROP TABLE domains;--", 'domain_invalid_characters'],
    ['user@example.org', 'domain_invalid_characters'],
  ])('refuses %p with %p', (input, code) => {
    const r = checkDomainName(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.code).toBe(code);
  });
});

describe('checkEmailAddress', () => {
  it.each([
    ['Alice@Example.org', 'alice@example.org'],
    ['first.last+tag@café.example', 'first.last+tag@xn--caf-dma.example'],
  ])('parses %p into %p', (input, expected) => {
    const r = checkEmailAddress(input);
    expect(r.ok && r.value.address).toBe(expected);
  });

  it.each([
    ['no-at-sign', 'address_invalid'],
    ['@example.org', 'address_invalid'],
    ['a..b@example.org', 'local_part_invalid'],
    ['.a@example.org', 'local_part_invalid'],
    ['"quoted"@example.org', 'local_part_invalid'],
    ['élodie@example.org', 'local_part_invalid'],
    [`${'a'.repeat(65)}@example.org`, 'local_part_too_long'],
    ['*@example.org', 'local_part_invalid'],
  ])('refuses %p with %p', (input, code) => {
    const r = checkEmailAddress(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.code).toBe(code);
  });
});
