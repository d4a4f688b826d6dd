import net from 'node:net';
import { z } from 'zod';
import { checkedSchema } from '../names/checked-schema';
import { checkDomainName } from '../names/domain-name';

/** Loopback only: the one place plain SMTP (tls_mode 'none') is allowed. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

/** A relay host: a domain name (A-label form) or an IP literal. */
export const relayHostSchema = checkedSchema<string>((value) => {
  const v = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(v) || v === 'localhost') return { ok: true, value: v.toLowerCase() };
  return checkDomainName(v);
}, 300);

export const relayNameSchema = z.string().refine((v) => /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/.test(v), {
  message: 'lowercase letters, digits, dot, dash, underscore; 1 to 64 characters',
  params: {
    code: 'relay_name_invalid',
    fr: 'minuscules, chiffres, point, tiret, souligné ; de 1 à 64 caractères',
  },
});

const plainNeedsLoopback = {
  message: 'plain SMTP (tls_mode none) is only allowed towards a loopback host',
  params: {
    code: 'relay_plain_not_loopback',
    fr: 'le SMTP en clair (tls_mode none) n’est permis que vers une adresse de bouclage',
  },
};

export const sendingIpsSchema = z
  .array(z.string().refine((v) => net.isIP(v) !== 0, { message: 'not an IP address' }))
  .max(64);

export const createRelaySchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('smarthost'),
      name: relayNameSchema,
      host: relayHostSchema,
      port: z.number().int().min(1).max(65535),
      tlsMode: z.enum(['implicit', 'starttls', 'none']).default('starttls'),
      username: z.string().min(1).max(320).optional(),
      password: z.string().min(1).max(1000).optional(),
      priority: z.number().int().min(0).max(10000).default(100),
      role: z.enum(['primary', 'fallback']).default('primary'),
      sendingIps: sendingIpsSchema.default([]),
    }),
    z.strictObject({
      kind: z.literal('direct'),
      name: relayNameSchema,
      priority: z.number().int().min(0).max(10000).default(100),
      role: z.enum(['primary', 'fallback']).default('primary'),
      sendingIps: sendingIpsSchema.default([]),
    }),
  ])
  .refine((r) => r.kind === 'direct' || r.tlsMode !== 'none' || isLoopbackHost(r.host), plainNeedsLoopback)
  .refine((r) => r.kind === 'direct' || !r.password || Boolean(r.username), {
    message: 'a password needs a username',
    params: { code: 'relay_password_needs_user', fr: 'un mot de passe demande un identifiant' },
  });

export type CreateRelayInput = z.output<typeof createRelaySchema>;

export const updateRelaySchema = z
  .strictObject({
    priority: z.number().int().min(0).max(10000).optional(),
    role: z.enum(['primary', 'fallback']).optional(),
    state: z.enum(['active', 'draining', 'disabled']).optional(),
    sendingIps: sendingIpsSchema.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to change' });

export type UpdateRelayInput = z.output<typeof updateRelaySchema>;

export const rotateCredentialsSchema = z.strictObject({
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1000),
});
