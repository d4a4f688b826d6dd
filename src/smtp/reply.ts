/**
 * One SMTP or LMTP reply: the basic code and the text after it, which starts with the enhanced
 * status code (RFC 3463) when there is one. Both gateways answer Postfix with these.
 */
export interface SmtpReply {
  code: number;
  text: string;
}

/**
 * A refusal as smtp-server sends it: `message` as the text, `responseCode` as the code. Thrown or
 * passed to a handler's callback.
 */
export class SmtpReplyError extends Error {
  readonly responseCode: number;

  constructor(reply: SmtpReply) {
    super(reply.text);
    this.responseCode = reply.code;
  }
}

/** RFC 5321 §4.2.1: a 2yz reply is a positive completion. */
export const isPositive = (reply: SmtpReply): boolean => reply.code >= 200 && reply.code < 300;

/** One entry of an LMTP per-recipient answer to DATA: the text for 2xx, an error otherwise. */
export function perRecipientResult(reply: SmtpReply): string | SmtpReplyError {
  return isPositive(reply) ? reply.text : new SmtpReplyError(reply);
}
