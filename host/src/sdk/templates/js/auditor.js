// {{name}}: a glint auditor (world auditor-host). glint calls checkInput with
// every prompt (and image) before the model sees it, and checkOutput with
// every result before the user does. Throw { code, message } to fail a check.

// Words that block a prompt outright (lower case, matched as whole words).
const BLOCKED_WORDS = new Set(["fuck", "fucking", "shit"]);

const allow = () => ({ action: "allow", reasons: [], scores: [] });

export const auditor = {
  checkInput(input) {
    // (No \p{…} classes: the engine componentize-js bundles is built without them.)
    const words = input.prompt.toLowerCase().split(/\W+/);
    if (words.some((w) => BLOCKED_WORDS.has(w))) {
      return { action: "block", reasons: ["text.blocked-word"], scores: [] };
    }
    return allow();
  },
  checkOutput(_output) {
    return allow();
  },
};
