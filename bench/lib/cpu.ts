import fs from 'node:fs';

/**
 * CPU time of process trees, read from /proc (proc(5)): for every process, utime + stime of its
 * own and cutime + cstime of the children it has already reaped. Postfix's, Dovecot's and
 * PostgreSQL's masters reap their short-lived children, so the sum over a tree's live processes
 * of all four counters, taken before and after a run, covers processes that started and ended
 * in between as well.
 */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  ticks: number;
}

function readStat(pid: number | 'self'): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

function allProcesses(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.set(Number(name), s);
  }
  return out;
}

/** Seconds of CPU used so far by each named tree (a root pid and all its descendants). */
export function treeCpuSeconds(roots: Record<string, number | undefined>): Record<string, number> {
  const procs = allProcesses();
  const children = new Map<number, number[]>();
  for (const [pid, s] of procs) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !procs.has(root)) continue;
    let ticks = 0;
    const stack = [root];
    while (stack.length) {
      const pid = stack.pop()!;
      ticks += procs.get(pid)?.ticks ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    out[name] = ticks / TICKS_PER_SECOND;
  }
  return out;
}

function selfFields(): string[] {
  const text = fs.readFileSync('/proc/self/stat', 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds of this process's children that have exited and were reaped (smtp-source runs). */
export function reapedChildrenSeconds(): number {
  const f = selfFields();
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

/** CPU seconds of this process alone. */
export function ownSeconds(): number {
  const f = selfFields();
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine (every core), from /proc/stat's first line. */
export function machineBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return busy / TICKS_PER_SECOND;
}

/** The first line of a pid file (Postfix, Dovecot, PostgreSQL's postmaster.pid). */
export function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Read- and write-class system calls (proc(5) `/proc/pid/io`: syscr, syscw) and context switches
 * (`/proc/pid/status`) of one process so far; undefined when it is gone. Each small socket write
 * wakes the peer: fewer of them is CPU saved on both sides.
 */
export function processCounters(
  pid: number,
): { reads: number; writes: number; switches: number } | undefined {
  try {
    const field = (text: string, name: string) =>
      Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      reads: field(io, 'syscr'),
      writes: field(io, 'syscw'),
      switches: field(status, 'voluntary_ctxt_switches') + field(status, 'nonvoluntary_ctxt_switches'),
    };
  } catch {
    return undefined;
  }
}
