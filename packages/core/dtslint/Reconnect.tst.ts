import * as Reconnect from "@effect-resilience/core/Reconnect"
import type * as ResilienceError from "@effect-resilience/core/ResilienceError"
import type * as ResilienceEvent from "@effect-resilience/core/ResilienceEvent"
import * as Retry from "@effect-resilience/core/Retry"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { describe, expect, it } from "tstyche"

interface Socket {
  readonly write: (line: string) => Effect.Effect<void, WriteError>
}
class ConnectError {
  readonly _tag = "ConnectError"
}
class WriteError {
  readonly _tag = "WriteError"
}

declare const open: Effect.Effect<Socket, ConnectError, Scope.Scope>
declare const openWithConfig: Effect.Effect<Socket, ConnectError, Scope.Scope | "Config">
declare const reconnect: Reconnect.Reconnect<Socket, ConnectError>
declare const infallible: Effect.Effect<Socket>
declare const write: (socket: Socket) => Effect.Effect<number, WriteError, "Log">

describe("Reconnect.make", () => {
  it("needs a Scope and the requirements of acquire besides Scope, and cannot fail", () => {
    expect(Reconnect.make({ acquire: open })).type.toBe<
      Effect.Effect<Reconnect.Reconnect<Socket, ConnectError>, never, Scope.Scope>
    >()
    expect(Reconnect.make({ acquire: openWithConfig, maxAttempts: 3, maxWait: "1 second" })).type.toBe<
      Effect.Effect<Reconnect.Reconnect<Socket, ConnectError>, never, Scope.Scope | "Config">
    >()
  })

  it("takes a Schedule of any output and a predicate on unknown errors", () => {
    expect(Reconnect.make).type.toBeCallableWith({
      acquire: open,
      schedule: Retry.exponential({ base: "100 millis", max: "5 seconds", jitter: "full" }),
      isConnectionError: (error: unknown) => error instanceof WriteError,
      retryOnReconnect: true,
      connectTimeout: "2 seconds"
    })
    expect(Reconnect.make).type.not.toBeCallableWith({ schedule: Retry.constant(10) })
    expect(Reconnect.make).type.not.toBeCallableWith({ acquire: open, maxAttempts: "3" })
  })
})

describe("Reconnect.layer", () => {
  it("provides the tag and needs what acquire needs besides Scope", () => {
    const tag = {} as Context.Tag<"Redis", Reconnect.Reconnect<Socket, ConnectError>>
    expect(Reconnect.layer(tag, { acquire: open })).type.toBe<Layer.Layer<"Redis">>()
    expect(Reconnect.layer(tag, { acquire: openWithConfig })).type.toBe<Layer.Layer<"Redis", never, "Config">>()
  })

  it("accepts an acquire that cannot fail for a tag that names an error, and rejects another connection type", () => {
    const tag = {} as Context.Tag<"Redis", Reconnect.Reconnect<Socket, ConnectError>>
    expect(Reconnect.layer(tag, { acquire: infallible })).type.toBe<Layer.Layer<"Redis">>()
    expect(Reconnect.layer).type.not.toBeCallableWith(tag, { acquire: {} as Effect.Effect<number> })
  })
})

describe("Reconnect", () => {
  it("use keeps the operation's error and requirements and adds ConnectionUnavailable", () => {
    expect(reconnect.use(write)).type.toBe<
      Effect.Effect<number, WriteError | Reconnect.ConnectionUnavailable, "Log">
    >()
    expect(reconnect.get).type.toBe<Effect.Effect<Socket, Reconnect.ConnectionUnavailable>>()
  })

  it("state, changes, invalidate and reconnect", () => {
    expect(reconnect.state).type.toBe<Effect.Effect<Reconnect.ConnectionState>>()
    expect(reconnect.changes).type.toBe<Stream.Stream<Reconnect.ConnectionState>>()
    expect(reconnect.invalidate).type.toBe<Effect.Effect<void>>()
    expect(reconnect.reconnect).type.toBe<Effect.Effect<void>>()
    expect(reconnect.name).type.toBe<string>()
  })

  it("is covariant in the connection and the error", () => {
    expect(reconnect).type.toBeAssignableTo<Reconnect.Reconnect<Socket, unknown>>()
    expect(reconnect).type.not.toBeAssignableTo<Reconnect.Reconnect<string, ConnectError>>()
  })

  it("ConnectionState is a tagged union", () => {
    expect<Reconnect.ConnectionState["_tag"]>().type.toBe<
      "Connecting" | "Connected" | "Reconnecting" | "Failed" | "Closed"
    >()
    expect(Reconnect.ConnectionState.Connected({ generation: 1, since: 0 })).type.toBe<
      { readonly _tag: "Connected"; readonly generation: number; readonly since: number }
    >()
  })

  it("ConnectionUnavailable is a ResilienceError with a reason and an optional cause", () => {
    expect<Reconnect.ConnectionUnavailable>().type.toBeAssignableTo<ResilienceError.ResilienceError>()
    expect<Reconnect.ConnectionUnavailable["reason"]>().type.toBe<"Reconnecting" | "Failed" | "Closed">()
    expect<Reconnect.ConnectionUnavailable["policyName"]>().type.toBe<string>()
  })

  it("ConnectionStateChanged is a ResilienceEvent", () => {
    expect<Extract<ResilienceEvent.ResilienceEvent, { readonly _tag: "ConnectionStateChanged" }>["to"]>().type
      .toBe<Reconnect.ConnectionState>()
  })
})
