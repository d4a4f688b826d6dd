import path from 'node:path';
import { rspamdMilterSocket, type RenderedFiles } from './render-postfix';
import type { MailstackSettings } from './settings';

/**
 * rspamd, the inbound defence: a milter on the MX smtpd that sees every message before the
 * gateway encrypts it. It verifies SPF, DKIM, DMARC and ARC, scores the message, and answers
 * Postfix with a verdict (reject, or headers to add) while the SMTP transaction is still open.
 *
 * The configuration keeps rspamd's stock rules and scores (/etc/rspamd) and adds ours from a
 * private folder ($LOCAL_CONFDIR): every module that would fetch lists from the internet or
 * needs Redis is off, the resolver is the one giroflee names, and the only fuzzy storage is our
 * own (SQLite, no Redis), fed by the members' "junk" / "not junk" decisions.
 */

/** The fuzzy_check flag under which members' junk reports are stored. */
export const FUZZY_JUNK_FLAG = 1;
/** The clear header carrying the message's fuzzy digests (see learn-junk.ts). */
export const DIGEST_HEADER = 'X-Giroflee-Digest';

/** Where Debian's rspamd keeps its data (its user's home). */
const PRODUCTION_FUZZY_DB = '/var/lib/rspamd/fuzzy.db';

const HEADER = '# Rendered by giroflee: do not edit, re-render instead.\n';

/** Modules that reach the internet (maps, lists, HTTP), need Redis, or sign: none of them here. */
const DISABLED_MODULES = [
  'antivirus',
  'arc_signing',
  'asn',
  'bimi',
  'clickhouse',
  'dcc',
  'dkim_signing',
  'elastic',
  'emails',
  'external_services',
  'fuzzy_collect',
  'greylist',
  'history_redis',
  'metadata_exporter',
  'multimap',
  'mx_check',
  'neural',
  'p0f',
  'phishing',
  'ratelimit',
  'rbl',
  'replies',
  'reputation',
  'rspamd_update',
  'spamassassin',
  'url_redirector',
  'whitelist',
];

/**
 * Lua for milter_headers' custom routines. `digest`: the fuzzy digests rspamd computes for the
 * message's text parts and attachments (the same ones its fuzzy check sends), one header each;
 * they let a later "junk" report teach the fuzzy storage without the message, which by then is
 * encrypted. Each digest sits at bytes 12–75 of the command packet (rspamd's fuzzy_wire.h:
 * version, cmd, shingles_count, flag, value, tag, digest[64]). `auth`: the RFC 8601 header
 * rspamd writes, without its comments, which name the client's address.
 */
const DIGEST_ROUTINE = `
return function(task, common)
  local fuzzy = rspamd_plugins.fuzzy_check
  local values = {}
  if fuzzy then
    -- No flags table: rspamd 3.4 reads one at the wrong stack slot when a fifth argument follows.
    local ok, packets = pcall(fuzzy.gen_hashes, task, ${FUZZY_JUNK_FLAG}, 1, nil, 'add')
    if ok and packets then
      for _, rule in pairs(packets) do
        for _, p in ipairs(rule) do
          local digest = tostring(p):sub(13, 76)
          table.insert(values, (digest:gsub('.', function(c) return string.format('%02x', c:byte()) end)))
        end
      end
    end
  end
  return nil, { ['${DIGEST_HEADER}'] = values }, { ['${DIGEST_HEADER}'] = 0 }, {}
end
`;

const AUTH_ROUTINE = `
return function(task, common)
  local ar = require "lua_auth_results"
  local res = ar.gen_auth_results(task, ar.default_settings)
  if not res then return nil, {}, { ['Authentication-Results'] = 0 }, {} end
  res = res:gsub('%s*%b()', '')
  return nil, { ['Authentication-Results'] = { order = 1, value = res } },
    { ['Authentication-Results'] = 0 }, {}
end
`;

