import dgram from 'node:dgram';
import net from 'node:net';
import { AppError, type LocalizedText } from '../errors';
import type { Listener } from './listeners';

type Protocol = Listener['protocols'][number];

const WILDCARDS = new Set(['', '0.0.0.0', '::']);
const overlap = (a: string, b: string) => a === b || WILDCARDS.has(a) || WILDCARDS.has(b);

/** Opens and closes the socket: the only sure way to know the system would let us listen. */
function tryListen(host: string, port: number, protocol: Protocol): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    if (protocol === 'tcp') {
      const server = net.createServer();
      server.once('error', (e) => resolve(e));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
    } else {
      const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      socket.once('error', (e) => {
        socket.close();
        resolve(e);
      });
      socket.bind(port, host, () => socket.close(() => resolve(null)));
    }
  });
}

function problem(l: Listener, protocol: Protocol, e: NodeJS.ErrnoException): LocalizedText {
  const where = `${l.host}:${l.port}/${protocol}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return {
        fr: `${where} (${l.name.fr}) est déjà pris par un autre programme (un autre giroflee ?) : arrêtez-le, ou choisissez un autre port avec ${l.example.fr}.`,
        en: `${where} (${l.name.en}) is already taken by another program (another giroflee?): stop it, or choose another port with ${l.example.en}.`,
      };
    case 'EACCES':
      return {
        fr: `${where} (${l.name.fr}) : ce compte n’a pas le droit d’écouter sur ce port (sous 1024 : root ou CAP_NET_BIND_SERVICE) ; choisissez un autre port avec ${l.example.fr}.`,
        en: `${where} (${l.name.en}): this account may not listen on that port (below 1024: root or CAP_NET_BIND_SERVICE); choose another port with ${l.example.en}.`,
      };
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return {
        fr: `${where} (${l.name.fr}) : l’adresse ${l.host} n’est pas celle de cette machine ; corrigez ${l.variable}.`,
        en: `${where} (${l.name.en}): ${l.host} is not an address of this machine; correct ${l.variable}.`,
      };
    default:
      return {
        fr: `${where} (${l.name.fr}) : ${e.code ?? e.message} ; vérifiez ${l.variable}.`,
        en: `${where} (${l.name.en}): ${e.code ?? e.message}; check ${l.variable}.`,
      };
  }
}

/**
 * Checks, before anything is created, that every listener can open: two settings naming the
 * same port, a port another program holds, a port this account may not use, an address that is
 * not this machine's. Throws one AppError listing each problem with the variable to set.
 * Port 0 (any free port) needs no check.
 */
export async function checkListeners(listeners: Listener[]): Promise<void> {
  const problems: LocalizedText[] = [];
  const checked: Array<{ l: Listener; protocol: Protocol }> = [];
  for (const l of listeners.filter((x) => x.port !== 0)) {
    for (const protocol of l.protocols) {
      const twin = checked.find(
        (c) => c.protocol === protocol && c.l.port === l.port && overlap(c.l.host, l.host),
      );
      checked.push({ l, protocol });
      if (twin) {
        problems.push({
          fr: `${twin.l.variable} et ${l.variable} demandent tous deux le port ${l.port}/${protocol} : changez l’un des deux.`,
          en: `${twin.l.variable} and ${l.variable} both ask for port ${l.port}/${protocol}: change one of them.`,
        });
        continue;
      }
      const e = await tryListen(l.host, l.port, protocol);
      if (!e) continue;
      problems.push(problem(l, protocol, e));
    }
  }
  if (problems.length === 0) return;
  throw new AppError(500, 'listener_unavailable', {
    fr: `giroflee ne peut pas démarrer, et n’a rien créé :\n${problems.map((p) => `  - ${p.fr}`).join('\n')}`,
    en: `giroflee cannot start, and created nothing:\n${problems.map((p) => `  - ${p.en}`).join('\n')}`,
  });
}
