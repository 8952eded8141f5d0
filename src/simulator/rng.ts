/**
 * Seeded randomness. Each call draws from its own stream, seeded by (seed, callId), so a call's
 * outcome does not depend on the order in which concurrent calls reach the simulator.
 */

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for simulation; returns floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function rngFor(seed: number, key: string): Rng {
  return mulberry32(hashString(`${seed}:${key}`));
}

export function uniform(rng: Rng, [min, max]: readonly [number, number]): number {
  return min + (max - min) * rng();
}
