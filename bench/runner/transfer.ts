import { deserialize, serialize } from 'node:v8';
import type { Episode } from '../../core/index.js';

/**
 * Parts of an episode that the episodes of one dataset share by reference (the policy
 * knowledge, the intent profile, the tool definitions). Strategies cache what they build from
 * them by identity (a knowledge base, a trained router), so a worker must see one object per
 * shared part, not one copy per episode.
 */
const SHARED_PARTS = ['knowledge', 'intentProfile', 'tools'] as const;
type SharedPart = (typeof SHARED_PARTS)[number];

/** Below this size a shared part is copied with its episode; above, it crosses once as shared memory. */
const INLINE_BYTES = 2048;

/** A shared part that crosses to the workers once: its id and its serialized bytes in shared memory. */
interface SharedRef {
  id: number;
  bytes: SharedArrayBuffer;
}

/** An episode as posted to a worker: shared parts replaced by references. */
export interface PackedEpisode {
  episode: Omit<Episode, SharedPart>;
  shared: Partial<Record<SharedPart, SharedRef | { inline: unknown }>>;
}

/** Packs episodes for worker threads, serializing each shared object once per run. */
export class EpisodePacker {
  private readonly refs = new WeakMap<object, SharedRef | { inline: unknown }>();
  private nextId = 1;

  pack(episode: Episode): PackedEpisode {
    const { knowledge, intentProfile, tools, ...rest } = episode;
    const parts: Partial<Record<SharedPart, unknown>> = { knowledge, intentProfile, tools };
    const shared: PackedEpisode['shared'] = {};
    for (const part of SHARED_PARTS) {
      const value = parts[part];
      if (value !== undefined) shared[part] = this.ref(value as object);
    }
    return { episode: rest, shared };
  }

  private ref(value: object): SharedRef | { inline: unknown } {
    let ref = this.refs.get(value);
    if (!ref) {
      const serialized = serialize(value);
      if (serialized.length < INLINE_BYTES) ref = { inline: value };
      else {
        const bytes = new SharedArrayBuffer(serialized.length);
        new Uint8Array(bytes).set(serialized);
        ref = { id: this.nextId++, bytes };
      }
      this.refs.set(value, ref);
    }
    return ref;
  }
}

/** Most shared parts a worker keeps (a few per dataset); the oldest is dropped first. */
const KEPT_PARTS = 64;

/** Unpacks episodes in a worker: every reference to one shared part yields the same object. */
export class EpisodeUnpacker {
  private readonly parts = new Map<number, unknown>();

  unpack({ episode, shared }: PackedEpisode): Episode {
    const restored: Partial<Record<SharedPart, unknown>> = {};
    for (const part of SHARED_PARTS) {
      const ref = shared[part];
      if (ref) restored[part] = 'inline' in ref ? ref.inline : this.part(ref);
    }
    return { ...episode, ...restored } as Episode;
  }

  private part({ id, bytes }: SharedRef): unknown {
    let value = this.parts.get(id);
    if (value === undefined) {
      value = deserialize(new Uint8Array(bytes));
      this.parts.set(id, value);
      if (this.parts.size > KEPT_PARTS) this.parts.delete(this.parts.keys().next().value!);
    } else {
      // Re-inserted so that the map's order is least recently used first.
      this.parts.delete(id);
      this.parts.set(id, value);
    }
    return value;
  }
}
