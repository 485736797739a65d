/**
 * The step agents of one job pod under `eci-virtual run`, as the steps reach them: per container, ONE exec running
 * `eci-agent dial` (step-transport/exec-dial.ts), opened when the container's first step comes and carrying every
 * later step of that container; a new exec only after the stream dropped. A container whose agent cannot dial (an
 * agent image from before `dial`, or a failure to reach it) gets no client, its steps take the exec path (one exec
 * each), and the reason is said once.
 */
import { describeError, isErrorCode } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import { AgentClient } from '../step-transport/agent/client.js';
import { ExecDial } from '../step-transport/exec-dial.js';

export interface AgentLink {
  client: AgentClient;
  dial: ExecDial;
}

/** Attempts to bring a container's stream up before falling back (a throttled or briefly refused exec). */
const OPEN_ATTEMPTS = 3;
/**
 * Fruitless reconnects in a row before a step's stream is given up: about 15 s of backoff, as long as the exec path
 * keeps trying, enough for a virtual node to restart.
 */
const RECONNECTS = 12;

export class PodAgents {
  private readonly links = new Map<string, Promise<AgentLink | undefined>>();
  /** Execs of streams that never came up (a container that fell back). */
  private failedExecs = 0;

  constructor(
    private readonly transport: ExecTransport,
    private readonly pod: { namespace: string; name: string },
    private readonly log: Logger,
    /** Told once per container that falls back to one exec per step, with why. */
    private readonly warn: (message: string) => void,
  ) {}

  /** The container's agent, dialled on first use; undefined when its steps must use one exec each. */
  link(container: string): Promise<AgentLink | undefined> {
    let link = this.links.get(container);
    if (!link) {
      link = this.open(container);
      this.links.set(container, link);
    }
    return link;
  }

  /** Execs spent on the agent streams of every container so far. */
  async execs(): Promise<number> {
    let n = this.failedExecs;
    for (const link of this.links.values()) n += (await link)?.dial.execs ?? 0;
    return n;
  }

  /** Ends every stream (each one's exec ends with it). */
  async close(): Promise<void> {
    for (const link of this.links.values()) {
      const l = await link;
      l?.client.close();
      l?.dial.close();
    }
    this.links.clear();
  }

  private async open(container: string): Promise<AgentLink | undefined> {
    const dial = new ExecDial(this.transport, { pod: this.pod, container }, this.log);
    for (let attempt = 1; ; attempt++) {
      try {
        const { token } = await dial.open();
        this.log.debug('agent stream open', { container, execs: dial.execs });
        const client = new AgentClient({
          connect: dial.connect,
          endpointName: dial.name,
          token,
          maxReconnects: RECONNECTS,
        });
        return { client, dial };
      } catch (err) {
        if (isErrorCode(err, 'MissingTool') || attempt >= OPEN_ATTEMPTS) {
          this.warn(`steps in container ${container} use one exec each: ${describeError(err)}`);
          this.log.warn('agent stream unavailable; falling back to one exec per step', {
            container,
            err: describeError(err),
          });
          dial.close();
          this.failedExecs += dial.execs;
          return undefined;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }
}
