//! The statistics of an experiment, as plain functions of numbers:
//!
//! - a mean with its 95% interval (normal approximation);
//! - Welch's t-test, the fixed-horizon reference (valid only when looked at once);
//! - the mixture sequential probability ratio test (mSPRT) of Johari,
//!   Pekelis & Walsh, "Always Valid Inference" (2017/2022), with a normal
//!   mixture of variance τ² over the difference of means: its p-value and
//!   confidence sequence stay valid however often they are looked at;
//! - the sample-ratio-mismatch check: Pearson's chi-squared of the subjects
//!   per arm against the weights (flagged at p < 0.001, as GrowthBook does).
//!
//! The special functions (regularised incomplete beta and gamma) follow
//! Numerical Recipes' continued fractions and series.

/// Count, mean and sample variance of a set of values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    /// Sample variance (n − 1 in the denominator); 0 below two values.
    pub variance: f64,
}

impl Summary {
    pub fn of(values: &[f64]) -> Summary {
        let mut s = Running::default();
        values.iter().for_each(|&v| s.push(v));
        s.summary()
    }

    /// Half-width of the 95% interval of the mean (normal approximation).
    pub fn ci95(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { 1.959964 * (self.variance / self.n as f64).sqrt() }
    }
}

/// Welford's running mean and variance.
#[derive(Clone, Copy, Debug, Default)]
pub struct Running {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    pub fn summary(&self) -> Summary {
        let variance = if self.n > 1 { self.m2 / (self.n - 1) as f64 } else { 0.0 };
        Summary { n: self.n, mean: self.mean, variance }
    }
}

/// Welch's two-sample t-test of `b` − `a`: (difference, t, degrees of freedom, two-sided p).
pub fn welch(a: &Summary, b: &Summary) -> Option<(f64, f64, f64, f64)> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let se2 = va + vb;
    let diff = b.mean - a.mean;
    if se2 <= 0.0 {
        return Some((diff, f64::INFINITY, 0.0, if diff == 0.0 { 1.0 } else { 0.0 }));
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    Some((diff, t, df, student_t_two_sided_p(t, df)))
}

/// Two-sided p-value of Student's t with `df` degrees of freedom.
pub fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The mSPRT of `b` − `a` at one look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sequential {
    pub difference: f64,
    /// The mixture likelihood ratio against "no difference".
    pub likelihood_ratio: f64,
    /// 1 / ratio at this look (the always-valid p-value is the running minimum of these).
    pub p_value: f64,
    /// The confidence sequence at level 1 − alpha: difference ± half_width.
    pub half_width: f64,
}

/// The mSPRT of the difference of means at one look, with mixture variance
/// `tau2` and the plug-in variance of the difference `V = s²a/na + s²b/nb`:
///
/// Λ = √(V / (V + τ²)) · exp(τ² Δ² / (2 V (V + τ²)))
///
/// and the confidence sequence Δ ± √(2 V (V + τ²) / τ² · (ln(1/α) + ½ ln((V + τ²) / V))),
/// the set of differences the test would not reject.
pub fn msprt(a: &Summary, b: &Summary, tau2: f64, alpha: f64) -> Option<Sequential> {
    if a.n < 2 || b.n < 2 || tau2 <= 0.0 {
        return None;
    }
    // A floor on the variance keeps an all-equal sample from claiming certainty.
    let v = (a.variance / a.n as f64 + b.variance / b.n as f64).max(1e-12);
    let difference = b.mean - a.mean;
    let log_lr = 0.5 * (v / (v + tau2)).ln() + tau2 * difference * difference / (2.0 * v * (v + tau2));
    let likelihood_ratio = log_lr.exp();
    let p_value = (-log_lr).exp().min(1.0);
    let half_width = (2.0 * v * (v + tau2) / tau2 * ((1.0 / alpha).ln() + 0.5 * ((v + tau2) / v).ln())).sqrt();
    Some(Sequential { difference, likelihood_ratio, p_value, half_width })
}

/// Pearson's chi-squared of `observed` counts against `weights`: (statistic, p).
/// Arms of weight 0 are expected to get nobody; any subject there is a mismatch
/// (p = 0). `None` with no subjects or fewer than two weighted arms.
pub fn sample_ratio(observed: &[u64], weights: &[u32]) -> Option<(f64, f64)> {
    let total: u64 = observed.iter().sum();
    let weight_sum: f64 = weights.iter().map(|&w| f64::from(w)).sum();
    let weighted = weights.iter().filter(|&&w| w > 0).count();
    if total == 0 || weighted < 2 || observed.len() != weights.len() {
        return None;
    }
    let mut chi2 = 0.0;
    for (&o, &w) in observed.iter().zip(weights) {
        if w == 0 {
            if o > 0 {
                return Some((f64::INFINITY, 0.0));
            }
            continue;
        }
        let expected = total as f64 * f64::from(w) / weight_sum;
        chi2 += (o as f64 - expected).powi(2) / expected;
    }
    let df = (weighted - 1) as f64;
    Some((chi2, upper_gamma(df / 2.0, chi2 / 2.0)))
}

