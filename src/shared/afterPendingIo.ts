/**
 * Runs `callback` once Node has polled the sockets. A timer's callback runs before the poll of its loop turn:
 * when the process got no CPU for longer than the timer (a start storm, a VM resumed), what the kernel received
 * meanwhile (a connection made, an answer) is not seen yet, and a time limit decided there would fail work that
 * is already done. A limit that fails I/O decides here instead, and checks that the work is still pending.
 * @internal
 */
export function afterPendingIo(callback: () => void): void {
  // setImmediate runs in the check phase, which follows the poll phase of the same loop turn.
  setImmediate(callback);
}
