/**
 * A FIFO queue of waiters with O(1) `push`, `shift` and `remove`: a doubly linked list whose
 * nodes are handed back to the caller, so a waiter that gives up (interrupted, timed out)
 * unlinks itself at once instead of lingering until it reaches the head.
 *
 * This is what lets a freed permit go straight to the next waiter: one `shift` per release,
 * where effect's `Semaphore` wakes every waiter to let them race for it.
 */

/** @internal */
export class Node<A> {
  /** @internal */
  prev: Node<A> | undefined = undefined
  /** @internal */
  next: Node<A> | undefined = undefined
  /** true while the node is in a queue */
  linked = false
  constructor(readonly value: A) {}
}

/** @internal */
export class WaitQueue<A> {
  private head: Node<A> | undefined = undefined
  private tail: Node<A> | undefined = undefined
  private size = 0

  get length(): number {
    return this.size
  }

  /** Appends `value` and returns its node, the handle for `remove`. */
  push(value: A): Node<A> {
    const node = new Node(value)
    node.linked = true
    node.prev = this.tail
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    this.size++
    return node
  }

  /** The oldest value, left in the queue. */
  peek(): A | undefined {
    return this.head?.value
  }

  /** Removes and returns the oldest value. */
  shift(): A | undefined {
    const node = this.head
    if (node === undefined) return undefined
    this.unlink(node)
    return node.value
  }

  /** Removes `node` if it is still queued; false when it already left. */
  remove(node: Node<A>): boolean {
    if (!node.linked) return false
    this.unlink(node)
    return true
  }

  /** Empties the queue, oldest first. */
  drain(f: (value: A) => void): void {
    let node = this.head
    this.head = this.tail = undefined
    this.size = 0
    while (node !== undefined) {
      const next = node.next
      node.prev = node.next = undefined
      node.linked = false
      f(node.value)
      node = next
    }
  }

  private unlink(node: Node<A>): void {
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
