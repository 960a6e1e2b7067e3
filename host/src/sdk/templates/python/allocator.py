"""{{name}}: a glint A/B allocator (world ab-plugin).

It must be deterministic: the same experiment and subject always get the same
arm (so no hash(), which Python salts per process).
"""
from wit_world import exports


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class Allocator(exports.Allocator):
    def assign(self, experiment, subject_id, arms):
        total = sum(a.weight for a in arms)
        if total == 0:
            return None
        point = fnv1a(f"{experiment}/{subject_id}".encode()) % total
        for arm in arms:
            if point < arm.weight:
                return arm
            point -= arm.weight
        return None
