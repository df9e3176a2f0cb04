import type { Answer, TokenServer } from "./tokenServer.js";
import { startTokenServer } from "./tokenServer.js";

/** A loopback token server that holds every request until the test answers it. */
export interface GatedServer extends TokenServer {
  /** Requests received and not answered yet (their connection still open). */
  readonly pending: number;
  /** Requests whose connection the client closed before they were answered. */
  readonly closedUnanswered: number;
  /** Answers every held request, and every later one at once, with `answer(request number)` (numbered from 1). */
  answerAll(answer: (n: number) => Answer): void;
  /** Holds every later request again, until the next `answerAll`. */
  holdAll(): void;
}

/**
 * Starts a {@link GatedServer}: a hung endpoint until `answerAll` is called, which also sees
 * when a client gives up on a request (the socket closes before the answer).
 */
export async function startGatedServer(): Promise<GatedServer> {
  const held: Array<() => void> = [];
  let pending = 0;
  let closedUnanswered = 0;
  let answer: ((n: number) => Answer) | undefined;
  let count = 0;

  const server = await startTokenServer((_seen, { res }) => {
    const n = ++count;
    pending++;
    let done = false;
    res.on("close", () => {
      if (!done) {
        done = true;
        pending--;
        closedUnanswered++;
      }
    });
    return new Promise<Answer | undefined>((resolve) => {
      const send = (): void => {
        if (done) return resolve(undefined);
        done = true;
        pending--;
        resolve(answer!(n));
      };
      if (answer) send();
      else held.push(send);
    });
  });

  // Not Object.assign: it would copy the getters' current values instead of the getters.
  return {
    ...server,
    get pending() {
      return pending;
    },
    get closedUnanswered() {
      return closedUnanswered;
    },
    answerAll(next: (n: number) => Answer) {
      answer = next;
      held.splice(0).forEach((send) => send());
    },
    holdAll() {
      answer = undefined;
    },
  };
}
