//! {{name}}: a glint A/B allocator (world `ab-plugin`). It must be
//! deterministic: the same experiment and subject always get the same arm.

wit_bindgen::generate!({ world: "ab-plugin", path: "wit", generate_all });

use exports::glint::plugins::allocator::{Arm, Guest};

struct Component;

impl Guest for Component {
    fn assign(experiment: String, subject_id: String, arms: Vec<Arm>) -> Option<Arm> {
        let total: u64 = arms.iter().map(|a| u64::from(a.weight)).sum();
        if total == 0 {
            return None;
        }
        // FNV-1a of "experiment/subject": a stable hash, the same on every host.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in experiment.bytes().chain(*b"/").chain(subject_id.bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut point = hash % total;
        arms.into_iter().find(|a| {
            let w = u64::from(a.weight);
            if point < w { true } else { point -= w; false }
        })
    }
}

export!(Component);