/// The `q` quantile (0 to 1) of sorted values, by linear interpolation.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos approximation (g = 7, n = 9).
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function I_x(a, b).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))] {
            d = 1.0 + aa * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularised upper incomplete gamma function Q(a, x) (the chi-squared
/// survival function is Q(df/2, χ²/2)).
pub fn upper_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if !x.is_finite() {
        return 0.0;
    }
    let ln_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P, then Q = 1 − P.
        let (mut sum, mut term, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (1.0 - sum * ln_front.exp()).max(0.0)
    } else {
        // Continued fraction for Q.
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (ln_front.exp() * h).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn summaries() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((s.n, s.mean), (5, 3.0));
        assert!(close(s.variance, 2.5, 1e-12));
        assert!(close(s.ci95(), 1.959964 * (0.5f64).sqrt(), 1e-9));
        assert!(Summary::of(&[1.0]).ci95().is_nan());
    }

    #[test]
    fn special_functions_match_known_values() {
        // chi-squared survival: df 1 at 3.841459 is 0.05; df 2 at 5.991465 is 0.05; df 1 at 10.828 is 0.001.
        assert!(close(upper_gamma(0.5, 3.841459 / 2.0), 0.05, 1e-6));
        assert!(close(upper_gamma(1.0, 5.991465 / 2.0), 0.05, 1e-6));
        assert!(close(upper_gamma(0.5, 10.827566 / 2.0), 0.001, 1e-7));
        // Student t: two-sided p of t = 2.228139 with 10 df is 0.05; t = 1.959964 with huge df → 0.05.
        assert!(close(student_t_two_sided_p(2.228139, 10.0), 0.05, 1e-6));
        assert!(close(student_t_two_sided_p(1.959964, 1e7), 0.05, 1e-5));
        assert!(close(student_t_two_sided_p(0.0, 5.0), 1.0, 1e-12));
        assert!(close(incomplete_beta(2.0, 3.0, 0.4), 0.5248, 1e-4));
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        let a = Summary::of(&[3.0, 4.0, 3.0, 2.0, 3.0, 4.0]);
        let b = Summary::of(&[4.0, 5.0, 4.0, 5.0, 4.0, 3.0]);
        let (diff, t, df, p) = welch(&a, &b).unwrap();
        assert!(close(diff, 1.0, 1e-12), "{diff}");
        // s²a = 0.5667, s²b = 0.5667 → se = √(0.5667/3) = 0.4346, t = 2.3009, df = 10.
        assert!(close(t, 2.3009, 1e-3) && close(df, 10.0, 1e-9), "t {t} df {df}");
        assert!(close(p, 0.0442, 5e-4), "{p}");
    }

    #[test]
    fn msprt_confidence_sequence_holds_the_difference_and_is_wider_than_the_fixed_interval() {
        let a = Summary { n: 400, mean: 3.0, variance: 1.0 };
        let b = Summary { n: 400, mean: 3.4, variance: 1.0 };
        let s = msprt(&a, &b, 0.25, 0.05).unwrap();
        assert!(close(s.difference, 0.4, 1e-12));
        let fixed = 1.959964 * (2.0f64 / 400.0).sqrt();
        assert!(s.half_width > fixed, "{} vs {fixed}", s.half_width);
        assert!(s.difference - s.half_width > 0.0, "a 0.4 difference at n=400 is detected");
        assert!(s.p_value < 0.05 && close(s.p_value, 1.0 / s.likelihood_ratio, 1e-12));
        // No difference: the ratio stays below 1 and p at 1.
        let same = msprt(&a, &a, 0.25, 0.05).unwrap();
        assert!(same.likelihood_ratio < 1.0 && same.p_value == 1.0);
    }

    #[test]
    fn msprt_under_no_difference_rarely_rejects_even_when_looked_at_every_step() {
        // 200 A/A runs of 1,000 observations per arm, a look after every 10:
        // the share that ever reject at alpha = 0.05 must stay near or under 5%.
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut rejected = 0;
        for _ in 0..200 {
            let (mut a, mut b) = (Running::default(), Running::default());
            let mut ever = false;
            for i in 0..1000 {
                a.push((next() * 5.0).floor() + 1.0);
                b.push((next() * 5.0).floor() + 1.0);
                if i % 10 == 9 {
                    let s = msprt(&a.summary(), &b.summary(), 0.25, 0.05).unwrap();
                    ever |= s.p_value < 0.05;
                }
            }
            rejected += usize::from(ever);
        }
        assert!(rejected <= 16, "{rejected} of 200 A/A runs rejected");
    }

    #[test]
    fn sample_ratio_mismatch() {
        let (chi2, p) = sample_ratio(&[500, 500], &[1, 1]).unwrap();
        assert!(chi2 == 0.0 && close(p, 1.0, 1e-12));
        // 540/460 of 1000 at 50/50: χ² = 6.4, p = 0.0114 — not flagged at 0.001.
        let (chi2, p) = sample_ratio(&[540, 460], &[1, 1]).unwrap();
        assert!(close(chi2, 6.4, 1e-9) && close(p, 0.011412, 1e-5), "{chi2} {p}");
        // 700/300 at 50/50 is flagged.
        assert!(sample_ratio(&[700, 300], &[50, 50]).unwrap().1 < 1e-3);
        // 900/100 at 90/10 fits.
        assert!(sample_ratio(&[900, 100], &[90, 10]).unwrap().1 > 0.5);
        assert!(sample_ratio(&[5, 1, 0], &[1, 1, 0]).unwrap().1 > 0.0);
        assert_eq!(sample_ratio(&[5, 1, 2], &[1, 1, 0]).unwrap().1, 0.0);
        assert!(sample_ratio(&[0, 0], &[1, 1]).is_none());
    }

    #[test]
    fn quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.95), Some(4.8));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
