/**
 * Pulumi's SDK records a stack trace for every promise it makes (`debuggablePromise`), read
 * eagerly, only ever shown when PULUMI_DEBUG_PROMISE_LEAKS is set. Under ts-node, every one of
 * them went through source-map-support, which maps each frame: a third of a plan's CPU (the
 * team plan: 1.6 s of CPU, 1.1 s without it). Those stacks alone are left unformatted, as no one
 * reads them; every other stack, and Pulumi's resource source positions, are still mapped.
 */

/** The frame every stack Pulumi keeps on a promise starts with. */
const DEBUGGABLE_PROMISE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/** Marks the wrapper, so installing twice wraps once. */
const WRAPPED = Symbol.for("fireworker-images.promiseStacks");

/**
 * Whether a stack is one Pulumi records on a promise: its top frame is `debuggablePromise` in
 * debuggable.js (an error thrown elsewhere in that file keeps its mapped stack).
 */
export function isPromiseDebugStack(frames: readonly NodeJS.CallSite[]): boolean {
    // the name first: it costs no regular expression, and rules out nearly every stack
    const top = frames[0];
    return top?.getFunctionName() === "debuggablePromise" && DEBUGGABLE_PROMISE.test(top.getFileName() ?? "");
}

/**
 * What such a stack reads instead: nothing reads it unless PULUMI_DEBUG_PROMISE_LEAKS is set,
 * and then it is never replaced. Even formatting the frames unmapped cost seconds over a test run.
 */
export function unrecordedStack(error: Error): string {
    return `${error} (stack not recorded: set PULUMI_DEBUG_PROMISE_LEAKS=1 to record it)`;
}

/**
 * Wraps the installed `Error.prepareStackTrace` (source-map-support's, under ts-node) so the
 * stacks Pulumi records on promises skip it, and the formatting of their frames. Nothing when no
 * hook is installed, or when PULUMI_DEBUG_PROMISE_LEAKS asks for those stacks to be read.
 */
export function cheapPromiseStacks(env: NodeJS.ProcessEnv = process.env): void {
    const mapped = Error.prepareStackTrace as (PrepareStackTrace & { [WRAPPED]?: true }) | undefined;
    if (typeof mapped !== "function" || mapped[WRAPPED] || env.PULUMI_DEBUG_PROMISE_LEAKS) {
        return;
    }
    const wrapper = function (this: unknown, error: Error, frames: NodeJS.CallSite[]) {
        return isPromiseDebugStack(frames) ? unrecordedStack(error) : mapped.call(this, error, frames);
    };
    Error.prepareStackTrace = Object.assign(wrapper, { [WRAPPED]: true as const });
}
