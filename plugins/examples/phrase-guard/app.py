"""phrase-guard: a glint auditor written in Python (world auditor-host).

Checks every prompt against a deny list (with an allow list that wins) and
for personal data (e-mail addresses, phone numbers, payment card numbers),
and every result's phrases and labels against the same deny list. The
policy is in policy.py.

Each finding is a reason code and a score of 1.0 under a name of this
plugin's own (phrase_guard.*), which glint's audit policy can also put
thresholds on; with none set there, the verdict's action stands.
"""
import re

from wit_world import exports
from wit_world.imports.types import Action, Verdict

import policy

WORD = re.compile(r"\w+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{8,18}\d(?!\w)")
CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def words(text):
    """The text as a space-separated run of lower-case words, padded."""
    return " " + " ".join(WORD.findall(text.lower())) + " "


def denied(text):
    """The denied phrases in text, once the allowed ones are taken out."""
    t = words(text)
    for phrase in policy.ALLOWED_PHRASES:
        t = t.replace(words(phrase), " ")
    return [p for p in policy.DENIED_PHRASES if words(p) in t]


def luhn(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = int(d)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def personal_data(text):
    """The kinds of personal data found in text."""
    found = []
    if policy.PII_CHECKS.get("email") and EMAIL.search(text):
        found.append("email")
    cards = [m for m in CARD.findall(text) if luhn(re.sub(r"\D", "", m))]
    if policy.PII_CHECKS.get("card") and cards:
        found.append("card")
    if policy.PII_CHECKS.get("phone"):
        for m in PHONE.findall(text):
            digits = re.sub(r"\D", "", m)
            if 10 <= len(digits) <= 15 and m not in cards:
                found.append("phone")
                break
    return found


def verdict(reasons, scores):
    action = Action.BLOCK if reasons else Action.ALLOW
    return Verdict(action=action, reasons=reasons, scores=scores)


class Auditor(exports.Auditor):
    def check_input(self, input):
        reasons, scores = [], []
        hits = denied(input.prompt)
        if hits:
            reasons += [f"text.denied:{p}" for p in hits]
            scores.append(("phrase_guard.denied", 1.0))
        for kind in personal_data(input.prompt):
            reasons.append(f"text.pii.{kind}")
            scores.append((f"phrase_guard.pii.{kind}", 1.0))
        return verdict(reasons, scores)

    def check_output(self, output):
        hits = sorted({p for d in output.detections for p in denied(d.phrase) + denied(d.label)})
        return verdict([f"text.denied:{p}" for p in hits], [("phrase_guard.denied", 1.0)] if hits else [])
