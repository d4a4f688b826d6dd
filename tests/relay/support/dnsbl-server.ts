import type { AddressInfo } from 'node:net';
import DNS from 'dns2';

/**
 * A DNSBL zone served by a real dns2 server on a free loopback port: the names in `listed`
 * answer 127.0.0.2 (RFC 5782 §2.1), every other name NXDOMAIN.
 */
export async function startDnsblServer(
  listed: Set<string>,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server = DNS.createUDPServer((request, send) => {
    const response = DNS.Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    const name = question.name.toLowerCase();
    if (listed.has(name) && question.type === DNS.Packet.TYPE.A) {
      response.answers.push({
        name: question.name,
        type: DNS.Packet.TYPE.A,
        class: DNS.Packet.CLASS.IN,
        ttl: 60,
        address: '127.0.0.2',
      } as never);
    } else {
      response.header.rcode = 3;
    }
    send(response);
  });
  await server.listen(0, '127.0.0.1');
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
