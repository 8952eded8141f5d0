/** The worker's number directory: one query per chunk, then memory; failures are not kept. */
import type { Client } from '@temporalio/client';
import type { NumberChunk } from '../../src/workflows/definitions';
import { numberDirectory } from '../../src/worker/numberDirectory';

function fakeClient(chunks: Record<string, NumberChunk>, failFirst = new Set<string>()) {
  const queried: string[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        query: async () => {
          queried.push(workflowId);
          if (failFirst.delete(workflowId)) throw new Error('server unavailable');
          const chunk = chunks[workflowId];
          if (!chunk) throw new Error('not found');
          return chunk;
        },
      }),
    },
  } as unknown as Client;
  return { client, queried };
}

const chunks: Record<string, NumberChunk> = {
  k0: { campaignId: 'c', first: 0, numbers: ['+8613800000000', '+8613800000001'] },
  k1: { campaignId: 'c', first: 2, numbers: ['+8613800000002'] },
};

it('queries each chunk once, then answers from memory, by index within the batch', async () => {
  const { client, queried } = fakeClient(chunks);
  const numbers = numberDirectory(client);
  const read = await Promise.all([numbers.numberAt('k0', 1), numbers.numberAt('k0', 0), numbers.numberAt('k1', 2)]);
  expect(read).toEqual(['+8613800000001', '+8613800000000', '+8613800000002']);
  await numbers.numberAt('k0', 0);
  expect(queried).toEqual(['k0', 'k1']);
  await expect(numbers.numberAt('k1', 3)).rejects.toThrow(/not held/);
});

it('keeps the most recently used chunks only, and does not keep a failed read', async () => {
  const { client, queried } = fakeClient(chunks, new Set(['k1']));
  const numbers = numberDirectory(client, 1);
  await numbers.numberAt('k0', 0);
  await expect(numbers.numberAt('k1', 2)).rejects.toThrow('server unavailable');
  await expect(numbers.numberAt('k1', 2)).resolves.toBe('+8613800000002'); // asked again
  await numbers.numberAt('k0', 0); // evicted by k1: asked again
  expect(queried).toEqual(['k0', 'k1', 'k1', 'k0']);
});
