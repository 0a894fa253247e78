//! Special functions behind the intervals: the standard normal quantile (Wichura's
//! AS 241), the log-gamma function (Lanczos), the regularised incomplete beta function
//! (continued fraction) and, from it, the Student-t distribution and its quantile.

/// The standard normal quantile `Φ⁻¹(p)` for `0 < p < 1` (Wichura 1988, AS 241
/// `PPND16`, about 16 significant digits).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        let num = ((((((r * 2_509.080_928_730_122_7 + 33_430.575_583_588_13) * r
            + 67_265.770_927_008_7)
            * r
            + 45_921.953_931_549_87)
            * r
            + 13_731.693_765_509_46)
            * r
            + 1_971.590_950_306_551_4)
            * r
            + 133.141_667_891_784_38)
            * r
            + 3.387_132_872_796_366_5;
        let den = ((((((r * 5_226.495_278_852_546 + 28_729.085_735_721_943) * r
            + 39_307.895_800_092_71)
            * r
            + 21_213.794_301_586_597)
            * r
            + 5_394.196_021_424_751)
            * r
            + 687.187_007_492_057_9)
            * r
            + 42.313_330_701_600_91)
            * r
            + 1.0;
        return q * num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let value = if r <= 5.0 {
        r -= 1.6;
        let num = ((((((r * 7.745_450_142_783_414e-4 + 0.022_723_844_989_269_184) * r
            + 0.241_780_725_177_450_6)
            * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_545)
            * r
            + 1.423_437_110_749_683_5;
        let den = ((((((r * 1.050_750_071_644_416_9e-9 + 5.475_938_084_995_345e-4) * r
            + 0.015_198_666_563_616_457)
            * r
            + 0.148_103_976_427_480_08)
            * r
            + 0.689_767_334_985_1)
            * r
            + 1.676_384_830_183_803_8)
            * r
            + 2.053_191_626_637_759)
            * r
            + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((r * 2.010_334_399_292_288e-7 + 2.711_555_568_743_487_6e-5) * r
            + 0.001_242_660_947_388_078_4)
            * r
            + 0.026_532_189_526_576_124)
            * r
            + 0.296_560_571_828_504_9)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103;
        let den = ((((((r * 2.044_263_103_389_939_7e-15 + 1.421_511_758_316_446e-7) * r
            + 1.846_318_317_510_054_8e-5)
            * r
            + 7.868_691_311_456_133e-4)
            * r
            + 0.014_875_361_290_850_615)
            * r
            + 0.136_929_880_922_735_8)
            * r
            + 0.599_832_206_555_888)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 {
        -value
    } else {
        value
    }
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine terms; about 15 significant digits).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 8] = [
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
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx); only reached for 0 < x < 0.5.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = 0.999_999_999_999_809_9;
    for (i, c) in COEFFICIENTS.iter().enumerate() {
        sum += c / (x + i as f64 + 1.0);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised incomplete beta function `I_x(a, b)` for `a, b > 0`, `0 ≤ x ≤ 1`.
pub(crate) fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
#[allow(clippy::many_single_char_names)] // the textbook's names (Numerical Recipes §6.4)
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=500 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + even * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + even / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + odd * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + odd / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// `P(T > t)` for Student's t with `df` degrees of freedom and `t ≥ 0`.
pub(crate) fn student_t_upper_tail(t: f64, df: f64) -> f64 {
    0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5)
}

/// The Student-t quantile `t` with `P(T ≤ t) = p`, for `0.5 ≤ p < 1` and `df ≥ 1`.
///
/// Closed forms for one and two degrees of freedom; a Cornish–Fisher expansion above
/// 100,000 degrees of freedom; otherwise the root of the upper tail, bracketed and then
/// bisected to the last bit.
pub(crate) fn student_t_quantile(p: f64, df: f64) -> f64 {
    if p <= 0.5 {
        return 0.0;
    }
    if (df - 1.0).abs() < f64::EPSILON {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if (df - 2.0).abs() < f64::EPSILON {
        return (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
    }
    let z = normal_quantile(p);
    if df > 1e5 {
        let z3 = z * z * z;
        let z5 = z3 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df * df);
    }
    let tail = 1.0 - p;
    let mut lo = 0.0;
    let mut hi = z.max(1.0);
    while student_t_upper_tail(hi, df) > tail && hi < 1e12 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_upper_tail(mid, df) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn normal_quantiles_match_tables() {
        assert!(close(normal_quantile(0.975), 1.959_963_984_540_054, 1e-14));
        assert!(close(normal_quantile(0.95), 1.644_853_626_951_472_2, 1e-14));
        assert!(close(
            normal_quantile(0.995),
            2.575_829_303_548_900_4,
            1e-14
        ));
        assert!(close(normal_quantile(0.5), 0.0, 1e-15));
        assert!(close(normal_quantile(1e-10), -6.361_340_902_404_056, 1e-12));
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(ln_gamma(100.5), 361.435_540_467_777_6, 1e-10));
    }

    #[test]
    fn t_tails_match_closed_forms() {
        use std::f64::consts::PI;
        for t in [0.1_f64, 0.5, 1.0, 2.0, 5.0, 20.0, 300.0] {
            // One degree of freedom (Cauchy): P(T > t) = 1/2 − atan(t)/π.
            let cauchy = 0.5 - t.atan() / PI;
            assert!(
                close(student_t_upper_tail(t, 1.0), cauchy, 1e-13),
                "df 1, t {t}"
            );
            // Two: P(T > t) = (1 − t/√(2 + t²)) / 2.
            let two = 0.5 * (1.0 - t / (2.0 + t * t).sqrt());
            assert!(
                close(student_t_upper_tail(t, 2.0), two, 1e-13),
                "df 2, t {t}"
            );
            // Three: P(T ≤ t) = 1/2 + (t/(√3 (1 + t²/3)) + atan(t/√3)) / π.
            let s3 = 3f64.sqrt();
            let three = 0.5 - (t / (s3 * (1.0 + t * t / 3.0)) + (t / s3).atan()) / PI;
            assert!(
                close(student_t_upper_tail(t, 3.0), three, 1e-13),
                "df 3, t {t}"
            );
        }
        // The bisected quantile inverts the tail at df 3, far out.
        for p in [0.6, 0.9, 0.975, 0.9999] {
            let t = student_t_quantile(p, 3.0);
            assert!(close(student_t_upper_tail(t, 3.0), 1.0 - p, 1e-13), "p {p}");
        }
    }

    #[test]
    fn student_t_quantiles_match_tables() {
        // Two-sided 95% critical values from the usual t table (to 6 decimals).
        for (df, expected) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (3.0, 3.182_446_305),
            (5.0, 2.570_581_836),
            (10.0, 2.228_138_852),
            (30.0, 2.042_272_456),
            (100.0, 1.983_971_519),
            (1000.0, 1.962_339_081),
        ] {
            let t = student_t_quantile(0.975, df);
            assert!(close(t, expected, 1e-8), "df {df}: {t} vs {expected}");
        }
        // 99% two-sided, 5 df; 90% two-sided, 20 df.
        assert!(close(student_t_quantile(0.995, 5.0), 4.032_142_984, 1e-8));
        assert!(close(student_t_quantile(0.95, 20.0), 1.724_718_243, 1e-8));
        // Large df tends to the normal quantile.
        assert!(close(student_t_quantile(0.975, 1e7), 1.959_964_18, 1e-7));
    }
}
