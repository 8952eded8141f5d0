/**
 * Faults the simulator injects on purpose, switchable at run time (`POST /_sim/faults`) so a test can
 * turn them on and off in phases while the dialer runs in other processes. Counts what it injected.
 */
import { z } from 'zod';
import type { Rng } from './rng';

const rate = z.number().min(0).max(1);
const delayRange = z
  .tuple([z.number().int().min(0).max(60_000), z.number().int().min(0).max(60_000)])
  .refine(([min, max]) => min <= max, 'min must not exceed max');

export const faultsSchema = z
  .object({
    /** Share of `POST /calls` answered 503 without placing the call. */
    callErrorRate: rate,
    /** Share of `POST /calls` never answered (the caller times out); the call is not placed. */
    callHangRate: rate,
    /** Share of `POST /calls` that place the call, then drop the connection before answering. */
    callLostResponseRate: rate,
    /** Share of webhook deliveries never sent, and sent twice. */
    webhookDropRate: rate,
    webhookDuplicateRate: rate,
    /** Share of webhook deliveries sent outside their per-call/per-agent order, after an extra delay. */
    webhookReorderRate: rate,
    /** Each webhook delivery waits this long (ms, uniform) before its first attempt. */
    webhookDelayMs: delayRange,
    /** `GET /agents` answers 503 and agent changes push no webhook (they are lost, as in an outage). */
    agentSystemDown: z.boolean(),
  })
  .strict();

export type Faults = z.output<typeof faultsSchema>;

export const faultsPatchSchema = faultsSchema
  .partial()
  .strict()
  .refine((f) => (f.callErrorRate ?? 0) + (f.callHangRate ?? 0) + (f.callLostResponseRate ?? 0) <= 1 + 1e-9, {
    message: 'callErrorRate + callHangRate + callLostResponseRate must not exceed 1',
    path: ['callErrorRate'],
  });

export type FaultsPatch = z.input<typeof faultsPatchSchema>;

export const NO_FAULTS: Faults = {
  callErrorRate: 0,
  callHangRate: 0,
  callLostResponseRate: 0,
  webhookDropRate: 0,
  webhookDuplicateRate: 0,
  webhookReorderRate: 0,
  webhookDelayMs: [0, 0],
  agentSystemDown: false,
};

export type CallFault = 'error' | 'hang' | 'lost-response';

export interface InjectedFaults {
  callErrors: number;
  callHangs: number;
  callLostResponses: number;
  webhooksWithheld: number;
  webhooksDuplicated: number;
  webhooksReordered: number;
  webhooksDelayed: number;
  agentListingsRefused: number;
  agentWebhooksLost: number;
}

export class FaultSwitch {
  private faults: Faults;
  private readonly counts: InjectedFaults = {
    callErrors: 0,
    callHangs: 0,
    callLostResponses: 0,
    webhooksWithheld: 0,
    webhooksDuplicated: 0,
    webhooksReordered: 0,
    webhooksDelayed: 0,
    agentListingsRefused: 0,
    agentWebhooksLost: 0,
  };

  /** `rng` drives every fault draw; separate from call outcomes so faults never change them. */
  constructor(
    initial: FaultsPatch,
    private readonly rng: Rng,
  ) {
    this.faults = { ...NO_FAULTS };
    this.update(initial);
  }

  get current(): Faults {
    return { ...this.faults };
  }

  get injected(): InjectedFaults {
    return { ...this.counts };
  }

  /** Applies a validated patch; the call fault rates are checked together, as they share one draw. */
  update(patch: FaultsPatch): Faults {
    const merged = { ...this.faults, ...faultsPatchSchema.parse(patch) };
    faultsPatchSchema.parse(merged);
    this.faults = merged;
    return this.current;
  }

  /** The fault to play on one `POST /calls`, if any. */
  callFault(): CallFault | null {
    const { callErrorRate, callHangRate, callLostResponseRate } = this.faults;
    if (callErrorRate + callHangRate + callLostResponseRate === 0) return null;
    const u = this.rng();
    if (u < callErrorRate) {
      this.counts.callErrors++;
      return 'error';
    }
    if (u < callErrorRate + callHangRate) {
      this.counts.callHangs++;
      return 'hang';
    }
    if (u < callErrorRate + callHangRate + callLostResponseRate) {
      this.counts.callLostResponses++;
      return 'lost-response';
    }
    return null;
  }

  /** How one webhook is delivered: how many copies, whether outside its queue, after what delay. */
  webhookPlan(): { copies: 0 | 1 | 2; reorder: boolean; delayMs: number } {
    const f = this.faults;
    if (this.draw(f.webhookDropRate)) {
      this.counts.webhooksWithheld++;
      return { copies: 0, reorder: false, delayMs: 0 };
    }
    const copies = this.draw(f.webhookDuplicateRate) ? 2 : 1;
    if (copies === 2) this.counts.webhooksDuplicated++;
    const reorder = this.draw(f.webhookReorderRate);
    const [min, max] = f.webhookDelayMs;
    let delayMs = max > 0 ? Math.round(min + (max - min) * this.rng()) : 0;
    // Held back past the deliveries queued after it, so a later status can overtake it.
    if (reorder) {
      this.counts.webhooksReordered++;
      delayMs += max + 200;
    }
    if (delayMs > 0) this.counts.webhooksDelayed++;
    return { copies, reorder, delayMs };
  }

  /** True (and counted) when the agent system is down and so refuses its listing. */
  refuseAgentListing(): boolean {
    if (this.faults.agentSystemDown) this.counts.agentListingsRefused++;
    return this.faults.agentSystemDown;
  }

  /** True (and counted) when an agent change is lost because the agent system is down. */
  loseAgentWebhook(): boolean {
    if (this.faults.agentSystemDown) this.counts.agentWebhooksLost++;
    return this.faults.agentSystemDown;
  }

  private draw(rate: number): boolean {
    return rate > 0 && this.rng() < rate;
  }
}
