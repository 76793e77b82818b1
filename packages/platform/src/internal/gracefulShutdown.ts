import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceEvent, type ShutdownPhaseName } from "@effect-resilience/core/ResilienceEvent"
import * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as GracefulShutdown from "../GracefulShutdown.js"
import * as server from "./server.js"
import * as validate from "./validate.js"

/** @internal */
export const GracefulShutdownTag = Context.GenericTag<GracefulShutdown.GracefulShutdown>(
  "@effect-resilience/platform/GracefulShutdown"
)

class ShutdownState implements GracefulShutdown.GracefulShutdown {
  current: GracefulShutdown.Phase = "serving"
  readonly requests = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  private readonly idleWaiters = new Set<() => void>()

  constructor(readonly drainDelay: Duration.Duration, readonly timeout: Duration.Duration) {}

  get phase(): Effect.Effect<GracefulShutdown.Phase> {
    return Effect.sync(() => this.current)
  }

  get inFlight(): Effect.Effect<number> {
    return Effect.sync(() => this.requests.size)
  }

  get shuttingDown(): boolean {
    return this.current !== "serving"
  }

  track(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.requests.add(fiber)
  }

  untrack(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.requests.delete(fiber)
    if (this.requests.size === 0) {
      for (const wake of this.idleWaiters) wake()
      this.idleWaiters.clear()
    }
  }

  /** Resumes when no request is in flight. */
  readonly idle: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.requests.size === 0) return resume(Effect.void)
    const wake = () => resume(Effect.void)
    this.idleWaiters.add(wake)
    return Effect.sync(() => this.idleWaiters.delete(wake))
  })
}

const enter = (state: ShutdownState, phase: ShutdownPhaseName) =>
  Effect.gen(function*() {
    state.current = phase
    const inFlight = state.requests.size
    yield* Effect.logInfo(`graceful shutdown: ${phase}`).pipe(Effect.annotateLogs({ inFlight }))
    const at = yield* Clock.currentTimeMillis
    yield* Resilience.publish(ResilienceEvent.ShutdownPhase({ policyName: "shutdown", phase, inFlight, at }))
  })

/**
 * The drain, run when the server's scope starts to close and before the platform detaches the
 * request handler (so requests are still answered, if only with a 503, until it ends).
 */
const drain = (state: ShutdownState): Effect.Effect<void> =>
  Effect.gen(function*() {
    // /readyz answers 503 from here on; requests are served with `Connection: close`
    yield* enter(state, "draining")
    yield* Effect.sleep(state.drainDelay)
    yield* enter(state, "refusing")
    // the drain is uninterruptible: only an interruptible wait lets the timeout end it
    const finished = yield* Effect.timeout(Effect.interruptible(state.idle), state.timeout).pipe(Effect.option)
    if (Option.isNone(finished)) {
      yield* enter(state, "interrupting")
      const id = yield* Effect.fiberId
      // interrupting the request fibers runs their finalizers; one that has not responded yet
      // answers 503 (the platform's response to a server-side interruption)
      for (const fiber of state.requests) fiber.unsafeInterruptAsFork(id)
      yield* state.idle
    }
    const registry = yield* Effect.serviceOption(Resilience.Resilience)
    if (Option.isSome(registry)) {
      const bulkheads = yield* registry.value.bulkheads
      yield* Effect.forEach(bulkheads, (bulkhead) => bulkhead.close, { concurrency: "unbounded", discard: true })
    }
    yield* enter(state, "closed")
  }).pipe(Effect.uninterruptible)

const validateOptions = (input: unknown) => {
  const options = validate.optionalObject("options", input)
  return {
    drainDelay: options.drainDelay === undefined
      ? Duration.seconds(5)
      : validate.duration("drainDelay", options.drainDelay),
    timeout: options.timeout === undefined ? Duration.seconds(30) : validate.duration("timeout", options.timeout)
  }
}

/** @internal */
export const layer = (
  options?: GracefulShutdown.Options
): Layer.Layer<HttpServer.HttpServer | GracefulShutdown.GracefulShutdown, never, HttpServer.HttpServer> => {
  const config = validateOptions(options)
  return Layer.effectContext(Effect.gen(function*() {
    const inner = yield* HttpServer.HttpServer
    const state = new ShutdownState(config.drainDelay, config.timeout)
    const wrapped = HttpServer.make({
      address: inner.address,
      serve: (app, middleware) =>
        Effect.gen(function*() {
          yield* (middleware === undefined
            ? inner.serve(app)
            : inner.serve(app, middleware as HttpMiddleware.HttpMiddleware.Applied<typeof app, unknown, never>))
          // finalizers run last-in first-out: the drain runs before the handler is detached
          yield* Effect.addFinalizer(() => drain(state))
        })
    })
    return Context.make(HttpServer.HttpServer, wrapped).pipe(Context.add(GracefulShutdownTag, state))
  }))
}

const refused = server.problem(503, "Service Unavailable", "The server is shutting down.", { connection: "close" })

/** @internal */
export const middleware = <E, R>(
  app: HttpApp.Default<E, R>
): HttpApp.Default<E, R | GracefulShutdown.GracefulShutdown> =>
  Effect.flatMap(GracefulShutdownTag, (service) => {
    const state = service as ShutdownState
    if (state.current !== "serving" && state.current !== "draining") return Effect.succeed(refused)
    return Effect.withFiberRuntime<
      HttpServerResponse.HttpServerResponse,
      E,
      R | HttpServerRequest.HttpServerRequest
    >((fiber) => {
      state.track(fiber as Fiber.RuntimeFiber<unknown, unknown>)
      return Effect.zipRight(
        // decided when the response goes out: a request that started before the drain and ends
        // during it closes its connection too
        HttpApp.appendPreResponseHandler((_request, response) =>
          Effect.sync(() =>
            state.shuttingDown ? HttpServerResponse.setHeader(response, "connection", "close") : response
          )
        ),
        Effect.interruptible(app)
      ).pipe(Effect.ensuring(Effect.sync(() => state.untrack(fiber as Fiber.RuntimeFiber<unknown, unknown>))))
    })
  })

/** @internal */
export const isShuttingDown: Effect.Effect<boolean> = Effect.map(
  Effect.serviceOption(GracefulShutdownTag),
  (service) => Option.isSome(service) && (service.value as ShutdownState).shuttingDown
)
