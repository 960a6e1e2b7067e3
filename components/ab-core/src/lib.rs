//! Deterministic assignment of subjects to the arms of an experiment.
//!
//! The rule, documented so that anyone can recompute an assignment:
//!
//! 1. `h = fnv1a32(experiment + "\u{1f}" + subject)` — FNV-1a, 32 bits, over
//!    the UTF-8 bytes (GrowthBook hashes the same way). `experiment` is the
//!    salt the host passes: the experiment's name and version
//!    (`name@version`), so bumping the version re-buckets everyone.
//! 2. `bucket = h % 10_000`.
//! 3. The buckets are split into consecutive ranges, one per arm in the order
//!    given, each `weight / total * 10_000` buckets wide (the last range ends
//!    at 10,000, so no bucket is left over). An arm of weight 0 has an empty
//!    range and is never assigned.
//!
//! The same salt, subject and arms always give the same arm. Stickiness
//! across weight changes is the host's: it records each subject's first
//! assignment and asks again only for new subjects.

/// Buckets the hash is reduced to; weights are resolved to 1/10,000.
pub const BUCKETS: u32 = 10_000;

/// FNV-1a, 32 bits.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The bucket (0 to 9,999) of `subject` in the experiment salted `experiment`.
pub fn bucket(experiment: &str, subject: &str) -> u32 {
    let mut key = Vec::with_capacity(experiment.len() + 1 + subject.len());
    key.extend_from_slice(experiment.as_bytes());
    key.push(0x1f);
    key.extend_from_slice(subject.as_bytes());
    fnv1a32(&key) % BUCKETS
}

/// The index of the arm whose bucket range holds `bucket`, for arms of
/// `weights`; `None` when every weight is 0.
pub fn arm_for_bucket(bucket: u32, weights: &[u32]) -> Option<usize> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return None;
    }
    let mut upper_weight: u64 = 0;
    let mut last = None;
    for (i, &w) in weights.iter().enumerate() {
        if w == 0 {
            continue;
        }
        upper_weight += u64::from(w);
        last = Some(i);
        // The range of arm i ends at floor(upper_weight / total * BUCKETS).
        let end = upper_weight * u64::from(BUCKETS) / total;
        if u64::from(bucket) < end {
            return Some(i);
        }
    }
    last
}

/// The arm (index into `weights`) of `subject`.
pub fn assign(experiment: &str, subject: &str, weights: &[u32]) -> Option<usize> {
    arm_for_bucket(bucket(experiment, subject), weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_vectors() {
        // From the FNV reference test suite (draft-eastlake-fnv).
        assert_eq!(fnv1a32(b""), 0x811c9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9cf968);
    }

    #[test]
    fn the_same_subject_always_gets_the_same_arm() {
        for s in 0..1000 {
            let subject = format!("user:{s}");
            let first = assign("exp@1", &subject, &[50, 50]);
            for _ in 0..3 {
                assert_eq!(assign("exp@1", &subject, &[50, 50]), first);
            }
        }
    }

    fn shares(salt: &str, weights: &[u32], n: usize) -> Vec<f64> {
        let mut counts = vec![0usize; weights.len()];
        for s in 0..n {
            counts[assign(salt, &format!("guest:{s:032x}"), weights).unwrap()] += 1;
        }
        counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    #[test]
    fn proportions_follow_the_weights_within_two_points_over_100k_subjects() {
        for weights in [vec![50, 50], vec![90, 10], vec![1, 2, 7], vec![3, 0, 1], vec![1, 1, 1, 1, 1]] {
            let total: u32 = weights.iter().sum();
            let got = shares("detector-ab@1", &weights, 100_000);
            for (i, &w) in weights.iter().enumerate() {
                let want = f64::from(w) / f64::from(total);
                assert!((got[i] - want).abs() <= 0.02, "weights {weights:?}: arm {i} got {:.4}, want {want:.4}", got[i]);
            }
        }
    }

    #[test]
    fn an_arm_of_weight_zero_is_never_assigned() {
        for s in 0..100_000 {
            let arm = assign("x@1", &format!("s{s}"), &[0, 5, 0, 5, 0]).unwrap();
            assert!(arm == 1 || arm == 3, "subject {s} got arm {arm}");
        }
        assert_eq!(assign("x@1", "s", &[0, 0]), None);
        assert_eq!(assign("x@1", "s", &[]), None);
    }

    #[test]
    fn every_bucket_maps_to_an_arm_and_ranges_are_contiguous() {
        let weights = [7, 0, 13, 1];
        let mut previous = 0;
        for b in 0..BUCKETS {
            let arm = arm_for_bucket(b, &weights).unwrap();
            assert!(arm >= previous && weights[arm] > 0, "bucket {b} -> {arm}");
            previous = arm;
        }
        assert_eq!(arm_for_bucket(BUCKETS - 1, &weights), Some(3));
    }

    #[test]
    fn bumping_the_version_rebuckets_about_half_of_a_50_50_split() {
        let n = 20_000;
        let moved = (0..n)
            .filter(|s| {
                let subject = format!("user:{s}");
                assign("exp@1", &subject, &[1, 1]) != assign("exp@2", &subject, &[1, 1])
            })
            .count();
        let share = moved as f64 / f64::from(n);
        assert!((share - 0.5).abs() < 0.02, "{share}");
    }

    #[test]
    fn without_sticky_records_adding_an_arm_would_move_subjects() {
        // Why the host keeps sticky records: re-asking after adding a third arm
        // moves about a third of the subjects of a 50/50 split.
        let moved = (0..30_000)
            .filter(|s| {
                let subject = format!("user:{s}");
                assign("exp@1", &subject, &[1, 1]) != assign("exp@1", &subject, &[1, 1, 1])
            })
            .count();
        assert!(moved > 5_000, "{moved}");
    }
}