/**
 * The largest text part rspamd reads as text. Past it, a part is hashed and kept whole for
 * everything that reads the raw message (DKIM, ARC, raw-body rules), but not split into words:
 * rspamd 3.4 normalises, stems and detects the language of every word of every text part as it
 * parses the message, before any rule or setting can intervene (≈ 0.1 ms of CPU per KB, 100 ms
 * for a 1 MB text part, against 6 ms for a 1 MB attachment), and has no setting that bounds it.
 * SpamAssassin's client does not scan messages past 500 KB at all; real text parts, HTML
 * newsletters included, stay well under this.
 */
export const TEXT_ANALYSIS_LIMIT = 512 * 1024;

/**
 * Loaded by rspamd's rules at start (Debian's rules/rspamd.lua reads `local.d/rspamd.lua`). Two
 * hooks on rspamd's own Lua libraries, both looked up again for every message:
 * - lua_magic.detect_mime_part: its `no_text` answer (rspamd gives it to binary types) keeps a
 *   part out of text processing; we give it for a text part past the limit;
 * - lua_fuzzy.check_mime_part: such a part, no longer text and not an attachment, would get no
 *   fuzzy digest; it gets the digest of its content, so members' junk reports still teach it.
 */
const TEXT_BOUND_LUA = `
local LIMIT = ${TEXT_ANALYSIS_LIMIT}
local function past_limit(part)
  return part:get_type() == 'text' and part:get_length() > LIMIT
end

local lua_magic = require "lua_magic"
local detect_mime_part = lua_magic.detect_mime_part
lua_magic.detect_mime_part = function(part, log_obj)
  local ext, detected = detect_mime_part(part, log_obj)
  if past_limit(part) then
    local t, st = part:get_type()
    return ext or 'txt', { type = 'text', ct = t .. '/' .. st, no_text = true }
  end
  return ext, detected
end

local lua_fuzzy = require "lua_fuzzy"
local check_mime_part = lua_fuzzy.check_mime_part
lua_fuzzy.check_mime_part = function(task, part, rule_id)
  if not part:is_text() and past_limit(part) then return true, false end
  return check_mime_part(task, part, rule_id)
end
`;

const ucl = (s: string) => JSON.stringify(s);
const heredoc = (lua: string) => `<<EOD\n${lua.trim()}\nEOD`;

function optionsInc(s: MailstackSettings): string {
  const d = s.defence!;
  const servers = d.dnsServers.map((e) => ucl(`${e.host}:${e.port}`)).join(', ');
  return (
    HEADER +
    [
      `dns {`,
      ...(servers ? [`  nameserver = [${servers}];`] : []),
      '  timeout = 1s;',
      '  retransmits = 2;',
      '}',
      // A private stack keeps its compiled regular expressions with itself (hyperscan-cache.ts).
      ...(s.paths.rspamdCacheDir ? [`hs_cache_dir = ${ucl(s.paths.rspamdCacheDir)};`] : []),
      // A message rspamd cannot finish in time is refused for now (451), never passed unscored.
      'task_timeout = 20s;',
      'soft_reject_on_timeout = true;',
    ].join('\n') +
    '\n'
  );
}

function actionsConf(s: MailstackSettings): string {
  const d = s.defence!;
  return (
    HEADER +
    [
      `reject = ${d.rejectScore};`,
      `add_header = ${d.junkScore};`,
      // Greylisting needs Redis and delays every first message: not used.
      'greylist = null;',
      'rewrite_subject = null;',
    ].join('\n') +
    '\n'
  );
}

