//! The allocator plugin (plugins/ab.wasm) through the real component: it
//! gives every subject the arm the documented rule gives (glint-ab-core run
//! natively), follows the weights within 2 points over 100,000 subjects,
//! never assigns an arm of weight 0, and the host refuses an allocator's
//! answer that is not an offered arm.

use glint::Glint;
use glint::plugins::AllocatorArm;
use glint_tests::{config, home};

fn arms(weights: &[(&str, u32)]) -> Vec<AllocatorArm> {
    weights.iter().map(|&(name, weight)| AllocatorArm { name: name.into(), weight }).collect()
}

#[test]
fn the_component_follows_the_documented_rule_and_the_weights() {
    let g = Glint::open(config(None)).unwrap();
    for weights in [vec![("control", 50), ("treatment", 50)], vec![("a", 1), ("off", 0), ("b", 3)]] {
        let offered = arms(&weights);
        let plain: Vec<u32> = weights.iter().map(|w| w.1).collect();
        let total: u32 = plain.iter().sum();
        let mut counts = vec![0usize; weights.len()];
        let n = 100_000;
        for s in 0..n {
            let subject = format!("guest:{s:032x}");
            let got = g.plugins.assign("ab", "exp@1", &subject, &offered).unwrap().expect("an arm");
            let i = offered.iter().position(|a| a.name == got.name).unwrap();
            assert_eq!(Some(i), glint_ab_core::assign("exp@1", &subject, &plain), "{subject}: the component and the rule disagree");
            counts[i] += 1;
        }
        for (i, &(name, w)) in weights.iter().enumerate() {
            let share = counts[i] as f64 / n as f64;
            let want = f64::from(w) / f64::from(total);
            assert!((share - want).abs() <= 0.02, "{name}: {share:.4} of subjects, weight share {want:.4}");
            if w == 0 {
                assert_eq!(counts[i], 0, "{name} has weight 0");
            }
        }
    }
    assert!(g.plugins.assign("ab", "exp@1", "guest:x", &arms(&[("a", 0), ("b", 0)])).unwrap().is_none());
}

#[test]
fn an_allocator_that_answers_an_arm_not_offered_is_refused() {
    let g = Glint::open(config(None)).unwrap();
    g.plugins.load_file(&home().join("tests/plugins/misbehave-ab.wasm")).unwrap();
    let e = g.plugins.assign("misbehave-ab", "bogus@1", "user:ann", &arms(&[("a", 1), ("b", 1)])).unwrap_err();
    assert!(e.message.contains("not-an-arm") && e.message.contains("misbehave-ab"), "{e:?}");
    let e = g.plugins.assign("detect", "exp@1", "user:ann", &arms(&[("a", 1)])).unwrap_err();
    assert!(e.message.contains("not an allocator"), "{e:?}");
}
