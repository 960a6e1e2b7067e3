"""{{name}}: a glint auditor (world auditor-host).

glint calls check_input with every prompt (and image) before the model sees
it, and check_output with every result before the user does. Raise
componentize_py_types.Err(Error(...)) to fail a check.
"""
import re

from wit_world import exports
from wit_world.imports.types import Action, Verdict

# Words that block a prompt outright (lower case, matched as whole words).
BLOCKED_WORDS = {"fuck", "fucking", "shit"}
WORD = re.compile(r"\w+")


class Auditor(exports.Auditor):
    def check_input(self, input):
        words = set(WORD.findall(input.prompt.lower()))
        if words & BLOCKED_WORDS:
            return Verdict(action=Action.BLOCK, reasons=["text.blocked-word"], scores=[])
        return Verdict(action=Action.ALLOW, reasons=[], scores=[])

    def check_output(self, output):
        return Verdict(action=Action.ALLOW, reasons=[], scores=[])
