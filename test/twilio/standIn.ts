/**
 * A local stand-in for Twilio's REST API, enough of it for the dialler: create a call, list calls
 * (To, From and StartTime filters, newest first, pages) and fetch one, behind basic auth with the
 * account SID and auth token. Each call then lives: initiated, ringing, answered (its TwiML is read
 * to find who it bridges to) and an end, and every change is posted to its StatusCallback as Twilio
 * posts it: form-encoded, signed with X-Twilio-Signature by the library's own algorithm.
 *
 * It also plays the agent system (GET /agents): an agent is busy while a call is bridged to them.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import twilio from 'twilio';

export type TwilioEnd = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
type TwilioStatus = 'queued' | 'ringing' | 'in-progress' | TwilioEnd;

export interface StandInOptions {
  accountSid: string;
  authToken: string;
  /** The only number calls may come from. */
  from: string;
  agents?: string[];
  /** How each call ends, by number dialled; default: answered, then completed. */
  endOf?: (to: string) => TwilioEnd;
  ringMs?: number;
  talkMs?: number;
  /** Numbers whose final status callback is lost on the way (the dialler must look the call up). */
  loseFinalCallbackOf?: (to: string) => boolean;
}

export interface Bridge {
  kind: 'Client' | 'Sip' | 'Number';
  target: string;
}

export interface StandInCall {
  sid: string;
  to: string;
  from: string;
  twiml: string;
  statusCallback: string;
  statusCallbackEvents: string[];
  statusCallbackMethod: string;
  status: TwilioStatus;
  dateCreated: Date;
  startTime: Date | null;
  endTime: Date | null;
  duration: number | null;
  /** Whom the TwiML bridged the answered call to. */
  bridgedTo: Bridge | null;
  /** Each status callback posted, with the API's answer (0: not delivered). */
  callbacks: Array<{ callStatus: string; answer: number }>;
}

export interface TwilioStandIn {
  url: string;
  calls: StandInCall[];
  /** Every request, as `METHOD /path?query`. */
  requests: string[];
  /** The next `count` creates fail with `status` and Twilio's error body, creating nothing. */
  failCreates(count: number, status: number, code?: number): void;
  /** The next create places the call, then drops the connection before answering. */
  loseNextCreateAnswer(): void;
  /** The next `count` lists fail with `status`. */
  failLists(count: number, status: number): void;
  /** A call already there (an earlier attempt, another campaign), at its own time. */
  addCall(fields: Partial<StandInCall> & Pick<StandInCall, 'to'>): StandInCall;
  /** Signs and posts a status callback of `call`, as Twilio would. */
  postCallback(call: StandInCall, callStatus: string, extra?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/** Twilio's RFC 2822 dates: "Tue, 10 Aug 2021 17:45:00 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** What Twilio sends to a webhook: the form body and its X-Twilio-Signature over the URL and fields. */
export function signedTwilioForm(authToken: string, url: string, fields: Record<string, string>) {
  return {
    body: new URLSearchParams(fields).toString(),
    signature: twilio.getExpectedTwilioSignature(authToken, url, fields),
  };
}

const BRIDGE = /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Dial><(Client|Sip|Number)>([^<]+)<\/\1><\/Dial><\/Response>$/;

function bridgeOf(twiml: string): Bridge | null {
  const m = BRIDGE.exec(twiml);
  return m ? { kind: m[1] as Bridge['kind'], target: m[2]! } : null;
}

const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export async function startTwilioStandIn(options: StandInOptions): Promise<TwilioStandIn> {
  const { accountSid, authToken } = options;
  const ringMs = options.ringMs ?? 50;
  const talkMs = options.talkMs ?? 100;
  const calls: StandInCall[] = [];
  const requests: string[] = [];
  const createFaults: Array<{ status: number; code: number } | 'lose'> = [];
  const listFaults: number[] = [];
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const base = `/2010-04-01/Accounts/${accountSid}`;
  const error = (res: Response, status: number, code: number, message: string) =>
    res.status(status).json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

  function json(call: StandInCall) {
    return {
      sid: call.sid,
      account_sid: accountSid,
      to: call.to,
      to_formatted: call.to,
      from: call.from,
      from_formatted: call.from,
      status: call.status,
      start_time: call.startTime && rfc2822(call.startTime),
      end_time: call.endTime && rfc2822(call.endTime),
      duration: call.duration === null ? null : String(call.duration),
      date_created: rfc2822(call.dateCreated),
      date_updated: rfc2822(call.endTime ?? call.startTime ?? call.dateCreated),
      direction: 'outbound-api',
      api_version: '2010-04-01',
      price: null,
      price_unit: 'USD',
      parent_call_sid: null,
      phone_number_sid: null,
      answered_by: null,
      caller_name: null,
      forwarded_from: null,
      group_sid: null,
      queue_time: '0',
      trunk_sid: null,
      uri: `${base}/Calls/${call.sid}.json`,
      subresource_uris: {},
    };
  }

  async function postCallback(call: StandInCall, callStatus: string, extra: Record<string, string> = {}): Promise<number> {
    const fields: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: callStatus,
      Called: call.to,
      Caller: call.from,
      Direction: 'outbound-api',
      From: call.from,
      To: call.to,
      Timestamp: rfc2822(new Date()),
      SequenceNumber: String(call.callbacks.length),
      CallbackSource: 'call-progress-events',
      ...extra,
    };
    const { body, signature } = signedTwilioForm(authToken, call.statusCallback, fields);
    let answer = 0;
    try {
      const res = await fetch(call.statusCallback, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body,
      });
      answer = res.status;
    } catch {
      // Twilio gives up on a callback it cannot deliver; the dialler looks the call up later.
    }
    call.callbacks.push({ callStatus, answer });
    return answer;
  }

