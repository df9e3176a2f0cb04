import { maskUserInfo } from "../../shared/maskUserInfo.js";

/**
 * The report with the user info of every URL in every string masked, as the last step before it is
 * printed (text or JSON): the variables, the detection reason, the endpoints, the findings and the
 * messages quoted from errors all come through here, whatever wrote them.
 * @internal
 */
export function maskReport<T>(value: T): T {
  if (typeof value === "string") return maskUserInfo(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => maskReport(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskReport(item)])) as T;
  }
  return value;
}
