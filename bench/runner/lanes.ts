/** Thrown for work that was queued but never started because the run was aborted. */
export class NotStarted extends Error {
  constructor() {
    super('not started: the run was aborted');
    this.name = 'NotStarted';
  }
}

/** One unit of work for a lane: `group` names what it shares its set-up with, `size` weighs it. */
export interface LaneWork<J> {
  group: string;
  size: number;
  job: J;
}

interface Queued<J, R> extends LaneWork<J> {
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<J, R> {
  run: (job: J) => Promise<R>;
  queue: Array<Queued<J, R>>;
  /** The size of the unit it runs, 0 when idle. */
  running: number;
  /** Groups this lane has run a unit of (and so set up). */
  seen: Set<string>;
}

/** How long a group's units took: its first (set-up included) and the ones after it. */
interface GroupTimes {
  firstMs?: number;
  laterMs: number;
  later: number;
}

/**
 * Runs work on lanes (worker threads), one unit at a time per lane, keeping each group's work on
 * one lane, its home, so that what a group sets up in a thread (a strategy's trained router, its
 * knowledge base) is set up once: a group's first unit goes to the lane with the least queued,
 * the rest follow it. A lane with nothing queued takes the newest queued unit of a group it has
 * set up already, else of another group when that pays: when half the group's queued work (by
 * its units' measured time) is more than the set-up it would repeat (its first unit's time
 * beyond the others'). So the lanes still finish together without every lane training every
 * router. After `signal` aborts, queued units are rejected with {@link NotStarted}; running ones
 * finish.
 */
export class LaneDispatcher<J, R> {
  private readonly lanes: Array<Lane<J, R>>;
  private readonly homes = new Map<string, Lane<J, R>>();
  private readonly times = new Map<string, GroupTimes>();

  constructor(
    runners: ReadonlyArray<(job: J) => Promise<R>>,
    private readonly signal?: AbortSignal,
  ) {
    this.lanes = runners.map((run) => ({ run, queue: [], running: 0, seen: new Set<string>() }));
    signal?.addEventListener('abort', () => {
      for (const lane of this.lanes) for (const queued of lane.queue.splice(0)) queued.reject(new NotStarted());
    });
  }

  /** Queues a unit of work; resolves with its result once a lane has run it. */
  submit(work: LaneWork<J>): Promise<R> {
    if (this.signal?.aborted) return Promise.reject(new NotStarted());
    return new Promise<R>((resolve, reject) => {
      let home = this.homes.get(work.group);
      if (home === undefined) {
        home = this.lanes.reduce((best, lane) => (load(lane) < load(best) ? lane : best));
        this.homes.set(work.group, home);
      }
      home.queue.push({ ...work, resolve, reject });
      for (const lane of this.lanes) this.pump(lane);
    });
  }

  private pump(lane: Lane<J, R>): void {
    if (lane.running > 0) return;
    const next = lane.queue.shift() ?? this.steal(lane);
    if (next === undefined) return;
    lane.running = Math.max(next.size, 1);
    const first = !lane.seen.has(next.group);
    lane.seen.add(next.group);
    const started = performance.now();
    lane
      .run(next.job)
      .then(next.resolve, next.reject)
      .finally(() => {
        this.record(next.group, first, performance.now() - started);
        lane.running = 0;
        for (const each of this.lanes) this.pump(each);
      });
  }

  private record(group: string, first: boolean, ms: number): void {
    const times = this.times.get(group) ?? { laterMs: 0, later: 0 };
    this.times.set(group, times);
    if (first) times.firstMs ??= ms;
    else {
      times.laterMs += ms;
      times.later++;
    }
  }

  /** For an idle lane with nothing of its own: the newest queued unit of a group it has set up, else one worth setting up. */
  private steal(thief: Lane<J, R>): Queued<J, R> | undefined {
    const others = this.lanes.filter((lane) => lane !== thief).sort((a, b) => load(b) - load(a));
    for (const victim of others) {
      for (let i = victim.queue.length - 1; i >= 0; i--) if (thief.seen.has(victim.queue[i]!.group)) return victim.queue.splice(i, 1)[0];
    }
    for (const victim of others) {
      for (let i = victim.queue.length - 1; i >= 0; i--) {
        const group = victim.queue[i]!.group;
        if (this.worthSettingUp(group, victim)) return victim.queue.splice(i, 1)[0];
      }
    }
    return undefined;
  }

  /** Whether half a group's queued units on `victim` take longer than the set-up a second lane would repeat. */
  private worthSettingUp(group: string, victim: Lane<J, R>): boolean {
    const times = this.times.get(group);
    // Nothing is known before the group's first unit and another have finished.
    if (times?.firstMs === undefined || times.later === 0) return false;
    const unitMs = times.laterMs / times.later;
    const queued = victim.queue.filter((queued) => queued.group === group).length;
    return (queued * unitMs) / 2 > times.firstMs - unitMs;
  }
}

/** What a lane has to do: the sizes of its queued units and of the one it runs. */
function load<J, R>(lane: Lane<J, R>): number {
  let size = lane.running;
  for (const queued of lane.queue) size += queued.size;
  return size;
}