  /** A change of the call, posted when its event was asked for (the final one always is). */
  async function change(call: StandInCall, status: TwilioStatus, event: string, callStatus: string = status): Promise<void> {
    call.status = status;
    const isFinal = event === 'completed';
    if (isFinal && options.loseFinalCallbackOf?.(call.to)) return;
    if (!isFinal && !call.statusCallbackEvents.includes(event)) return;
    await postCallback(call, callStatus, call.duration === null ? {} : { CallDuration: String(call.duration) });
  }

  function after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  /** initiated → ringing → answered (bridged) → completed, or an end without an answer. */
  async function live(call: StandInCall): Promise<void> {
    await after(5);
    call.startTime = new Date();
    // The resource stays queued; the callback of the event says initiated.
    await change(call, 'queued', 'initiated', 'initiated');
    await after(5);
    await change(call, 'ringing', 'ringing');
    await after(ringMs);
    const end = options.endOf?.(call.to) ?? 'completed';
    if (end === 'completed') {
      call.bridgedTo = bridgeOf(call.twiml);
      if (call.bridgedTo === null) {
        // TwiML Twilio cannot run: the call fails right after the answer.
        call.endTime = new Date();
        call.duration = 0;
        await change(call, 'failed', 'completed');
        return;
      }
      await change(call, 'in-progress', 'answered');
      await after(talkMs);
      call.duration = Math.max(1, Math.round(talkMs / 1000));
    } else {
      call.duration = 0;
    }
    call.endTime = new Date();
    await change(call, end, 'completed');
  }

  function addCall(fields: Partial<StandInCall> & Pick<StandInCall, 'to'>): StandInCall {
    const call: StandInCall = {
      sid: `CA${randomBytes(16).toString('hex')}`,
      from: options.from,
      twiml: '',
      statusCallback: '',
      statusCallbackEvents: [],
      statusCallbackMethod: 'POST',
      status: 'queued',
      dateCreated: new Date(),
      startTime: null,
      endTime: null,
      duration: null,
      bridgedTo: null,
      callbacks: [],
      ...fields,
    };
    calls.push(call);
    return call;
  }

  const app = express();
  app.use((req, _res, next) => {
    requests.push(`${req.method} ${req.originalUrl}`);
    next();
  });

  app.get('/agents', (_req, res) => {
    const onCall = new Set(calls.filter((c) => c.status === 'in-progress').map((c) => c.bridgedTo?.target));
    res.json({ agents: (options.agents ?? []).map((id) => ({ id, status: onCall.has(id) ? 'busy' : 'idle' })) });
  });

