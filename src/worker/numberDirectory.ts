/**
 * Reads the numbers of chunked batches for placeCall: one query per chunk to its number-chunk
 * workflow, then from memory. Chunks never change, so a cached one is never stale.
 */
import type { Client } from '@temporalio/client';
import type { NumberDirectory } from '../activities';
import { numberChunkQuery, type NumberChunk } from '../workflows/definitions';

/** 64 chunks of 5,000 numbers: some 20 MB, enough for several large campaigns dialling at once. */
const DEFAULT_CACHED_CHUNKS = 64;

export function numberDirectory(client: Client, cachedChunks = DEFAULT_CACHED_CHUNKS): NumberDirectory {
  // Insertion order is recency order: a hit is re-inserted, the oldest entry is evicted first.
  const cache = new Map<string, Promise<NumberChunk>>();

  function chunkOf(workflowId: string): Promise<NumberChunk> {
    const cached = cache.get(workflowId);
    if (cached) {
      cache.delete(workflowId);
      cache.set(workflowId, cached);
      return cached;
    }
    const loading = client.workflow.getHandle(workflowId).query(numberChunkQuery);
    // A failed read is not kept: the activity's retry asks again.
    loading.catch(() => cache.delete(workflowId));
    cache.set(workflowId, loading);
    if (cache.size > cachedChunks) cache.delete(cache.keys().next().value!);
    return loading;
  }

  return {
    async numberAt(chunkWorkflowId, numberIndex) {
      const held = await chunkOf(chunkWorkflowId);
      const number = held.numbers[numberIndex - held.first];
      if (number === undefined) throw new Error(`number ${numberIndex} is not held by ${chunkWorkflowId}`);
      return number;
    },
  };
}
