import type { Readable } from "node:stream";
import { type PipelinePolicy, RestError } from "@azure/core-rest-pipeline";

/** The name of {@link responseBodyPolicy}. */
export const responseBodyPolicyName = "responseBodyPolicy";

/** A token answer is a few kilobytes; anything much larger is not one. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Streams every status, so that this policy, not the HTTP client, decides how much to read. */
const EVERY_STATUS = new Set([Number.POSITIVE_INFINITY]);

/**
 * Reads the response body as text, refusing one larger than `maxBytes` (by `Content-Length`
 * before reading anything, or as soon as the bytes read pass it) with code `RESPONSE_TOO_LARGE`.
 * Sits next to the HTTP client so that a huge answer is never held whole in memory.
 */
export function responseBodyPolicy(maxBytes = MAX_RESPONSE_BYTES): PipelinePolicy {
  return {
    name: responseBodyPolicyName,
    async sendRequest(request, next) {
      const previous = request.streamResponseStatusCodes;
      request.streamResponseStatusCodes = EVERY_STATUS;
      let response;
      try {
        response = await next(request);
      } finally {
        request.streamResponseStatusCodes = previous;
      }
      const stream = response.readableStreamBody as Readable | undefined;
      if (stream === undefined) return response;
      response.readableStreamBody = undefined;

      const declared = Number(response.headers.get("Content-Length"));
      const tooLarge = (): RestError =>
        new RestError(`the answer is larger than ${maxBytes} bytes, which no token answer is`, {
          code: "RESPONSE_TOO_LARGE",
          statusCode: response.status,
        });
      if (declared > maxBytes) {
        stream.destroy();
        throw tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream) {
        const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
        size += buffer.length;
        if (size > maxBytes) {
          stream.destroy();
          throw tooLarge();
        }
        chunks.push(buffer);
      }
      response.bodyAsText = Buffer.concat(chunks).toString("utf8");
      return response;
    },
  };
}
