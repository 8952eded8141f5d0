/**
 * The built-in simulator: one HTTP server playing both the telephony provider and the agent system,
 * speaking exactly the contract's HTTP, and keeping a ledger of what the dialer did.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLogger } from '../logger';
import type { AgentStatus, AgentStatusReport } from '../shared/types';
import { AgentDirectory } from './agents';
import { FaultSwitch, type Faults, type FaultsPatch, type InjectedFaults } from './faults';
import { CallEngine } from './calls';
import { DispositionDesk } from './dispositions';
import { SimClock } from './clock';
import { Ledger, type DispositionRecord, type LedgerSnapshot } from './ledger';
import { agentIdsOf, dispositionWebhookUrlOf, resolveOptions, type SimulatorOptions } from './options';
import { hashString, mulberry32 } from './rng';
import { createApp } from './routes';
import { WebhookSender, type WebhookStats } from './webhooks';

export type { CallRecord, DispositionRecord, LedgerSnapshot, Violation, ViolationType } from './ledger';
export type { Faults, FaultsPatch, InjectedFaults } from './faults';
export { SimulatorOptionsError, type SimulatorOptions } from './options';
export { UnknownAgentError } from './agents';
export { signWebhook } from './webhooks';

export interface Simulator {
  /** Listens on the `host` option (127.0.0.1 by default); port 0 picks a free port. */
  start(port?: number): Promise<{ url: string; port: number }>;
  /** Stops call timers, webhook deliveries and retries, and the server. Safe to call twice. */
  stop(): Promise<void>;
  ledger(): LedgerSnapshot;
  /** The dispositions the agents sent, in order: `ledger().dispositions` alone. */
  dispositions(): DispositionRecord[];
  /** Sets an agent's status in the agent system and pushes the agent webhook. Throws UnknownAgentError. */
  setAgentStatus(agentId: string, status: AgentStatus): void;
  /** The seed in use (the given one, or the random one picked when none was given). */
  readonly seed: number;
  /** Webhook delivery counters. */
  webhookStats(): WebhookStats;
  /** Changes the injected faults (validated; throws a ZodError on a bad patch). */
  setFaults(patch: FaultsPatch): Faults;
  faults(): { faults: Faults; injected: InjectedFaults };
  /** Resolves when no webhook is queued or being retried (more may be queued later by running calls). */
  webhooksIdle(): Promise<void>;
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const o = resolveOptions(options);
  const logger = o.logger ?? createLogger('simulator');
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);

  const ledger = new Ledger();
  const clock = new SimClock(o.timeScale);
  const faults = new FaultSwitch(o.faults, mulberry32(hashString(`${seed}:faults`)));
  const webhooks = new WebhookSender({ secret: o.webhookSecret, retry: o.webhookRetry, faults, logger });
  const agents = new AgentDirectory(agentIdsOf(o.agents), (change) => {
    const { agentId, status } = change;
    logger.debug({ agentId, status }, 'agent status');
    if (!o.agentWebhookUrl || faults.loseAgentWebhook()) return;
    const body: AgentStatusReport = { agentId, status, timestamp: new Date().toISOString() };
    webhooks.send(`agent:${agentId}`, o.agentWebhookUrl, body, () => agents.markReported(change));
  });
  const desk = new DispositionDesk({
    profile: o.dispositions,
    seed,
    timeScale: o.timeScale,
    webhooks,
    ledger,
    url: dispositionWebhookUrlOf(o),
    logger,
  });
  const engine = new CallEngine({
    onAnsweredEnd: (callId, agentId) => desk.afterAnsweredCall(callId, agentId),
    ledger,
    agents,
    webhooks,
    clock,
    profile: o,
    seed,
    agentReportGraceMs: o.agentReportGraceMs,
    logger,
  });
  const app = createApp({
    engine,
    agents,
    ledger,
    desk,
    faults,
    apiKey: o.apiKey,
    logger,
    health: () => ({ seed, calls: ledger.size, liveCalls: ledger.liveCount, webhooks: webhooks.counts }),
  });

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;

  return {
    seed,
    async start(port = 0) {
      if (server) throw new Error('simulator already started');
      if (stopping) throw new Error('simulator was stopped; create a new one');
      const listening = app.listen(port, o.host);
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('listening', resolve);
        listening.once('error', reject);
      });
      const actual = (listening.address() as AddressInfo).port;
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      return { url: `http://${host}:${actual}`, port: actual };
    },
    stop() {
      stopping ??= (async () => {
        clock.stop();
        const closed = server
          ? new Promise<void>((resolve) => server!.close(() => resolve()))
          : Promise.resolve();
        // Keep-alive clients would otherwise hold close() open until they time out.
        server?.closeAllConnections();
        await Promise.all([webhooks.stop(), closed]);
      })();
      return stopping;
    },
    ledger: () => ledger.snapshot(),
    dispositions: () => ledger.snapshot().dispositions,
    setAgentStatus: (agentId, status) => agents.set(agentId, status),
    webhookStats: () => webhooks.counts,
    setFaults: (patch) => faults.update(patch),
    faults: () => ({ faults: faults.current, injected: faults.injected }),
    webhooksIdle: () => webhooks.idle(),
  };
}
