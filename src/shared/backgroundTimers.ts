/** The AbortSignal shape both the DOM and core-rest-pipeline use. */
type SignalLike = Pick<AbortSignal, "aborted" | "addEventListener" | "removeEventListener">;

/** What holds a process alive (a socket): `ref` and `unref`, and `once("close")`. */
interface Holder {
  ref(): unknown;
  unref(): unknown;
  once(event: "close", listener: () => void): unknown;
}

/** The timers and sockets of one piece of background work, and whether a caller now waits for it. */
interface BackgroundWork {
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  readonly sockets: Set<Holder>;
  awaited: boolean;
}

// Keyed by the request's signal, which travels through the pipeline to every delay and per-try timer.
const backgroundWork = new WeakMap<SignalLike, BackgroundWork>();

/**
 * Marks the work that `signal` cancels as background: nobody waits for it, so its timers must not keep a
 * finished process alive (a failing refresh retrying for minutes after the script's work is done).
 * @internal
 */
export function markBackground(signal: SignalLike): void {
  backgroundWork.set(signal, { timers: new Set(), sockets: new Set(), awaited: false });
}

/**
 * `inner` cancels part of the work `outer` cancels (a try within a request): it is background work too, the same
 * piece (a caller joining the request holds the try's timers and sockets as well).
 * @internal
 */
export function inheritBackground(outer: SignalLike | undefined, inner: SignalLike): void {
  const work = outer && backgroundWork.get(outer);
  if (work !== undefined) backgroundWork.set(inner, work);
}

/**
 * True when `signal` belongs to background work nobody waits for (yet).
 * @internal
 */
export function isUnawaitedBackground(signal: SignalLike | undefined): boolean {
  const work = signal && backgroundWork.get(signal);
  return work !== undefined && !work.awaited;
}

/**
 * A socket of the work `signal` cancels: unref'd while that work is background nobody waits for (an endpoint that
 * accepts and never answers must not keep a finished script alive for a whole try timeout), ref'd again when a
 * caller waits for it.
 * @internal
 */
export function holdSocket(socket: Holder, signal: SignalLike | undefined): void {
  const work = signal && backgroundWork.get(signal);
  if (work === undefined || work.awaited) return;
  socket.unref();
  work.sockets.add(socket);
  socket.once("close", () => work.sockets.delete(socket));
}

/**
 * A caller now waits for the background work of `signal` (its token expired while the refresh ran): its
 * timers hold the process again, those pending and those to come.
 * @internal
 */
export function awaitBackground(signal: SignalLike): void {
  const work = backgroundWork.get(signal);
  if (work === undefined || work.awaited) return;
  work.awaited = true;
  for (const timer of work.timers) timer.ref();
  work.timers.clear();
  for (const socket of work.sockets) socket.ref();
  work.sockets.clear();
}

/**
 * `setTimeout`, unref'd when `signal` belongs to background work nobody waits for. Clear it with
 * {@link clearWorkTimeout}.
 * @internal
 */
export function setWorkTimeout(
  callback: () => void,
  ms: number,
  signal: SignalLike | undefined,
): ReturnType<typeof setTimeout> {
  const work = signal && backgroundWork.get(signal);
  if (work === undefined || work.awaited) return setTimeout(callback, ms);
  const timer = setTimeout(() => {
    work.timers.delete(timer);
    callback();
  }, ms);
  // Fake timers in tests may hand back a plain number, with nothing to unref.
  if (typeof timer === "object") timer.unref();
  work.timers.add(timer);
  return timer;
}

/**
 * Clears a timer made by {@link setWorkTimeout}.
 * @internal
 */
export function clearWorkTimeout(timer: ReturnType<typeof setTimeout>, signal: SignalLike | undefined): void {
  clearTimeout(timer);
  if (signal !== undefined) backgroundWork.get(signal)?.timers.delete(timer);
}
