/**
 * One frame of BuildKit's live build view (progressui's ttyDisplay.print), as lines of text: the
 * `[+] Building 1.2s (7/12)` header, a ` => NAME   0.3s` line per vertex and status, and the latest
 * output of running steps dimmed under them. Pure: the caller keeps the state and draws the lines.
 */

export interface FrameJob {
  /** What the line shows: `CACHED [2/3] RUN ...`, `ERROR [3/3] ...`, or `=> STATUS` under a vertex. */
  name: string;
  seconds: number;
  completed: boolean;
  error: boolean;
  /** The step's latest output lines, shown while it runs when the screen has room. */
  logs: readonly string[];
  /** Output bytes so far: the busiest steps get the room for their logs first, as in BuildKit. */
  logBytes: number;
}

export interface FrameView {
  /** Since the first vertex started. */
  seconds: number;
  completed: number;
  total: number;
  jobs: readonly FrameJob[];
}

export interface FrameOptions {
  width: number;
  /** The terminal's rows; without them every job is drawn and every running log shown. */
  height?: number;
  /** The last frame: every job, no logs, `FINISHED` when all vertices completed. */
  final: boolean;
  color: boolean;
}

/** BuildKit's defaults: 6 log lines per step (BUILDKIT_TTY_LOG_LINES), 10 columns kept free beside them. */
const LOG_LINES = 6;
const LOG_PAD = 10;
const BLUE = "\x1b[34m";
const RED = "\x1b[31m";
const FAINT = "\x1b[2m";
const RESET = "\x1b[0m";

export function renderFrame(view: FrameView, options: FrameOptions): string[] {
  const { width, height, final } = options;
  const finished = final && view.completed > 0 && view.completed === view.total;
  const header = `[+] Building ${view.seconds.toFixed(1)}s (${view.completed}/${view.total})${finished ? " FINISHED" : ""}`;
  const lines = [cut(header, width - 1)];
  const withLogs = final ? new Set<FrameJob>() : jobsShowingLogs(view.jobs, height);
  let jobs = view.jobs;
  if (!final && height !== undefined) {
    let logLines = 0;
    for (const job of withLogs) logLines += job.logs.length;
    jobs = wrapHeight(jobs, height - 2 - logLines);
  }
  for (const job of jobs) {
    const line = jobLine(job, width);
    if (line === undefined) continue;
    lines.push(job.completed && options.color ? paint(line, job.error ? RED : BLUE) : line);
    if (!withLogs.has(job)) continue;
    for (const log of job.logs) {
      const text = ` => => # ${cut(log, width - LOG_PAD)}`;
      lines.push(options.color ? paint(text, FAINT) : text);
    }
  }
  return lines;
}

/** ` => NAME` padded so the time ends one column short of the edge; undefined when too narrow. */
function jobLine(job: FrameJob, width: number): string | undefined {
  const timer = ` ${(job.seconds < 0.05 ? 0 : job.seconds).toFixed(1)}s`;
  const room = width - timer.length - 6;
  if (room < 12) return undefined;
  const name = job.name.replaceAll("\t", " ");
  const shown = length(name) > room ? `${cut(name, room - 3)}...` : name;
  return `${` => ${shown}`.padEnd(room + 4 + (shown.length - length(shown)))} ${timer}`;
}

/** Running jobs with output, busiest first, while the screen keeps room for all running lines. */
function jobsShowingLogs(jobs: readonly FrameJob[], height: number | undefined): Set<FrameJob> {
  const candidates = jobs
    .filter((job) => !job.completed && job.logs.length > 0)
    .sort((a, b) => b.logBytes - a.logBytes);
  if (height === undefined) return new Set(candidates);
  let free = height - 2 - jobs.filter((job) => !job.completed).length;
  const shown = new Set<FrameJob>();
  for (const job of candidates) {
    if (free <= LOG_LINES + 3) break;
    shown.add(job);
    free -= LOG_LINES + 3;
  }
  return shown;
}

/** The last `limit` jobs, with running ones that fell off the top taking the place of done ones. */
function wrapHeight(jobs: readonly FrameJob[], limit: number): readonly FrameJob[] {
  if (limit < 0) return [];
  if (jobs.length <= limit) return jobs;
  const shown = jobs.slice(jobs.length - limit);
  const hidden = jobs.slice(0, jobs.length - limit).filter((job) => !job.completed);
  if (hidden.length === 0) return shown;
  let replace = hidden.length;
  const kept = shown.filter((job) => {
    const keep = !job.completed || replace <= 0;
    replace--;
    return keep;
  });
  return [...hidden.slice(hidden.length - (shown.length - kept.length)), ...kept];
}

function paint(text: string, color: string): string {
  return `${color}${text}${RESET}`;
}

/** Lengths and cuts in code points, so a name with non-BMP characters is not split mid-pair. */
function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, Math.max(0, max)).join("");
}
