import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '@shop/testing';

/** A running Google Pub/Sub emulator, started by a test. */
export interface RunningEmulator {
  /** `127.0.0.1:<port>`, what `PUBSUB_EMULATOR_HOST` would hold. */
  host: string;
  projectId: string;
  /** Stops gcloud and the emulator's Java process (the whole process group) and waits until they are gone. */
  stop(): Promise<void>;
}

/** True when the `gcloud` binary is on PATH (the emulator comes with it, as a Debian package here). */
export function hasGcloud(): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'gcloud'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Starts `gcloud beta emulators pubsub start` on a free port, in a process group of its own: gcloud (Python)
 * starts Java as a child, and killing gcloud alone would leave the Java process running. Resolves once the
 * emulator answers HTTP.
 */
export async function startPubSubEmulator(options: { projectId?: string; timeoutMs?: number } = {}): Promise<RunningEmulator> {
  const projectId = options.projectId ?? 'test-project';
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child = spawn('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--project=${projectId}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid!;
  let output = '';
  // The emulator logs every request; keep only the tail, for the error message if it fails to start.
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-8_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.once('exit', () => void (exited = true));
  // If the test process dies without running afterAll, do not leave a JVM behind.
  const killOnExit = () => signalGroup(pgid, 'SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    signalGroup(pgid, 'SIGTERM');
    if (!(await groupGone(pgid, 10_000))) {
      signalGroup(pgid, 'SIGKILL');
      if (!(await groupGone(pgid, 5_000))) throw new Error(`the emulator's process group ${pgid} survived SIGKILL`);
    }
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!(await answers(host))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`the Pub/Sub emulator did not start${exited ? ' (gcloud exited)' : ''}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { host, projectId, stop };
}

async function answers(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Polls until no live process of the group is left. */
async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * Whether any process of the group still runs. On Linux, /proc tells, and a zombie (dead, waiting for a
 * parent that may never reap it inside a container) does not count; elsewhere, signal 0 to the group.
 */
function groupAlive(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return pids.some((pid) => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may contain spaces, so split after its ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z';
    } catch {
      return false;
    }
  });
}
