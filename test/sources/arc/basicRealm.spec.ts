import { describe, expect, it } from "vitest";
import { parseBasicRealm } from "../../../src/sources/arc/basicRealm.js";

describe("parseBasicRealm: the file an Arc challenge names", () => {
  it.each([
    ["Basic realm=/var/opt/azcmagent/tokens/a.key", "/var/opt/azcmagent/tokens/a.key"],
    ['Basic realm="/var/opt/azcmagent/tokens/a.key"', "/var/opt/azcmagent/tokens/a.key"],
    ['basic REALM = "/t/a b.key"', "/t/a b.key"],
    ['Bearer realm="x", Basic realm="/t/a.key"', "/t/a.key"],
    [
      'Basic realm="C:\\\\ProgramData\\\\AzureConnectedMachineAgent\\\\Tokens\\\\a.key"',
      "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\a.key",
    ],
  ])("%s → %s", (header, realm) => {
    expect(parseBasicRealm(header)).toBe(realm);
  });

  it.each(["", "Basic", "Bearer realm=/t/a.key", 'Digest realm="/t/a.key"', "XBasic realm=/t/a.key"])(
    "%j has no Basic realm",
    (header) => {
      expect(parseBasicRealm(header)).toBeUndefined();
    },
  );
});
