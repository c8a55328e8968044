//! Multiple-testing correction across all the tests of a case.

/// Benjamini–Hochberg q-values (false discovery rate adjusted p-values), in
/// the order of the input, as R's `p.adjust(p, "BH")` computes them:
/// `q_(i) = min over j >= i of min(1, m p_(j) / j)` for the p-values sorted
/// ascending.
///
/// The q-values are monotone in p (a smaller p never gets a larger q), never
/// below their p, and capped at 1; tied p-values get equal q-values. Edge
/// cases: an empty slice gives an empty vector; p-values are clamped to
/// `[0, 1]` and a NaN p-value is treated as 1 (no evidence), so no q-value is
/// NaN.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let clean: Vec<f64> = p
        .iter()
        .map(|&v| if v.is_nan() { 1.0 } else { v.clamp(0.0, 1.0) })
        .collect();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| clean[i].total_cmp(&clean[j]));
    let mut q = vec![0.0; m];
    // Walk from the largest p down, carrying the running minimum: that is
    // what makes the q-values monotone (the "step-up" in step-up procedure).
    let mut running = 1.0_f64;
    for rank in (1..=m).rev() {
        let i = order[rank - 1];
        // m / rank >= 1 first, then times p: rounding cannot push q below p
        // (and this is R's order of operations, so the values match it).
        running = running.min(m as f64 / rank as f64 * clean[i]);
        q[i] = running;
    }
    q
}
