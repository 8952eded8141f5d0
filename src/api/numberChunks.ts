/**
 * A campaign's batch split into number-chunk workflows, started before the campaign itself so the
 * campaign can dial from its first moment. Each chunk is one small payload, whatever the batch size.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  type NumberChunk,
  type NumberChunks,
  NUMBERS_PER_CHUNK,
  NUMBERS_WORKFLOW_TYPE,
  numbersWorkflowId,
} from '../workflows/definitions';
import { ApiError } from './errors';
import { withDeadline } from './temporal';

/** Each chunk's payload stays under this, well below the 512 KiB we allow any payload. */
export const MAX_CHUNK_BYTES = 256 * 1024;
/** Chunk workflows one campaign may start: 100,000 numbers of plain numbers take 20. */
export const MAX_CHUNKS = 200;

/** Chunks started at once: enough to start 100,000 numbers in about a second without a burst of RPCs. */
const PARALLEL_STARTS = 8;
/** A backstop for chunks whose campaign never released them (ended from the UI): a year. */
const CHUNK_LIFETIME = '365 days';

type NumbersWorkflow = (chunk: NumberChunk) => Promise<void>;

export interface ChunkedBatch {
  chunks: NumberChunks;
  slices: NumberChunk[];
}

/**
 * Splits the batch into equal chunks (so a number's chunk is its index / perChunk), as large as
 * NUMBERS_PER_CHUNK allows and small enough that the widest row's chunk stays under MAX_CHUNK_BYTES.
 */
export function chunkBatch(
  campaignId: string,
  numbers: readonly string[],
  contacts: ReadonlyArray<Record<string, string>> | undefined,
  {
    maxPerChunk = NUMBERS_PER_CHUNK,
    first = 0,
    batchKey = randomBytes(4).toString('hex'),
  }: { maxPerChunk?: number; first?: number; batchKey?: string } = {},
): ChunkedBatch {
  const widest = numbers.reduce(
    (max, n, i) => Math.max(max, Buffer.byteLength(JSON.stringify(n)) + Buffer.byteLength(JSON.stringify(contacts?.[i] ?? {})) + 2),
    1,
  );
  if (widest > MAX_CHUNK_BYTES) {
    throw new ApiError('payload_too_large', `a row carries more than ${MAX_CHUNK_BYTES} bytes of contact data`, {
      limitBytes: MAX_CHUNK_BYTES,
    });
  }
  const perChunk = Math.max(1, Math.min(maxPerChunk, Math.floor(MAX_CHUNK_BYTES / widest)));
  const count = Math.ceil(numbers.length / perChunk);
  if (count > MAX_CHUNKS) {
    const message = `the batch needs ${count} chunks of ${MAX_CHUNK_BYTES} bytes, more than ${MAX_CHUNKS}: send fewer numbers or less contact data`;
    throw new ApiError('payload_too_large', message, { limitChunks: MAX_CHUNKS, limitBytes: MAX_CHUNK_BYTES });
  }
  // The batch a campaign starts with keeps the shape it always had (no `first`), for older code reading it.
  const chunks: NumberChunks = { ...(first === 0 ? {} : { first }), total: numbers.length, perChunk, batchKey };
  const slices: NumberChunk[] = [];
  for (let at = 0; at < numbers.length; at += perChunk) {
    const slice: NumberChunk = { campaignId, first: first + at, numbers: numbers.slice(at, at + perChunk) };
    if (contacts) slice.contacts = contacts.slice(at, at + perChunk);
    slices.push(slice);
  }
  return { chunks, slices };
}

/** Starts every chunk; on any failure, ends those already started and rethrows. */
export async function startNumberChunks(client: Client, taskQueue: string, batch: ChunkedBatch): Promise<void> {
  const started: string[] = [];
  const pending = [...batch.slices];
  const startNext = async (): Promise<void> => {
    for (let slice = pending.shift(); slice; slice = pending.shift()) {
      const workflowId = numbersWorkflowId(slice.campaignId, batch.chunks, slice.first);
      await withDeadline(client, () =>
        client.workflow.start<NumbersWorkflow>(NUMBERS_WORKFLOW_TYPE, {
          workflowId,
          taskQueue,
          args: [slice],
          workflowExecutionTimeout: CHUNK_LIFETIME,
        }),
      );
      started.push(workflowId);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_STARTS, pending.length) }, startNext));
  } catch (err) {
    await endNumberChunks(client, started);
    throw err;
  }
}

/** Best effort: chunks of a campaign that did not start hold numbers nobody will read. */
export async function endNumberChunks(client: Client, workflowIds: readonly string[]): Promise<void> {
  await Promise.all(
    workflowIds.map((id) =>
      client.workflow
        .getHandle(id)
        .terminate('its campaign was not started')
        .catch(() => undefined),
    ),
  );
}

export function chunkWorkflowIds(batch: ChunkedBatch): string[] {
  return batch.slices.map((s) => numbersWorkflowId(s.campaignId, batch.chunks, s.first));
}
