// {{name}}: a glint A/B allocator (world ab-plugin). It must be deterministic:
// the same experiment and subject always get the same arm.

// FNV-1a (64-bit) of the UTF-8 bytes: a stable hash, the same on every host.
function fnv1a(text) {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) {
    h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

export const allocator = {
  assign(experiment, subjectId, arms) {
    const total = arms.reduce((sum, a) => sum + BigInt(a.weight), 0n);
    if (total === 0n) return undefined;
    let point = fnv1a(`${experiment}/${subjectId}`) % total;
    for (const arm of arms) {
      const w = BigInt(arm.weight);
      if (point < w) return arm;
      point -= w;
    }
    return undefined;
  },
};
