import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layers of src/, lowest first. A file may import from its own folder and the layers below,
// never from above and never from a sibling folder of its layer (token/ and pipeline/ know nothing of
// each other): lower layers stay testable alone, and no cycle can form. The emulator, beside the
// CLI at the top, stands alone: it imports nothing from the library. README "Development" describes them.
const LAYERS = [
  [{ folder: "shared", files: ["src/shared/**", "src/*.ts"], ignores: ["src/index.ts"] }],
  [{ folder: "token" }, { folder: "pipeline" }],
  [{ folder: "sources" }],
  [{ folder: "engine" }],
  [{ folder: "detection" }],
  [{ folder: "credentials" }],
  [{ folder: "cli" }, { folder: "emulator" }],
];

const layerRules = LAYERS.slice(0, -1).flatMap((layer, index) =>
  layer.map(({ folder, files, ignores }) => {
    const forbidden = [
      ...layer.filter((peer) => peer.folder !== folder).map((peer) => peer.folder),
      ...LAYERS.slice(index + 1).flatMap((higher) => higher.map((peer) => peer.folder)),
    ];
    return {
      files: files ?? [`src/${folder}/**`],
      ignores: ignores ?? [],
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                // A relative import whose path goes through a forbidden folder.
                regex: `^\\.{1,2}/(?:.*/)?(?:${forbidden.join("|")})/`,
                message: `Layers import only downwards: src/${folder}/ may not import from ${forbidden.map((name) => `${name}/`).join(", ")} (README "Development").`,
              },
              {
                regex: "^\\.{1,2}/(?:\\.\\./)*index\\.js$",
                message:
                  "Import the module itself, not an index: the entry point and the sources' registry import everything, so a lower layer that imports one makes a cycle.",
              },
            ],
          },
        ],
      },
    };
  }),
);

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "review/**", "temp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-control-regex": "off",
    },
  },
  ...layerRules,
  {
    files: ["src/emulator/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./",
              message:
                "The emulator stands alone (its own entry point, azure-managed-identity/emulator): it imports nothing from the library.",
            },
          ],
        },
      ],
    },
  },
  {
    // Plain Node scripts.
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