function fuzzyCheckConf(s: MailstackSettings): string {
  return (
    HEADER +
    [
      'rule "giroflee" {',
      `  servers = ${ucl(`127.0.0.1:${s.ports.rspamdFuzzy}`)};`,
      '  symbol = "GIROFLEE_FUZZY_UNKNOWN";',
      '  mime_types = ["*"];',
      '  read_only = false;',
      '  skip_unknown = true;',
      '  short_text_direct_hash = true;',
      // One digest of each text part's whole text, no shingles: our storage only ever receives
      // exact digests (members' reports), so the 32 shingles per part (a keyed hash per word
      // each) could never match anything. Without the subject, so that a campaign sent under
      // varying subjects still matches. bench/defence: −15 % of rspamd's CPU at 100 KB.
      '  text_shingles = false;',
      '  no_subject = true;',
      '  fuzzy_map = {',
      `    GIROFLEE_FUZZY_JUNK { max_score = 1.0; flag = ${FUZZY_JUNK_FLAG}; }`,
      '  }',
      '}',
    ].join('\n') +
    '\n'
  );
}

function fuzzyGroupConf(s: MailstackSettings): string {
  // A message members reported as junk weighs the junk threshold (and is junk: forceActionsConf).
  return (
    HEADER +
    [
      'symbols {',
      `  "GIROFLEE_FUZZY_JUNK" { weight = ${s.defence!.junkScore}; description = "Reported as junk by members"; }`,
      '  "GIROFLEE_FUZZY_UNKNOWN" { weight = 0.0; description = "Unknown fuzzy flag"; }',
      '}',
    ].join('\n') +
    '\n'
  );
}

function milterHeadersConf(): string {
  return (
    HEADER +
    [
      'use = ["giroflee-auth", "x-spam-status", "spam-header", "giroflee-digest"];',
      // Every message on the MX comes from outside, whatever address it arrives from.
      'skip_local = false;',
      'skip_authenticated = false;',
      'routines {',
      '  spam-header { header = "X-Spam"; value = "Yes"; remove = 0; }',
      '  x-spam-status { remove = 0; }',
      '}',
      'custom {',
      `  giroflee-auth = ${heredoc(AUTH_ROUTINE)};`,
      `  giroflee-digest = ${heredoc(DIGEST_ROUTINE)};`,
      '}',
    ].join('\n') +
    '\n'
  );
}

/**
 * Only the MX asks rspamd, and everything reaching the MX comes from outside: the sender checks
 * run whatever the client's address (rspamd skips loopback and private networks by default,
 * which is every client of the private profile).
 */
const CHECK_EVERY_CLIENT = `${HEADER}check_local = true;\ncheck_authed = false;\n`;

function dmarcConf(): string {
  // RFC 7489 §6.6.3: p=quarantine is marked as junk; p=reject, see forceActionsConf.
  return CHECK_EVERY_CLIENT + ['actions {', '  quarantine = "add header";', '}'].join('\n') + '\n';
}

/**
 * p=reject is refused during the SMTP transaction, with a reply that says why (554 5.7.1); a
 * message members reported as junk is marked junk.
 */
function forceActionsConf(): string {
  return (
    HEADER +
    [
      'rules {',
      '  GIROFLEE_DMARC_REJECT {',
      '    action = "reject";',
      '    expression = "DMARC_POLICY_REJECT";',
      `    message = ${ucl('Rejected by the DMARC policy of the sender domain / Refuse par la politique DMARC du domaine expediteur')};`,
      '  }',
      // rspamd scales a fuzzy match by tanh(e × value / max_score): one report weighs 0.99 of the
      // symbol, and good authentication takes a little more off. A reported message is junk all
      // the same; `least`: a score above the reject threshold still refuses it.
      '  GIROFLEE_REPORTED_JUNK {',
      '    action = "add header";',
      '    expression = "GIROFLEE_FUZZY_JUNK";',
      '    least = true;',
      '  }',
      '}',
    ].join('\n') +
    '\n'
  );
}

/** The fuzzy storage members' junk reports feed: SQLite, written from loopback only. */
function fuzzyWorker(s: MailstackSettings, hashFile: string): string[] {
  return [
    `bind_socket = ${ucl(`127.0.0.1:${s.ports.rspamdFuzzy}`)};`,
    'count = 1;',
    'backend = "sqlite";',
    `hash_file = ${ucl(hashFile)};`,
    'expire = 90d;',
    `sync = ${s.defence!.fuzzySyncSeconds}s;`,
    'allow_update = ["127.0.0.1"];',
  ];
}

