/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as ResilientHttpClient from "./ResilientHttpClient.js"

/**
 * @since 0.1.0
 */
export * as HttpLoadShed from "./HttpLoadShed.js"

/**
 * @since 0.1.0
 */
export * as HttpRateLimit from "./HttpRateLimit.js"

/**
 * @since 0.1.0
 */
export * as ResilientHttpServer from "./ResilientHttpServer.js"

/**
 * @since 0.1.0
 */
export * as GracefulShutdown from "./GracefulShutdown.js"

/**
 * @since 0.1.0
 */
export * as HealthCheck from "./HealthCheck.js"

/**
 * @since 0.1.0
 */
export * as HttpDeadline from "./HttpDeadline.js"