  app.use('/2010-04-01', (req, res, next) => {
    const [scheme, encoded] = (req.get('authorization') ?? '').split(' ');
    const [user, password] = Buffer.from(encoded ?? '', 'base64').toString().split(':');
    if (scheme !== 'Basic' || user !== accountSid || password !== authToken) {
      error(res, 401, 20003, 'Authenticate');
      return;
    }
    next();
  });

  app.post(`${base}/Calls.json`, express.urlencoded({ extended: false }), (req, res) => {
    const fault = createFaults.shift();
    if (fault !== undefined && fault !== 'lose') {
      error(res, fault.status, fault.code, `injected fault ${fault.code}`);
      return;
    }
    const body = req.body as Record<string, string | string[] | undefined>;
    const to = one(body.To);
    if (to === undefined || !/^\+[1-9]\d{6,14}$/.test(to)) {
      error(res, 400, 21211, `The 'To' number ${to ?? ''} is not a valid phone number.`);
      return;
    }
    if (one(body.From) !== options.from) {
      error(res, 400, 21212, `The 'From' number ${one(body.From) ?? ''} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
      return;
    }
    const twiml = one(body.Twiml);
    if (twiml === undefined) {
      error(res, 400, 21205, 'Url or Twiml parameter is required.');
      return;
    }
    const events = body.StatusCallbackEvent;
    const call = addCall({
      to,
      twiml,
      statusCallback: one(body.StatusCallback) ?? '',
      statusCallbackEvents: Array.isArray(events) ? events : events === undefined ? [] : [events],
      statusCallbackMethod: one(body.StatusCallbackMethod) ?? 'POST',
    });
    void live(call);
    if (fault === 'lose') {
      // The call is placed, and its answer never arrives.
      req.socket.destroy();
      return;
    }
    res.status(201).json(json(call));
  });

  app.get(`${base}/Calls.json`, (req, res) => {
    const failure = listFaults.shift();
    if (failure !== undefined) {
      error(res, failure, 20500, 'injected fault');
      return;
    }
    const q = req.query as Record<string, string | undefined>;
    // StartTime filters are by date (YYYY-MM-DD, UTC); a date-time, as the library sends it, counts by its date.
    const day = (date: Date | null) => (date === null ? null : date.toISOString().slice(0, 10));
    const dayOf = (text: string) => text.slice(0, 10);
    const matching = calls
      .filter((c) => q.To === undefined || c.to === q.To)
      .filter((c) => q.From === undefined || c.from === q.From)
      .filter((c) => q.StartTime === undefined || day(c.startTime) === dayOf(q.StartTime))
      .filter((c) => q['StartTime>'] === undefined || (c.startTime !== null && day(c.startTime)! >= dayOf(q['StartTime>'])))
      .filter((c) => q['StartTime<'] === undefined || (c.startTime !== null && day(c.startTime)! <= dayOf(q['StartTime<'])))
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
    const pageSize = Math.min(1000, Number(q.PageSize ?? 50));
    const page = Number(q.Page ?? 0);
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const more = (page + 1) * pageSize < matching.length;
    const pageUri = (p: number) => `${base}/Calls.json?PageSize=${pageSize}&Page=${p}`;
    res.json({
      calls: slice.map(json),
      end: page * pageSize + slice.length - 1,
      first_page_uri: pageUri(0),
      next_page_uri: more ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: page * pageSize,
      uri: req.originalUrl,
    });
  });

  app.get(`${base}/Calls/:sid.json`, (req, res) => {
    const call = calls.find((c) => c.sid === req.params.sid);
    if (!call) {
      error(res, 404, 20404, `The requested resource ${req.path} was not found`);
      return;
    }
    res.json(json(call));
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    requests,
    failCreates(count, status, code = status === 429 ? 20429 : 20500) {
      for (let i = 0; i < count; i++) createFaults.push({ status, code });
    },
    loseNextCreateAnswer() {
      createFaults.push('lose');
    },
    failLists(count, status) {
      for (let i = 0; i < count; i++) listFaults.push(status);
    },
    addCall,
    postCallback,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