/** Our own top-level file (private profile): rspamd's stock rules without its statistics (Redis). */
function rspamdConf(s: MailstackSettings): string {
  const p = s.paths;
  return (
    HEADER +
    [
      'lua = "$RULESDIR/rspamd.lua";',
      '.include "$CONFDIR/metrics.conf"',
      '.include "$CONFDIR/actions.conf"',
      '.include "$CONFDIR/groups.conf"',
      '.include "$CONFDIR/composites.conf"',
      '.include "$CONFDIR/modules.conf"',
      '.include "$CONFDIR/settings.conf"',
      'modules {',
      '  path = "${PLUGINSDIR}";',
      '  fallback_path = "${SHAREDIR}/lua";',
      '}',
      'options {',
      `  pidfile = ${ucl(path.join(p.rspamdRunDir!, 'rspamd.pid'))};`,
      '  .include "$CONFDIR/options.inc"',
      '  .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"',
      '}',
      'logging {',
      '  type = "file";',
      `  filename = ${ucl(p.rspamdLogFile!)};`,
      // Per-message lines would name the client's address: errors only.
      '  level = "error";',
      '}',
      'worker "rspamd_proxy" {',
      `  bind_socket = ${ucl(`${rspamdMilterSocket(s)} mode=0666`)};`,
      `  bind_socket = ${ucl(`127.0.0.1:${s.ports.rspamdMilter}`)};`,
      '  milter = yes;',
      '  timeout = 120s;',
      '  count = 1;',
      '  upstream "local" {',
      '    default = yes;',
      '    self_scan = yes;',
      '  }',
      '}',
      // Submitted mail is scanned by giroflee over HTTP (src/sending/scan-submission.ts).
      ...(s.ports.rspamdScan
        ? [
            'worker "normal" {',
            `  bind_socket = ${ucl(`127.0.0.1:${s.ports.rspamdScan}`)};`,
            '  count = 1;',
            '}',
          ]
        : []),
      'worker "fuzzy" {',
      ...fuzzyWorker(s, path.join(p.rspamdRunDir!, 'fuzzy.db')).map((l) => `  ${l}`),
      '}',
    ].join('\n') +
    '\n'
  );
}

/**
 * The files of rspamd's local configuration folder: `rspamd.conf` is ours (private profile);
 * `local.d/` and `override.d/` merge into Debian's /etc/rspamd in production as well.
 */
export function renderRspamd(s: MailstackSettings): RenderedFiles {
  if (!s.defence) return {};
  const file = (content: string) => ({ content, mode: 0o644 });
  const files: RenderedFiles = {
    'local.d/options.inc': file(optionsInc(s)),
    'local.d/actions.conf': file(actionsConf(s)),
    'local.d/milter_headers.conf': file(milterHeadersConf()),
    'local.d/dmarc.conf': file(dmarcConf()),
    'local.d/force_actions.conf': file(forceActionsConf()),
    'local.d/spf.conf': file(CHECK_EVERY_CLIENT),
    'local.d/dkim.conf': file(CHECK_EVERY_CLIENT),
    'local.d/fuzzy_group.conf': file(fuzzyGroupConf(s)),
    'local.d/rspamd.lua': file(`-- ${HEADER.slice(2)}${TEXT_BOUND_LUA.trimStart()}`),
    'override.d/fuzzy_check.conf': file(fuzzyCheckConf(s)),
  };
  for (const m of DISABLED_MODULES) files[`local.d/${m}.conf`] = file(`${HEADER}enabled = false;\n`);
  if (s.profile === 'private') files['rspamd.conf'] = file(rspamdConf(s));
  // Debian's rspamd.conf declares the fuzzy worker disabled (count = -1); this turns it on.
  else
    files['override.d/worker-fuzzy.inc'] = file(
      HEADER + fuzzyWorker(s, PRODUCTION_FUZZY_DB).join('\n') + '\n',
    );
  return files;
}
