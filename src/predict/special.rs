//! Special functions for the models: `ln Γ`, digamma and the Gauss hypergeometric
//! series, written here (a few dozen lines) rather than pulled from a crate.
//!
//! Accuracy is checked against 20-digit reference values in
//! `tests/data/predict/special.csv` (unit tests at the bottom of this file).

/// ½·ln(2π).
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Lanczos approximation with g = 607/128 and 15 terms (Godfrey's coefficients):
/// relative error below 1e-15 for x ≥ 0.5.
const LANCZOS_G: f64 = 607.0 / 128.0;
const LANCZOS: [f64; 15] = [
    0.999_999_999_999_997_1,
    57.156_235_665_862_92,
    -59.597_960_355_475_49,
    14.136_097_974_741_747,
    -0.491_913_816_097_620_2,
    0.339_946_499_848_118_9e-4,
    4.652_362_892_704_858e-5,
    -0.983_744_753_048_795_6e-4,
    0.158_088_703_224_912_5e-3,
    -0.210_264_441_724_104_9e-3,
    0.217_439_618_115_212_64e-3,
    -0.164_318_106_536_763_9e-3,
    0.844_182_239_838_527_4e-4,
    -0.261_908_384_015_814_1e-4,
    0.368_991_826_595_316_2e-5,
];

/// The most terms [`hyp2f1`] sums before giving up.
pub(crate) const HYP2F1_MAX_TERMS: u32 = 1_000_000;

/// `ln Γ(x)` for `x > 0` (NaN for `x <= 0` or NaN).
///
/// Lanczos for `x ≥ 0.5`; below, `ln Γ(x) = ln Γ(x + 1) − ln x`, which keeps the
/// absolute error near 1e-15 down to tiny `x`.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x < 0.5 {
        return ln_gamma_lanczos(x + 1.0) - x.ln();
    }
    ln_gamma_lanczos(x)
}

fn ln_gamma_lanczos(x: f64) -> f64 {
    let mut sum = 0.0;
    for (i, coefficient) in LANCZOS.iter().enumerate().skip(1).rev() {
        sum += coefficient / (x + i as f64);
    }
    sum += LANCZOS[0];
    let tmp = x + LANCZOS_G + 0.5;
    (x + 0.5) * tmp.ln() - tmp + HALF_LN_2PI + (sum / x).ln()
}

/// Digamma `ψ(x) = d/dx ln Γ(x)` for `x > 0` (NaN for `x <= 0` or NaN).
///
/// Shifts `x` up to at least 10 with `ψ(x) = ψ(x + 1) − 1/x`, then uses the
/// asymptotic series to `x⁻¹⁴`.
pub(crate) fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    // Bernoulli terms B_2k / (2k x^2k), k = 1..7, in Horner form.
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0
                                    - inv2
                                        * (1.0 / 132.0
                                            - inv2 * (691.0 / 32760.0 - inv2 / 12.0))))));
    shift + x.ln() - 0.5 / x - series
}

/// Gauss hypergeometric `₂F₁(a, b; c; z)` for `a, b, c > 0` and `0 ≤ z < 1`, the
/// region the BG/NBD expectations need.
///
/// # Why a plain series is exact enough here
///
/// With positive parameters and `z ≥ 0` every term of the series is positive, so
/// summing it loses nothing to cancellation; the only question is when to stop. The
/// ratio of terms `m + 1` and `m` is `z · (a + m)/(m + 1) · (b + m)/(c + m)`, and
/// each of the two fractions is monotone in `m` and tends to 1, so for all `m ≥ n`
/// the ratio is at most `ρ = z · max(1, (a + n)/(n + 1)) · max(1, (b + n)/(c + n))`.
/// Once `ρ < 1` the tail after term `n` is at most `term · ρ/(1 − ρ)`, a rigorous
/// bound; the sum stops when it is below 1e-17 of the sum. Returns `Err(terms)`
/// outside the domain or when [`HYP2F1_MAX_TERMS`] terms were not enough (only for
/// `z` within about 1e-4 of 1).
pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, u32> {
    if !(a > 0.0 && b > 0.0 && c > 0.0 && (0.0..1.0).contains(&z)) {
        return Err(0);
    }
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    for n in 0..HYP2F1_MAX_TERMS {
        let nf = f64::from(n);
        let ratio = (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        term *= ratio;
        sum += term;
        if !sum.is_finite() {
            return Err(n);
        }
        let next = nf + 1.0;
        let rho = z * ((a + next) / (next + 1.0)).max(1.0) * ((b + next) / (c + next)).max(1.0);
        if rho < 1.0 && term * rho / (1.0 - rho) <= 1e-17 * sum {
            return Ok(sum);
        }
    }
    Err(HYP2F1_MAX_TERMS)
}

/// `ln(eˣ + eʸ)` without overflow.
pub(crate) fn ln_add_exp(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &str = include_str!("../../tests/data/predict/special.csv");

    fn num(text: &str) -> f64 {
        text.parse().unwrap()
    }

    #[test]
    fn reference_values() {
        let mut checked = 0;
        for line in CASES.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            let expected = num(cols[5]);
            let (got, tolerance) = match cols[0] {
                "ln_gamma" => (ln_gamma(num(cols[4])), 1e-14),
                "digamma" => (digamma(num(cols[4])), 1e-14),
                "hyp2f1" => (
                    hyp2f1(num(cols[1]), num(cols[2]), num(cols[3]), num(cols[4])).unwrap(),
                    1e-13,
                ),
                other => unreachable!("unknown function {other}"),
            };
            let error = (got - expected).abs() / expected.abs().max(1.0);
            assert!(
                error <= tolerance,
                "{line}: got {got:e}, relative error {error:e}"
            );
            checked += 1;
        }
        assert_eq!(checked, 45);
    }

    #[test]
    fn identities() {
        for &x in &[0.3, 1.7, 5.5, 42.0] {
            // Γ(x + 1) = x Γ(x) and ψ(x + 1) = ψ(x) + 1/x.
            assert!((ln_gamma(x + 1.0) - ln_gamma(x) - f64::ln(x)).abs() < 1e-13);
            assert!((digamma(x + 1.0) - digamma(x) - 1.0 / x).abs() < 1e-13);
            // ₂F₁(a, b; b; z) = (1 − z)^(−a).
            let z = x / 50.0;
            let exact = (1.0 - z).powf(-x);
            assert!((hyp2f1(x, 2.5, 2.5, z).unwrap() - exact).abs() < 1e-13 * exact);
        }
    }

    #[test]
    fn domains() {
        assert!(ln_gamma(0.0).is_nan());
        assert!(ln_gamma(-1.5).is_nan());
        assert!(digamma(0.0).is_nan());
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), Err(0));
        assert_eq!(hyp2f1(1.0, 1.0, -2.0, 0.5), Err(0));
        assert_eq!(
            hyp2f1(1.0, 1.0, 1.0, 1.0 - 1e-9),
            Err(HYP2F1_MAX_TERMS),
            "the series at z near 1 exhausts its budget"
        );
        assert_eq!(ln_add_exp(f64::NEG_INFINITY, 2.0), 2.0);
        assert!((ln_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
    }
}
