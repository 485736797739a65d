/**
 * Which runs a poll round reads the jobs of, when a repository has more queued and in-progress runs than one round
 * may read (`pollRunsPerRound`). Reading a run's jobs is one REST call per run, so a burst of a thousand runs made
 * every round a thousand calls: GitHub counts each new answer against the installation's hourly limit (5,000 base,
 * "Rate limits for the REST API"), and the round's burst of calls slowed the launches running beside it.
 *
 * Order: runs never read before come first, and among them the runs the controller knows no queued job of (every
 * webhook of such a run may have been lost: the case the safety net is for); then runs read before, least recently
 * read first; ties go to the oldest run (smallest id). So a run is read within ceil(runs / limit) rounds, and a
 * repository with no more runs than the limit is read whole every round, as before.
 */
export class RunRotation {
  /** Round number each run was last read in, per repository; runs that left the list are forgotten. */
  private readonly lastRead = new Map<string, Map<number, number>>();
  private round = 0;

  /**
   * The runs of `repo` to read this round, at most `limit` of `runIds`, in the order above; `known` tells whether
   * the controller already holds a queued job of a run (from a webhook or an earlier round).
   */
  choose(repo: string, runIds: readonly number[], limit: number, known: (runId: number) => boolean): number[] {
    const round = ++this.round;
    const key = repo.toLowerCase();
    const before = this.lastRead.get(key) ?? new Map<number, number>();
    const listed = new Set(runIds);
    let chosen: number[];
    if (listed.size <= limit) chosen = [...listed];
    else {
      const rank = (id: number) => {
        const at = before.get(id);
        return at === undefined ? [0, known(id) ? 1 : 0, 0, id] : [1, 0, at, id];
      };
      const ranked = [...listed].map((id) => ({ id, r: rank(id) }));
      ranked.sort((a, b) => a.r[0]! - b.r[0]! || a.r[1]! - b.r[1]! || a.r[2]! - b.r[2]! || a.r[3]! - b.r[3]!);
      chosen = ranked.slice(0, Math.max(0, limit)).map((x) => x.id);
    }
    const next = new Map<number, number>();
    for (const [id, at] of before) if (listed.has(id)) next.set(id, at);
    for (const id of chosen) next.set(id, round);
    this.lastRead.set(key, next);
    return chosen;
  }
}
