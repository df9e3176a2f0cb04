import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import type { HttpClient, Pipeline } from "@azure/core-rest-pipeline";
import { AuthenticationError } from "../errors.js";
import { logger } from "../logger.js";
import { checkRetryOptions } from "../optionChecks.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { createManagedIdentityPipeline } from "../pipeline/createManagedIdentityPipeline.js";
import { sharedManagedIdentityHttpClient } from "../pipeline/managedIdentityHttpClient.js";
import { createTokenRequest } from "./createTokenRequest.js";
import { imdsRetryPolicy, managedIdentityRetryPolicy } from "../pipeline/retryPolicy.js";
import type { ManagedIdentitySource, SourceConfiguration } from "../sources/source.js";
import { claimsMatchIdentity, decodeJwtClaims } from "../token/jwtClaims.js";
import { InvalidTokenResponseError, parseTokenResponse } from "../token/parseTokenResponse.js";
import { singleScope } from "../token/resource.js";
import { TokenCache } from "../token/tokenCache.js";
import { describeIdentity, type UserAssignedIdentity, userAssignedIdentity } from "../userAssignedIdentity.js";
import { failureFromAnswer, failureFromError } from "./failures.js";
import { requestSecrets } from "../shared/requestSecrets.js";
import { scrubError } from "../shared/secretScrubbing.js";
import { isTracing, TokenOrigins, traceGetToken } from "./tracing.js";
import type { TracingSpan } from "@azure/core-tracing";

/**
 * The one machinery behind every credential: it turns a source's description into a pipeline,
 * sends the request, parses and checks the answer, classifies failures, and caches.
 * @internal
 */
export class ManagedIdentityClient<
  TOptions extends ManagedIdentityCredentialOptions = ManagedIdentityCredentialOptions,
