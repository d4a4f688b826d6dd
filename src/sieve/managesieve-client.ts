import net from 'node:net';
import type { Endpoint } from '../config';

/**
 * A small ManageSieve client (RFC 5804) for the commands giroflee needs: AUTHENTICATE PLAIN,
 * LISTSCRIPTS, GETSCRIPT, PUTSCRIPT, SETACTIVE, LOGOUT. No npm package speaks the protocol, and
 * Dovecot's ManageSieve listens on loopback only, so no STARTTLS either.
 */

/** A string of a response line: quoted (RFC 5804 §4, `"…"` with `\\` and `\"`) or a literal (`{n}`). */
type Token = { kind: 'atom' | 'string'; value: string };

export interface SieveResponse {
  status: 'OK' | 'NO' | 'BYE';
  /** The response code in parentheses, e.g. `NONEXISTENT`, `WARNINGS`. */
  code?: string;
  text?: string;
  /** The data lines before the status line, as tokens. */
  lines: Token[][];
}

export class ManageSieveError extends Error {
  constructor(
    message: string,
    readonly response?: SieveResponse,
  ) {
    super(message);
  }
}

/** Quoted string (RFC 5804 §4): the only escapes are backslash and double quote. */
const quoted = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export class ManageSieveClient {
  private buffer = Buffer.alloc(0);
  private waiting?: () => void;
  private closed?: Error;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    const end = (e?: Error) => {
      this.closed ??= e ?? new ManageSieveError('connection closed by the server');
      this.waiting?.();
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  /** Connects and reads the greeting (capabilities, then OK). */
  static async connect(at: Endpoint, timeoutMs = 10_000): Promise<ManageSieveClient> {
    const socket = net.connect({ host: at.host, port: at.port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ManageSieveError('connection timed out')), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const client = new ManageSieveClient(socket, timeoutMs);
    await client.expectOk(await client.readResponse());
    return client;
  }

  /** SASL PLAIN (RFC 4616) with an initial response (RFC 5804 §2.1). */
  async authenticate(login: string, password: string): Promise<void> {
    const initial = Buffer.from(`\0${login}\0${password}`, 'utf8').toString('base64');
    await this.command(`AUTHENTICATE "PLAIN" ${quoted(initial)}`);
  }

  async listScripts(): Promise<Array<{ name: string; active: boolean }>> {
    const r = await this.command('LISTSCRIPTS');
    return r.lines.map((t) => ({
      name: t[0].value,
      active: t[1]?.kind === 'atom' && t[1].value === 'ACTIVE',
    }));
  }

  /** The script's text; undefined when there is no script by that name (NO (NONEXISTENT)). */
  async getScript(name: string): Promise<string | undefined> {
    const r = await this.send(`GETSCRIPT ${quoted(name)}`);
    if (r.status === 'NO' && r.code === 'NONEXISTENT') return undefined;
    this.expectOk(r);
    return r.lines[0]?.[0]?.value ?? '';
  }

  /** Stores a script; the server compiles it first and refuses it (NO) with its errors. */
  async putScript(name: string, script: string): Promise<void> {
    const bytes = Buffer.byteLength(script, 'utf8');
    // A non-synchronizing literal (`{n+}`, RFC 5804 §4) carries the script as it is.
    await this.command(`PUTSCRIPT ${quoted(name)} {${bytes}+}\r\n${script}`);
  }

  /** Makes `name` the active script; the empty name deactivates every script. */
  async setActive(name: string): Promise<void> {
    await this.command(`SETACTIVE ${quoted(name)}`);
  }

  async logout(): Promise<void> {
    try {
      await this.send('LOGOUT');
    } finally {
      this.socket.destroy();
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private async command(line: string): Promise<SieveResponse> {
    return this.expectOk(await this.send(line));
  }

  private expectOk(r: SieveResponse): SieveResponse {
    if (r.status !== 'OK') {
      throw new ManageSieveError(`${r.status}${r.code ? ` (${r.code})` : ''} ${r.text ?? ''}`.trim(), r);
    }
    return r;
  }

  private async send(line: string): Promise<SieveResponse> {
    this.socket.write(`${line}\r\n`);
    return this.readResponse();
  }

  /** Reads lines until the status line (OK, NO or BYE). */
  private async readResponse(): Promise<SieveResponse> {
    const lines: Token[][] = [];
    for (;;) {
      const tokens = await this.readLine();
      const first = tokens[0];
      if (first?.kind === 'atom' && ['OK', 'NO', 'BYE'].includes(first.value.toUpperCase())) {
        let i = 1;
        let code: string | undefined;
        if (tokens[i]?.kind === 'atom' && tokens[i].value.startsWith('('))
          code = tokens[i++].value.slice(1, -1);
        return {
          status: first.value.toUpperCase() as SieveResponse['status'],
          code,
          text: tokens[i]?.value,
          lines,
        };
      }
      lines.push(tokens);
    }
  }

  /** One response line as tokens; a literal `{n}` at its end takes the next n octets as a string. */
  private async readLine(): Promise<Token[]> {
    const tokens: Token[] = [];
    for (;;) {
      const eol = await this.waitFor(() => {
        const i = this.buffer.indexOf('\r\n');
        return i >= 0 ? i : undefined;
      });
      const text = this.buffer.subarray(0, eol).toString('utf8');
      this.buffer = this.buffer.subarray(eol + 2);
      const literal = /\{(\d+)\+?\}$/.exec(text);
      tokens.push(...tokenize(literal ? text.slice(0, literal.index) : text));
      if (!literal) return tokens;
      const n = Number(literal[1]);
      await this.waitFor(() => (this.buffer.length >= n ? n : undefined));
      tokens.push({ kind: 'string', value: this.buffer.subarray(0, n).toString('utf8') });
      this.buffer = this.buffer.subarray(n);
      // What follows the literal (usually nothing but CRLF) continues the same line.
    }
  }

  private async waitFor<T>(ready: () => T | undefined): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (this.closed) throw this.closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new ManageSieveError('no answer in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve();
        };
      });
    }
  }
}

/** Atoms, quoted strings and parenthesized response codes of one line (no literal inside). */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ') {
      i += 1;
    } else if (c === '"') {
      let value = '';
      for (i += 1; i < line.length && line[i] !== '"'; i += 1)
        value += line[i] === '\\' ? line[++i] : line[i];
      tokens.push({ kind: 'string', value });
      i += 1;
    } else if (c === '(') {
      const close = line.indexOf(')', i);
      const end = close < 0 ? line.length : close + 1;
      tokens.push({ kind: 'atom', value: line.slice(i, end) });
      i = end;
    } else {
      const end = line.indexOf(' ', i) < 0 ? line.length : line.indexOf(' ', i);
      tokens.push({ kind: 'atom', value: line.slice(i, end) });
      i = end;
    }
  }
  return tokens;
}
