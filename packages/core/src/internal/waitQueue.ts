/**
 * A FIFO queue of waiters with O(1) `push`, `shift` and `remove`: a doubly linked list whose
 * nodes are handed back to the caller, so a waiter that gives up (interrupted, timed out)
 * unlinks itself at once instead of lingering until it reaches the head.
 *
 * This is what lets a freed permit go straight to the next waiter: one `shift` per release,
 * where effect's `Semaphore` wakes every waiter to let them race for it. The intrusive list
 * underneath (`LinkedList`) also keeps the deadlines of `timers.ts`.
 */

/**
 * What a node of a `LinkedList` carries: its neighbours, and whether it is in a list.
 *
 * @internal
 */
export interface Linked<N> {
  prev: N | undefined
  next: N | undefined
  /** true while the node is in a list */
  linked: boolean
}

/**
 * An intrusive doubly linked list: the nodes are the caller's own objects, so appending
 * allocates nothing and a node unlinks itself in O(1) wherever it is.
 *
 * @internal
 */
export class LinkedList<N extends Linked<N>> {
  head: N | undefined = undefined
  tail: N | undefined = undefined
  size = 0

  append(node: N): N {
    node.linked = true
    node.prev = this.tail
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    this.size++
    return node
  }

  /** Removes and returns the oldest node. */
  shift(): N | undefined {
    const node = this.head
    if (node !== undefined) this.unlink(node)
    return node
  }

  /** Removes `node` if it is still in the list; false when it already left. */
  remove(node: N): boolean {
    if (!node.linked) return false
    this.unlink(node)
    return true
  }

  /** Empties the list, oldest first. */
  drain(f: (node: N) => void): void {
    let node = this.head
    this.head = this.tail = undefined
    this.size = 0
    while (node !== undefined) {
      const next: N | undefined = node.next
      node.prev = node.next = undefined
      node.linked = false
      f(node)
      node = next
    }
  }

  private unlink(node: N): void {
    const { next, prev } = node
    if (prev === undefined) this.head = next
    else prev.next = next
    if (next === undefined) this.tail = prev
    else next.prev = prev
    node.prev = node.next = undefined
    node.linked = false
    this.size--
  }
}

/** @internal */
export class Node<A> implements Linked<Node<A>> {
  /** @internal */
  prev: Node<A> | undefined = undefined
  /** @internal */
  next: Node<A> | undefined = undefined
  linked = false
  constructor(readonly value: A) {}
}

/** @internal */
export class WaitQueue<A> {
  private readonly list = new LinkedList<Node<A>>()

  get length(): number {
    return this.list.size
  }

  /** Appends `value` and returns its node, the handle for `remove`. */
  push(value: A): Node<A> {
    return this.list.append(new Node(value))
  }

  /** The oldest value, left in the queue. */
  peek(): A | undefined {
    return this.list.head?.value
  }

  /** Removes and returns the oldest value. */
  shift(): A | undefined {
    return this.list.shift()?.value
  }

  /** Removes `node` if it is still queued; false when it already left. */
  remove(node: Node<A>): boolean {
    return this.list.remove(node)
  }

  /** Empties the queue, oldest first. */
  drain(f: (value: A) => void): void {
    this.list.drain((node) => f(node.value))
  }
}
