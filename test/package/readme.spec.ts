// The README is also the package's page on the registry, where a relative link (bench/RESULTS.md,
// samples/…) leads nowhere: every link is absolute, or an anchor to one of its own headings.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const README = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
/** The text outside fenced code blocks, where Markdown links live. */
const prose = README.replace(/^```[\s\S]*?^```/gm, "");
const targets = [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
targets.push(...[...prose.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((match) => match[1]!));
targets.push(...[...prose.matchAll(/<(?:a|img)\s[^>]*(?:href|src)="([^"]+)"/g)].map((match) => match[1]!));

/** GitHub's (and the registry's) anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

describe("the README as a package page", () => {
  it("has links, and each is absolute (https) or an anchor", () => {
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !/^(https:\/\/|#)/.test(target))).toEqual([]);
  });

  it("has a heading for every anchor", () => {
    const anchors = new Set([...prose.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => anchorOf(match[1]!)));
    expect(targets.filter((target) => target.startsWith("#") && !anchors.has(target.slice(1)))).toEqual([]);
  });
});