> {
  /** What the source read from the options and the environment; `undefined` when the environment names no such source. */
  private readonly configuration: SourceConfiguration | undefined;
  /** Why there is no configuration: said at `getToken`. */
  private readonly configurationError: Error | undefined;
  private readonly identity: UserAssignedIdentity | undefined;
  private readonly identityParameter: [string, string] | undefined;
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly cache: TokenCache;
  private readonly endpointText: string;
  /** For the getToken spans: whether a token came from the cache. */
  private readonly origins = new TokenOrigins();

  constructor(
    readonly source: ManagedIdentitySource<TOptions>,
    options: TOptions,
    // Every variable the source reads, read once by its configure below.
    env: NodeJS.ProcessEnv = options.env ?? process.env,
  ) {
    this.identity = userAssignedIdentity(options);
    checkRetryOptions(options.retryOptions);
    if (this.identity !== undefined) {
      const parameter = source.identityParameters[this.identity.kind];
      if (parameter === undefined) {
        throw new TypeError(
          `${source.displayName} cannot use ${describeIdentity(this.identity)}: ${source.identityRestriction ?? "it takes no user-assigned identity"}. Nothing was sent.`,
        );
      }
      this.identityParameter = [parameter, this.identity.value];
    }

    // Read once, here: a malformed setting is the application's mistake (a TypeError, now); a missing one, or a
    // misconfigured source, means "not here" or "cannot be used" (said at getToken, before anything is sent).
    try {
      this.configuration = source.configure(options, env);
    } catch (error) {
      if (error instanceof TypeError) throw error;
      // A variable of the environment that is not usable: the host's configuration, said at getToken.
      this.configurationError =
        error instanceof AuthenticationError && error.code === "misconfigured"
          ? new AuthenticationError(
              `${source.displayName} is misconfigured: ${error.message}`,
              undefined,
              undefined,
              "misconfigured",
            )
          : (error as Error);
    }
    const endpoint = this.configuration?.endpoint;
    this.endpointText = endpoint ? `${endpoint.origin}${endpoint.pathname}` : "(no endpoint)";

    const policies = this.configuration?.policies ?? {};
    const retry = source.retry === "imds" ? imdsRetryPolicy : managedIdentityRetryPolicy;
    this.pipeline = createManagedIdentityPipeline({
      headerPolicies: policies.headers,
      retryPolicy: retry(options.retryOptions),
      challengePolicy: policies.challenge,
      transportPolicy: policies.transport,
      tryTimeoutInMs: options.retryOptions?.tryTimeoutInMs,
      additionalPolicies: options.additionalPolicies,
      userAgentPrefix: options.userAgentOptions?.userAgentPrefix,
      loggingOptions: options.loggingOptions,
    });
    this.httpClient = options.httpClient ?? sharedManagedIdentityHttpClient();
    this.cache = this.createCache();
  }

  private createCache(): TokenCache {
    return new TokenCache(
      (resource, signal, getTokenOptions, revoked) => {
        this.origins.requestStarted();
        return this.requestToken(resource, signal, getTokenOptions, revoked);
      },
      (timeout) =>
        new AuthenticationError(
          `${this.source.displayName}: no token from ${this.endpointText} within the caller's timeout of ${timeout} ms.`,
          undefined,
          undefined,
          "timeout",
        ),
    );
  }

  /** How many tokens the cache holds, all partitions (tenants) together (tests, diagnostics). */
  get cachedTokenCount(): number {
    return this.cache.size;
  }

  /** See `TokenCredential.getToken`; in a span named after the source's credential class when someone traces. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    if (isTracing()) {
      return traceGetToken(this.source.credentialName, options, (traced, span) =>
        this.getTokenInSpan(scopes, traced, span),
      );
    }
    return this.getTokenInSpan(scopes, options, undefined);
  }

  /** `getToken` within a span opened by the caller (the chain's), saying on it what happened; none: untraced. */
  getTokenInSpan(
    scopes: string | string[],
    options: GetTokenOptions | undefined,
    span: TracingSpan | undefined,
  ): Promise<AccessToken> {
    try {
      // Workload identity keeps its tokens apart per tenant and CAE opt-in (and may refuse a tenant), in the one
      // cache whose bound holds across partitions.
      const partitionOf = this.configuration?.cachePartition;
      const partition = partitionOf ? partitionOf(options) : "";
      const scope = typeof scopes === "string" ? scopes : singleScope(scopes);
      if (span === undefined) return this.cache.getToken(scope, options, partition);
      return this.origins.record(span, this.source.name, this.identity, () =>
        this.cache.getToken(scope, options, partition),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async requestToken(
    resource: string,
    signal: AbortSignal,
    options: GetTokenOptions | undefined,
    revoked: AccessToken | undefined,
  ): Promise<AccessToken> {
    const { source, configuration } = this;
    if (configuration === undefined) throw this.configurationError;

    const description = await configuration.request({
      resource,
      identityParameter: this.identityParameter,
      claims: options?.claims || undefined,
      enableCae: options?.enableCae === true,
      revokedToken: revoked?.token,
      tenantId: options?.tenantId,
      abortSignal: signal,
    });
    const url = description.url ?? configuration.endpoint;
    const request = createTokenRequest(url, description, signal, options?.tracingOptions);
    const requestTime = Date.now();
    let response;
    // The source's secrets, and those a policy added on the way (the Arc challenge file's content). The endpoint's
    // words are scrubbed of them as they are read (after decoding, before cutting), the whole error after.
    const contextOf = () => {
      const secrets = requestSecrets(request, description.secrets);
      return { source: source as ManagedIdentitySource<never>, endpoint: url, secrets };
    };
    try {
      response = await this.pipeline.sendRequest(this.httpClient, request);
    } catch (error) {
      const context = contextOf();
      throw scrubError(failureFromError(context, error), context.secrets);
    }
    if (response.status < 200 || response.status >= 300) {
      const context = contextOf();
      throw scrubError(failureFromAnswer(context, response), context.secrets);
    }

    let token: AccessToken;
    try {
      token = parseTokenResponse(response.bodyAsText ?? undefined, requestTime);
    } catch (error) {
      if (!(error instanceof InvalidTokenResponseError)) throw error;
      throw new AuthenticationError(
        `${source.displayName}: ${this.endpointText} answered ${response.status} with something that is not a token: ${error.message}.`,
        response.status,
        undefined,
        "bad-response",
      );
    }
    if (source.verifiesIdentityClaims && this.identity !== undefined) {
      const check = claimsMatchIdentity(decodeJwtClaims(token.token), this.identity);
      if (!check.matches) {
        throw new AuthenticationError(
          `${source.displayName}: asked for ${describeIdentity(this.identity)} but the token's ${check.claim} claim is ${check.found ?? "missing"}; the agent may be too old to take a user-assigned identity. The token was discarded.`,
          response.status,
          undefined,
          "identity-mismatch",
        );
      }
    }
    this.origins.tokenArrived(token);
    // Building the line costs a Date and a few strings per fetch: only when someone reads it.
    if (logger.info.enabled) {
      logger.info(
        `${source.displayName}: token for ${resource} (${describeIdentity(this.identity)}) from ${this.endpointText}, expires ${new Date(token.expiresOnTimestamp).toISOString()}.`,
      );
    }
    return token;
  }
}
