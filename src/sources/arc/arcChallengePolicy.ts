import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { AuthenticationError } from "../../errors.js";
import { logger } from "../../logger.js";
import { isLoopbackHost } from "../../shared/loopbackHost.js";
import { addRequestSecret } from "../../shared/requestSecrets.js";
import { scrubSecrets } from "../../shared/secretScrubbing.js";
import { defaultArcTokenFolder, readArcChallengeFile } from "./arcChallengeFile.js";
import { parseBasicRealm } from "./basicRealm.js";

/** What stands for the challenge file's content in a scrubbed message. */
const ARC_SECRET_NAME = "the Azure Arc challenge file's content";

/** The name of {@link arcChallengePolicy}. */
export const arcChallengePolicyName = "arcChallengePolicy";

/**
 * Options of {@link arcChallengePolicy}.
 */
export interface ArcChallengePolicyOptions {
  /**
   * The folder the agent writes its challenge files to. Default: `/var/opt/azcmagent/tokens` on Linux,
   * `%ProgramData%\AzureConnectedMachineAgent\Tokens` on Windows. Set by the application only: the
   * server's challenge can never move it.
   */
  tokenFolder?: string | undefined;
}

/**
 * The Azure Arc file challenge: on `401` with `WWW-Authenticate: Basic realm=<file>`, checks the
 * file (see {@link ArcChallengePolicyOptions.tokenFolder}), reads it and sends the request again with
 * `Authorization: Basic <file content>` — only to a loopback endpoint, and only to the origin that
 * issued the challenge. The secret is removed from the request as soon as it has been sent.
 *
 * @example
 * ```ts
 * pipeline.addPolicy(arcChallengePolicy({ tokenFolder: "/var/opt/azcmagent/tokens" }));
 * ```
 */
export function arcChallengePolicy(options: ArcChallengePolicyOptions = {}): PipelinePolicy {
  const tokenFolder = options.tokenFolder ?? defaultArcTokenFolder();
  return {
    name: arcChallengePolicyName,
    async sendRequest(request, next) {
      const challenged = await next(request);
      if (challenged.status !== 401) return challenged;

      const header = challenged.headers.get("WWW-Authenticate");
      const realm = header ? parseBasicRealm(header) : undefined;
      if (realm === undefined) {
        throw new AuthenticationError(
          "Azure Arc: the agent answered 401 without a 'WWW-Authenticate: Basic realm=<file>' challenge; is this an Azure Arc agent?",
          401,
          undefined,
          "arc-challenge-invalid",
        );
      }
      const origin = new URL(request.url);
      if (!isLoopbackHost(origin.hostname)) {
        throw new AuthenticationError(
          `Azure Arc: the challenge came from ${origin.origin}, which is not this machine; the secret is only ever sent to a loopback endpoint.`,
          401,
          undefined,
          "arc-challenge-not-loopback",
        );
      }
      logger.verbose(`${arcChallengePolicyName}: challenged with the file ${realm}`);
      const secret = await readArcChallengeFile(realm, tokenFolder, process.platform, request.abortSignal);
      // A request secret like the others: the failure's message, stack and errorResponse are scrubbed of it.
      addRequestSecret(request, ARC_SECRET_NAME, secret);
      // The same request object goes out again, so the secret can only reach the origin that asked for it.
      request.headers.set("Authorization", `Basic ${secret}`);
      try {
        const answer = await next(request);
        // An agent that echoes the secret (as sent, URL-encoded or JSON-escaped) must not put it into an error
        // message, also where this policy is used in another pipeline.
        if (answer.status >= 300 && answer.bodyAsText) {
          answer.bodyAsText = scrubSecrets(answer.bodyAsText, { [ARC_SECRET_NAME]: secret });
        }
        return answer;
      } finally {
        request.headers.delete("Authorization");
      }
    },
  };
}
