"""phrase-guard's policy: edit it and rebuild (./build.sh) to change it.

Phrases match whole words, case-insensitively ("gun" does not match
"begun"). An allowed phrase wins over a denied one inside it: with "gun"
denied and "glue gun" allowed, "a glue gun" passes and "a gun" does not.
"""

# Block prompts and results that contain any of these.
DENIED_PHRASES = [
    "fuck", "fucking", "shit",  # the live-install canary must see a known word blocked
    "gun", "rifle", "pistol",
]

# Let these through even when they contain a denied phrase.
ALLOWED_PHRASES = [
    "glue gun", "water gun", "nail gun",
]

# Personal data to refuse in prompts: each kind can be turned off here.
PII_CHECKS = {
    "email": True,        # name@example.com
    "phone": True,        # +44 20 7946 0958, (555) 123-4567: 10 to 15 digits
    "card": True,         # 13 to 19 digits that pass the Luhn check
}
