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
import type { ManagedIdentitySource } from "../sources/source.js";
import { claimsMatchIdentity, decodeJwtClaims } from "../token/jwtClaims.js";
import { InvalidTokenResponseError, parseTokenResponse } from "../token/parseTokenResponse.js";
import { singleScope } from "../token/resource.js";
import { TokenCache } from "../token/tokenCache.js";
import { describeIdentity, type UserAssignedIdentity, userAssignedIdentity } from "../userAssignedIdentity.js";
import { failureFromAnswer, failureFromError } from "./failures.js";
import { scrubError, scrubSecrets } from "./secretScrubbing.js";

/**
 * The one machinery behind every credential: it turns a source's description into a pipeline,
 * sends the request, parses and checks the answer, classifies failures, and caches.
 * @internal
 */
export class ManagedIdentityClient<
  TOptions extends ManagedIdentityCredentialOptions = ManagedIdentityCredentialOptions,
> {
  /** The token endpoint, without query; `undefined` when the environment names none. */
  readonly endpoint: URL | undefined;
  private readonly endpointError: Error | undefined;
  private readonly identity: UserAssignedIdentity | undefined;
  private readonly identityParameter: [string, string] | undefined;
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly cache: TokenCache;
  private readonly partitions = new Map<string, TokenCache>();
  private readonly endpointText: string;

  constructor(
    readonly source: ManagedIdentitySource<TOptions>,
    private readonly options: TOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
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

    let endpoint: URL | undefined;
    try {
      endpoint = source.endpoint(options, env);
    } catch (error) {
      // A malformed URL is the application's mistake: say so now. A missing one means "not here": say so at getToken.
      if (error instanceof TypeError) throw error;
      this.endpointError = error as Error;
    }
    this.endpoint = endpoint;
    this.endpointText = endpoint ? `${endpoint.origin}${endpoint.pathname}` : "(no endpoint)";

    const policies = source.policies?.(options, env) ?? {};
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
      (resource, signal, getTokenOptions, revoked) => this.requestToken(resource, signal, getTokenOptions, revoked),
      (timeout) =>
        new AuthenticationError(
          `${this.source.displayName}: no token from ${this.endpointText} within the caller's timeout of ${timeout} ms.`,
          undefined,
          undefined,
          "timeout",
        ),
    );
  }

  /** The cache for a partition other than the default one (another tenant, CAE tokens), made on first use. */
  private cacheFor(partition: string): TokenCache {
    if (partition === "") return this.cache;
    let cache = this.partitions.get(partition);
    if (cache === undefined) {
      cache = this.createCache();
      this.partitions.set(partition, cache);
    }
    return cache;
  }

  /** See `TokenCredential.getToken`. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      // Most sources keep one cache; workload identity keeps one per tenant and CAE opt-in (and may refuse a tenant).
      const cache = this.source.cachePartition
        ? this.cacheFor(this.source.cachePartition(this.options, this.env, options))
        : this.cache;
      return cache.getToken(typeof scopes === "string" ? scopes : singleScope(scopes), options);
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
    const { source, endpoint } = this;
    if (endpoint === undefined) throw this.endpointError;
    const context = { source: source as ManagedIdentitySource<never>, endpoint: this.endpointText };

    const description = await source.request({
      endpoint,
      resource,
      identityParameter: this.identityParameter,
      env: this.env,
      options: this.options,
      claims: options?.claims || undefined,
      enableCae: options?.enableCae === true,
      revokedToken: revoked?.token,
      tenantId: options?.tenantId,
    });
    const request = createTokenRequest(description.url ?? endpoint, description, signal, options?.tracingOptions);
    const requestTime = Date.now();
    let response;
    const secrets = description.secrets;
    try {
      response = await this.pipeline.sendRequest(this.httpClient, request);
    } catch (error) {
      throw scrubError(failureFromError(context, error), secrets);
    }
    if (response.status < 200 || response.status >= 300) {
      // An endpoint that echoes the secret the request carried: out of the body before any message is made of it.
      if (secrets !== undefined && response.bodyAsText)
        response.bodyAsText = scrubSecrets(response.bodyAsText, secrets);
      throw scrubError(failureFromAnswer(context, response), secrets);
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
    // Building the line costs a Date and a few strings per fetch: only when someone reads it.
    if (logger.info.enabled) {
      logger.info(
        `${source.displayName}: token for ${resource} (${describeIdentity(this.identity)}) from ${this.endpointText}, expires ${new Date(token.expiresOnTimestamp).toISOString()}.`,
      );
    }
    return token;
  }
}
