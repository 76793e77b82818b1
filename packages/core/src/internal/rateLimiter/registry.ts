/**
 * The keys of a keyed limiter, with bounded memory.
 *
 * Beyond `maxKeys`, a key is evicted to make room: first one whose state is back at fresh
 * (forgetting it loses nothing), else the least recently used; never one with waiters, since
 * evicting a busy key would reset that tenant's limit for free. Keys idle for `idleTimeout`
 * are dropped lazily, whenever the registry is touched.
 *
 * - recency: a doubly linked list, oldest first, of the keys without waiters (keys with
 *   waiters are pinned: out of the list until their queue empties);
 * - freshness: a binary min-heap on a lower bound of each key's `freshAt`. A key's `freshAt`
 *   only grows as it takes permits, so bounds are corrected lazily when they reach the top:
 *   the hot path never touches the heap, and each correction pays for at least one take.
 */
import type * as algorithms from "./algorithms.js"
import { Lane } from "./lane.js"
import type { Owner } from "./lane.js"

/** @internal */
export class Entry extends Lane {
  lastAccess = -Infinity
  older: Entry | undefined = undefined
  newer: Entry | undefined = undefined
  inRecency = false
  heapIndex = -1
  heapKey = -Infinity

  /** the Clock time from which the key's state is fresh */
  currentFreshAt(): number {
    return this.cell !== undefined ? this.cell.freshAt() : this.freshAt
  }
}

/** @internal */
export class Registry implements Owner {
  readonly entries = new Map<string, Entry>()
  oldest: Entry | undefined = undefined
  newest: Entry | undefined = undefined
  readonly heap: Array<Entry> = []
  now = -Infinity

  constructor(
    readonly maxKeys: number,
    readonly idleTimeout: number | undefined,
    readonly create: (key: string) => algorithms.Cell | undefined,
    readonly dropped: (entry: Entry) => void
  ) {}

  /** The key's entry, created fresh when absent; counts as a use. */
  get(key: string, now: number): Entry {
    this.advance(now)
    let entry = this.entries.get(key)
    if (entry !== undefined) {
      entry.lastAccess = this.now
      if (entry.inRecency) {
        this.unlink(entry)
        this.append(entry)
      }
      return entry
    }
    // more than one when keys that were pinned by waiters have been released since
    while (this.entries.size >= this.maxKeys && this.evictOne()) {
      // evicted one
    }
    entry = new Entry(key, key, this.create(key))
    entry.owner = this
    entry.lastAccess = this.now
    this.entries.set(key, entry)
    this.append(entry)
    this.heapPush(entry)
    return entry
  }

  /** The key's entry if present; not a use. */
  peek(key: string, now: number): Entry | undefined {
    this.advance(now)
    return this.entries.get(key)
  }

  /** Moves the registry's clock and drops idle keys. */
  advance(now: number): void {
    if (now > this.now) this.now = now
    const idle = this.idleTimeout
    if (idle === undefined) return
    while (this.oldest !== undefined && this.oldest.lastAccess + idle <= this.now) {
      this.remove(this.oldest)
    }
  }

  occupied(lane: Lane): void {
    const entry = lane as Entry
    if (entry.inRecency) this.unlink(entry)
  }

  vacated(lane: Lane): void {
    const entry = lane as Entry
    if (!this.entries.has(entry.key) || this.entries.get(entry.key) !== entry) return
    entry.lastAccess = this.now
    if (!entry.inRecency) this.append(entry)
    if (entry.heapIndex < 0) this.heapPush(entry)
  }

  /** Evicts one key without waiters, fresh ones first; false when every key has waiters. */
  evictOne(): boolean {
    const now = this.now
    const heap = this.heap
    while (heap.length > 0) {
      const top = heap[0]
      if (top.head !== undefined) {
        // pinned: back in the heap when its queue empties
        this.heapRemove(top)
        continue
      }
      const freshAt = top.currentFreshAt()
      if (freshAt > top.heapKey) {
        top.heapKey = freshAt
        this.siftDown(0)
        continue
      }
      if (freshAt <= now) {
        this.remove(top)
        return true
      }
      break
    }
    if (this.oldest === undefined) return false
    this.remove(this.oldest)
    return true
  }

  remove(entry: Entry): void {
    this.entries.delete(entry.key)
    if (entry.inRecency) this.unlink(entry)
    if (entry.heapIndex >= 0) this.heapRemove(entry)
    this.dropped(entry)
  }

  // recency list

  append(entry: Entry): void {
    entry.older = this.newest
    entry.newer = undefined
    if (this.newest === undefined) this.oldest = entry
    else this.newest.newer = entry
    this.newest = entry
    entry.inRecency = true
  }

  unlink(entry: Entry): void {
    if (entry.older === undefined) this.oldest = entry.newer
    else entry.older.newer = entry.newer
    if (entry.newer === undefined) this.newest = entry.older
    else entry.newer.older = entry.older
    entry.older = entry.newer = undefined
    entry.inRecency = false
  }

  // freshness heap

  heapPush(entry: Entry): void {
    entry.heapKey = entry.currentFreshAt()
    entry.heapIndex = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.heapIndex)
  }

  heapRemove(entry: Entry): void {
    const heap = this.heap
    const index = entry.heapIndex
    const last = heap.pop()!
    entry.heapIndex = -1
    if (last === entry) return
    heap[index] = last
    last.heapIndex = index
    this.siftDown(index)
    this.siftUp(last.heapIndex)
  }

  siftUp(index: number): void {
    const heap = this.heap
    const entry = heap[index]
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (heap[parent].heapKey <= entry.heapKey) break
      heap[index] = heap[parent]
      heap[index].heapIndex = index
      index = parent
    }
    heap[index] = entry
    entry.heapIndex = index
  }

  siftDown(index: number): void {
    const heap = this.heap
    const length = heap.length
    const entry = heap[index]
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && heap[right].heapKey < heap[left].heapKey ? right : left
      if (heap[child].heapKey >= entry.heapKey) break
      heap[index] = heap[child]
      heap[index].heapIndex = index
      index = child
    }
    heap[index] = entry
    entry.heapIndex = index
  }
}
