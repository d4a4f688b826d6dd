import { loadConfig } from '../src/config';

describe('configuration', () => {
  const scanOf = (env: Record<string, string>) =>
    loadConfig({ NODE_ENV: 'test', GIROFLEE_DATA_DIR: '/nonexistent-giroflee-test', ...env }).sending.scan;

  it('scans submitted mail by default where giroflee runs its own rspamd, and only there', () => {
    expect(scanOf({ GIROFLEE_MAILSTACK: '1' })?.rspamd).toEqual({ host: '127.0.0.1', port: 11333 });
    expect(scanOf({ GIROFLEE_MAILSTACK: '1', GIROFLEE_MAILSTACK_DEFENCE: '0' })).toBeNull();
    expect(scanOf({})).toBeNull();
  });

  it('scans with the rspamd a racine names, and not at all when told off', () => {
    expect(scanOf({ GIROFLEE_OUTBOUND_SCAN: '127.0.0.1:21333' })?.rspamd).toEqual({
      host: '127.0.0.1',
      port: 21333,
    });
    expect(scanOf({ GIROFLEE_MAILSTACK: '1', GIROFLEE_OUTBOUND_SCAN: 'off' })).toBeNull();
  });
});
