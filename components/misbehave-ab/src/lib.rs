//! A test-only allocator that misbehaves on purpose. For an experiment whose
//! salt contains "skew" it sends 70% of subjects to the first arm whatever
//! the weights (a broken split the sample-ratio check must flag); for one
//! containing "bogus" it answers an arm that was not offered (the host must
//! refuse it). Otherwise it assigns by the usual rule.
//! Built only for tests (tests/plugins/misbehave-ab.wasm).

wit_bindgen::generate!({
    world: "ab-plugin",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::allocator::{Arm, Guest};

struct Component;

impl Guest for Component {
    fn assign(experiment: String, subject_id: String, arms: Vec<Arm>) -> Option<Arm> {
        if experiment.contains("bogus") {
            return Some(Arm { name: "not-an-arm".into(), weight: 1 });
        }
        if experiment.contains("skew") && arms.len() >= 2 {
            let bucket = glint_ab_core::bucket(&experiment, &subject_id);
            let i = if bucket < 7_000 { 0 } else { 1 + (bucket as usize % (arms.len() - 1)) };
            return Some(arms[i].clone());
        }
        let weights: Vec<u32> = arms.iter().map(|a| a.weight).collect();
        glint_ab_core::assign(&experiment, &subject_id, &weights).map(|i| arms[i].clone())
    }
}

export!(Component);
