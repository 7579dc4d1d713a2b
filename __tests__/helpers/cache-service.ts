/**
 * The results service's Twirp CacheService (cache service v2), enough for the REAL @actions/cache@6:
 * CreateCacheEntry, FinalizeCacheEntryUpload and GetCacheEntryDownloadURL, with blobs like artifacts'.
 * As on GitHub, entries live in scopes (refs) and the runtime token's `ac` claim says which scopes a
 * job may read and write: a pull request reads its own ref, then its base and default branches, and
 * writes only its own. An entry is (scope, key, version) and immutable; a restore looks, scope by
 * scope, for the exact key, then the newest entry prefixed by the key, then by each restore key in
 * order, always of the same version (paths + compression).
 */
import { newBlob, type Blob } from './blob-storage.ts';
import { TwirpError } from './twirp.ts';

/** One entry of the token's `ac` claim: Permission 1 = read, 2 = write, 3 = both. */
export interface CacheScope {
  Scope: string;
  Permission: number;
}

/** What a push to main gets. */
export const DEFAULT_CACHE_SCOPES: readonly CacheScope[] = [{ Scope: 'refs/heads/main', Permission: 3 }];

export interface StoredCacheEntry {
  id: number;
  scope: string;
  key: string;
  version: string;
  size: number;
  finalized: boolean;
}

type Entry = StoredCacheEntry & { blob: Blob; sequence: number };

const READ = 1;
const WRITE = 2;

export function createCacheService(signedUrl: (permission: 'r' | 'w', entry: StoredCacheEntry) => string, nextId: () => number) {
  const entries: Entry[] = [];
  let sequence = 0;

  const text = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value === '') throw new TwirpError('invalid_argument', `${field} is required`);
    return value;
  };

  function newestMatch(scope: string, version: string, matches: (key: string) => boolean): Entry | undefined {
    return entries.filter((e) => e.finalized && e.scope === scope && e.version === version && matches(e.key)).sort((a, b) => b.sequence - a.sequence)[0];
  }

  function twirp(method: string, body: Record<string, unknown>, scopes: readonly CacheScope[]): object {
    const writable = scopes.find((s) => (s.Permission & WRITE) !== 0);
    switch (method) {
      case 'CreateCacheEntry': {
        const key = text(body.key, 'key');
        const version = text(body.version, 'version');
        // The real service answers a read-only token with ok=false and this prefix, not with an error status.
        if (!writable) return { ok: false, message: 'cache write denied: token has no writable scopes' };
        if (entries.some((e) => e.scope === writable.Scope && e.key === key && e.version === version)) {
          throw new TwirpError('already_exists', 'cache entry with the same key, version, and scope already exists');
        }
        const id = nextId();
        const entry: Entry = {
          id,
          scope: writable.Scope,
          key,
          version,
          size: 0,
          finalized: false,
          sequence: ++sequence,
          blob: newBlob(id, `cache entry '${key}'`, 'application/octet-stream'),
        };
        entries.push(entry);
        return { ok: true, signed_upload_url: signedUrl('w', entry) };
      }
      case 'FinalizeCacheEntryUpload': {
        const key = text(body.key, 'key');
        const version = text(body.version, 'version');
        const entry = writable && entries.find((e) => e.scope === writable.Scope && e.key === key && e.version === version);
        if (!entry)
          throw new TwirpError('not_found', `no cache entry '${key}' (version ${version}) was created in this job's scope (call CreateCacheEntry first)`);
        if (entry.finalized) throw new TwirpError('failed_precondition', `cache entry '${key}' is already finalized`);
        if (!entry.blob.bytes) throw new TwirpError('failed_precondition', `cache entry '${key}' has no committed blob to finalize`);
        if (String(body.size_bytes ?? '') !== String(entry.blob.size)) {
          throw new TwirpError(
            'invalid_argument',
            `declared size ${String(body.size_bytes)} does not match the ${entry.blob.size} bytes uploaded for '${key}'`,
          );
        }
        entry.finalized = entry.blob.sealed = true;
        entry.size = entry.blob.size;
        return { ok: true, entry_id: String(entry.id) };
      }
      case 'GetCacheEntryDownloadURL': {
        const key = text(body.key, 'key');
        const version = text(body.version, 'version');
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
        const readable = scopes.filter((s) => (s.Permission & READ) !== 0);
        if (readable.length === 0) throw new TwirpError('permission_denied', 'cache read denied: token has no readable scopes');
        for (const { Scope } of readable) {
          const hit =
            newestMatch(Scope, version, (k) => k === key) ??
            newestMatch(Scope, version, (k) => k.startsWith(key)) ??
            restoreKeys.map((prefix) => newestMatch(Scope, version, (k) => k.startsWith(prefix))).find(Boolean);
          if (hit) return { ok: true, signed_download_url: signedUrl('r', hit), matched_key: hit.key };
        }
        return { ok: false };
      }
      default:
        throw new TwirpError('bad_route', `no method CacheService/${method}`);
    }
  }

  return {
    twirp,
    blob: (id: number): Blob | undefined => entries.find((e) => e.id === id)?.blob,
    entries: (): StoredCacheEntry[] => entries.map(({ id, scope, key, version, size, finalized }) => ({ id, scope, key, version, size, finalized })),
  };
}
