// CPU time of this machine's processes from /proc (Linux), for the dev tools that tell changes apart by
// CPU rather than wall time: import-cpu.ts (a profile's processes) and idle-cpu.ts (Chromium's, by type).
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc's clock ticks per second. */
const TICK = 100;

export interface ProcCpu {
  ppid: string;
  /** CPU seconds (user + system) of the process itself. */
  own: number;
  /** CPU seconds of its children that it has waited for. */
  children: number;
  cmdline: string;
}

/** Every process's CPU time so far, by pid; processes that exit while being read are left out. */
export function processCpu(): Map<string, ProcCpu> {
  const out = new Map<string, ProcCpu>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, {
        ppid: fields[1],
        own: (Number(fields[11]) + Number(fields[12])) / TICK,
        children: (Number(fields[13]) + Number(fields[14])) / TICK,
        cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
