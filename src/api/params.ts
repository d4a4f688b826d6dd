import { z } from 'zod';
import { slugSchema } from '../collectives/collectives';
import { domainNameSchema } from '../names/domain-name';
import { emailAddressSchema } from '../names/email-address';
import { relayNameSchema } from '../relay/relay-input';

/** Path parameters shared by several route files. */
export const slugParams = z.strictObject({ slug: slugSchema });
export const domainParams = z.strictObject({ name: domainNameSchema });
export const mailboxParams = z.strictObject({ address: emailAddressSchema });
export const idParams = z.strictObject({ id: z.uuid() });
export const relayParams = z.strictObject({ name: relayNameSchema });
