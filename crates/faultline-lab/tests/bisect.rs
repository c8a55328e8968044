//! Tests of the lab bisection planner (`faultline lab bisect`): its
//! arithmetic, its direction of belief updates, its input checks, and its
//! accuracy and cost on simulated causes, against the naive
//! one-factor-at-a-time search. Run with `--nocapture` to see the figures.

use faultline_lab::bisect::{
    BisectError, BisectOptions, Factor, Observation, Planner, StopReason, Truth, log_likelihood,
    simulate,
};
use faultline_stats::Rng;

const HOUR: f64 = 3600.0;

fn factors(k: usize) -> Vec<Factor> {
    (1..=k)
        .map(|i| Factor {
            name: format!("f{i}"),
            good: "good".into(),
            bad: "bad".into(),
        })
        .collect()
}

fn prob(p: &Planner, label: &str) -> f64 {
    p.posterior()
        .into_iter()
        .find(|b| b.label == label)
        .unwrap_or_else(|| panic!("no hypothesis {label}"))
        .probability
}

/// Accuracy and mean cost of the planner over `seeds` simulations.
fn score(k: usize, truth: &Truth, seeds: u64) -> (usize, f64, f64) {
    let mut correct = 0;
    let mut hours = 0.0;
    let mut runs = 0.0;
    for seed in 0..seeds {
        let r = simulate(factors(k), BisectOptions::default(), truth, seed, 200).unwrap();
        correct += usize::from(r.correct);
        hours += r.hours;
        runs += r.runs.len() as f64;
    }
    (correct, hours / seeds as f64, runs / seeds as f64)
}

#[test]
fn bisect_likelihood_matches_hand_computation() {
    // MTTF 600 s, so rate 1/600. A failure at 300 s: ln(1/600) − 300/600 =
    // −ln 600 − 0.5 = −6.396929655 − 0.5 (ln 600 = ln 6 + 2 ln 10 =
    // 1.791759469 + 4.605170186).
    let l = log_likelihood(1.0 / 600.0, true, 300.0);
    assert!((l - (-6.896_929_655)).abs() < 1e-8, "{l}");
    // Clean for an hour at that rate: −3600/600 = −6, i.e. e^−6 ≈ 0.00248,
    // the chance a 10-minute-MTTF configuration survives an hour.
    assert_eq!(log_likelihood(1.0 / 600.0, false, 3600.0), -6.0);
    // Background rate 0.01/600, clean hour: −0.06.
    assert!((log_likelihood(0.01 / 600.0, false, 3600.0) + 0.06).abs() < 1e-15);
    // A clean run of zero length says nothing.
    assert_eq!(log_likelihood(1.0, false, 0.0), 0.0);

    // Likelihood ratio between the two verdicts on a configuration, for a
    // failure at t under λ: (λ e^{−λt}) / (βλ e^{−βλt}) = e^{−(1−β)λt}/β;
    // at λ = 1/600, t = 300, β = 0.01: e^{−0.495}/0.01 = 100·e^{−0.5}·e^{0.005}
    // = 100 × 0.60653066 × 1.00501252 = 60.95709.
    let ratio = (log_likelihood(1.0 / 600.0, true, 300.0)
        - log_likelihood(0.01 / 600.0, true, 300.0))
    .exp();
    assert!((ratio - 60.957_09).abs() < 1e-4, "{ratio}");

    // A run of the pure bad configuration: every hypothesis says "bad
    // rate", so it changes only the belief about λ, not about the cause.
    let mut p = Planner::new(factors(3), BisectOptions::default()).unwrap();
    let before = p.posterior();
    p.observe(&Observation {
        bad: vec![true; 3],
        failed: true,
        time_s: 300.0,
    })
    .unwrap();
    for b in before {
        assert!((prob(&p, &b.label) - b.probability).abs() < 1e-12);
    }
    // ...and the λ belief moved towards the observed 5 minutes.
    let e = p.rate_estimate();
    assert!(e.low_mttf_s < 300.0 && 300.0 < e.high_mttf_s, "{e:?}");
}

#[test]
fn bisect_finds_a_single_factor() {
    // k = 3, truth f2, MTTF 10 min, T = 1 h, true background 0: "a good
    // configuration never fails".
    let truth = Truth {
        culprits: vec![1],
        mttf_s: 600.0,
        background: 0.0,
    };
    let (correct, hours, runs) = score(3, &truth, 50);
    println!("single f2 of 3: {correct}/50 correct, mean {hours:.2} h, {runs:.1} runs");
    assert!(correct >= 48, "{correct}/50");
}

#[test]
fn bisect_finds_a_pair() {
    // k = 4, truth f2 & f4 together.
    let truth = Truth {
        culprits: vec![1, 3],
        mttf_s: 600.0,
        background: 0.0,
    };
    let (correct, hours, runs) = score(4, &truth, 50);
    println!("pair f2&f4 of 4: {correct}/50 correct, mean {hours:.2} h, {runs:.1} runs");
    assert!(correct >= 48, "{correct}/50");
}

#[test]
fn bisect_tolerates_the_modelled_background() {
    // The truth's good configurations fail too, at 1% of the bad rate.
    let truth = Truth {
        culprits: vec![0],
        mttf_s: 600.0,
        background: 0.01,
    };
    let (correct, hours, runs) = score(3, &truth, 20);
    println!("single f1 of 3, background 1%: {correct}/20, {hours:.2} h, {runs:.1} runs");
    assert!(correct >= 18, "{correct}/20");
}

/// The beliefs the direction tests start from, each with whether all
/// hypotheses still share one belief about λ: the prior, the prior after
/// runs of the pure bad configuration (which every hypothesis accuses), and
/// the first runs of a few simulated bisections.
fn histories() -> Vec<(Planner, bool)> {
    let prior = Planner::new(factors(3), BisectOptions::default()).unwrap();
    let mut out = vec![(prior.clone(), true)];
    let mut pure = prior;
    for (failed, time_s) in [(true, 400.0), (false, HOUR), (true, 1500.0)] {
        pure.observe(&Observation {
            bad: vec![true; 3],
            failed,
            time_s,
        })
        .unwrap();
        out.push((pure.clone(), true));
    }
    for (seed, culprits) in [(1, vec![0]), (2, vec![2]), (3, vec![0, 1]), (4, vec![])] {
        let truth = Truth {
            culprits,
            mttf_s: 900.0,
            background: 0.0,
        };
        let sim = simulate(factors(3), BisectOptions::default(), &truth, seed, 3).unwrap();
        let mut p = Planner::new(factors(3), BisectOptions::default()).unwrap();
        for o in &sim.runs {
            p.observe(o).unwrap();
            out.push((p.clone(), false));
        }
    }
    out
}

fn says_bad(label: &str, bad: &[bool]) -> bool {
    if label == "none of the factors" {
        return true;
    }
    label
        .split(" & ")
        .all(|f| bad[f[1..].parse::<usize>().unwrap() - 1])
}

#[test]
fn bisect_clean_runs_lower_and_failures_raise_the_accusing_hypotheses() {
    // Why this holds: for a given λ, a clean run of length T has likelihood
    // e^{−λT} under every hypothesis that calls the configuration bad and
    // e^{−βλT}, larger, under the others, so each accuser loses against
    // each non-accuser. A failure at t has likelihood ratio
    // e^{−(1−β)λt}/β, above 1 while λt < ln(1/β)/(1−β) ≈ 4.65: failures
    // are checked at 10 minutes of a 1-hour limit, where the whole λ grid
    // (up to 20 per hour) qualifies. (A very late failure at a very high
    // believed rate would be evidence for the background instead.)
    //
    // So every accuser moves the right way while the hypotheses share one
    // belief about λ. Once earlier runs made those beliefs differ, accusers
    // can explain each other away: after a clean run of {f2, f3}, "f2"
    // believes in a low rate, so a further clean run of {f1, f2} hurts it
    // less than it hurts "f1", and "f2" gains a little even though the
    // accusers together lose (checked at the end). What holds then is the
    // accusers' total.
    for (i, (p, shared_rate)) in histories().into_iter().enumerate() {
        for mask in 0..8u32 {
            let bad: Vec<bool> = (0..3).map(|i| mask & (1 << i) != 0).collect();
            let mut clean = p.clone();
            clean
                .observe(&Observation {
                    bad: bad.clone(),
                    failed: false,
                    time_s: HOUR,
                })
                .unwrap();
            let mut failed = p.clone();
            failed
                .observe(&Observation {
                    bad: bad.clone(),
                    failed: true,
                    time_s: 600.0,
                })
                .unwrap();
            let accused = |q: &Planner| -> f64 {
                q.posterior()
                    .iter()
                    .filter(|b| says_bad(&b.label, &bad))
                    .map(|b| b.probability)
                    .sum()
            };
            // Equal when every hypothesis accuses the configuration.
            assert!(
                accused(&failed) >= accused(&p) - 1e-12,
                "history {i} {bad:?}"
            );
            assert!(
                accused(&clean) <= accused(&p) + 1e-12,
                "history {i} {bad:?}"
            );
            if !shared_rate {
                continue;
            }
            for b in p.posterior() {
                if says_bad(&b.label, &bad) {
                    let c = prob(&clean, &b.label);
                    let f = prob(&failed, &b.label);
                    assert!(
                        c <= b.probability + 1e-12,
                        "history {i} {} {bad:?}",
                        b.label
                    );
                    assert!(
                        f >= b.probability - 1e-12,
                        "history {i} {} {bad:?}",
                        b.label
                    );
                }
            }
        }
    }

    let mut p = Planner::new(factors(3), BisectOptions::default()).unwrap();
    let clean = |bad: Vec<bool>| Observation {
        bad,
        failed: false,
        time_s: HOUR,
    };
    p.observe(&clean(vec![false, true, true])).unwrap();
    let (f1, f2) = (prob(&p, "f1"), prob(&p, "f2"));
    p.observe(&clean(vec![true, true, false])).unwrap();
    assert!(prob(&p, "f1") < f1 && prob(&p, "f2") > f2);
}

#[test]
fn bisect_single_factor_is_degenerate_but_sound() {
    let mut p = Planner::new(factors(1), BisectOptions::default()).unwrap();
    let post = p.posterior();
    // "f1" (0.9: no pairs, its share goes to the single) and "none" (0.1).
    assert_eq!(post.len(), 2);
    assert_eq!(post[0].label, "f1");
    assert!((post[0].probability - 0.9).abs() < 1e-12);
    assert!(p.decided().is_none());
    // The only informative run is the good configuration: does it fail too?
    let prop = p.next_run();
    assert_eq!(prop.assignment, vec![false]);
    assert_eq!(prop.levels, vec!["f1=good".to_string()]);
    assert!(prop.expected_gain_bits > 0.0 && prop.expected_hours > 0.0);
    let truth = Truth {
        culprits: vec![0],
        mttf_s: 600.0,
        background: 0.0,
    };
    let r = simulate(factors(1), BisectOptions::default(), &truth, 7, 50).unwrap();
    assert!(r.correct, "{r:?}");
    assert_eq!(r.stop, Some(StopReason::Decided));
    // Observing after the decision still works.
    p.observe(&Observation {
        bad: vec![false],
        failed: false,
        time_s: HOUR,
    })
    .unwrap();
}

#[test]
fn bisect_rejects_bad_input() {
    let ok = BisectOptions::default();
    let bad_opts = [
        BisectOptions {
            confidence: 1.0,
            ..ok.clone()
        },
        BisectOptions {
            confidence: f64::NAN,
            ..ok.clone()
        },
        BisectOptions {
            background: 0.0,
            ..ok.clone()
        },
        BisectOptions {
            background: 1.0,
            ..ok.clone()
        },
        BisectOptions {
            pair_prior: 0.6,
            none_prior: 0.5,
            ..ok.clone()
        },
        BisectOptions {
            time_limit_s: 0.0,
            ..ok.clone()
        },
        BisectOptions {
            time_limit_s: f64::INFINITY,
            ..ok.clone()
        },
        BisectOptions {
            bad_mttf_s: Some(-5.0),
            ..ok.clone()
        },
        BisectOptions {
            budget_hours: Some(f64::NAN),
            ..ok.clone()
        },
    ];
    for o in bad_opts {
        assert!(
            matches!(
                Planner::new(factors(2), o.clone()),
                Err(BisectError::OptionOutOfRange { .. })
            ),
            "{o:?}"
        );
    }
    assert_eq!(
        Planner::new(Vec::new(), ok.clone()).unwrap_err(),
        BisectError::NoFactors
    );
    assert!(matches!(
        Planner::new(factors(17), ok.clone()),
        Err(BisectError::TooManyFactors { .. })
    ));
    let mut twice = factors(2);
    twice[1].name = "f1".into();
    assert!(matches!(
        Planner::new(twice, ok.clone()),
        Err(BisectError::DuplicateFactor(_))
    ));

    let mut p = Planner::new(factors(2), ok.clone()).unwrap();
    for t in [-1.0, f64::NAN, f64::INFINITY] {
        let o = Observation {
            bad: vec![true, false],
            failed: true,
            time_s: t,
        };
        assert!(matches!(p.observe(&o), Err(BisectError::BadRunTime(_))));
    }
    let short = Observation {
        bad: vec![true],
        failed: false,
        time_s: 10.0,
    };
    assert!(matches!(
        p.observe(&short),
        Err(BisectError::WrongAssignmentLength { .. })
    ));
    // Rejected runs left no trace.
    assert_eq!(p.runs(), 0);

    let truth = Truth {
        culprits: vec![5],
        mttf_s: 600.0,
        background: 0.0,
    };
    assert!(matches!(
        simulate(factors(2), ok, &truth, 1, 10),
        Err(BisectError::BadCulprit { .. })
    ));
}

#[test]
fn bisect_budget_stops_the_search() {
    // No factor matters and the rate is low: nothing decides quickly.
    let truth = Truth {
        culprits: vec![0, 1],
        mttf_s: 20.0 * HOUR,
        background: 0.0,
    };
    let opts = BisectOptions {
        budget_runs: Some(4),
        ..BisectOptions::default()
    };
    let r = simulate(factors(3), opts, &truth, 11, 100).unwrap();
    assert_eq!(r.runs.len(), 4);
    assert_eq!(r.stop, Some(StopReason::BudgetRuns));
    assert!(r.decision.is_none() && !r.correct);
    assert!(r.best.probability < 0.95);
}

#[test]
fn bisect_is_deterministic() {
    let truth = Truth {
        culprits: vec![2],
        mttf_s: 1200.0,
        background: 0.0,
    };
    let a = simulate(factors(4), BisectOptions::default(), &truth, 42, 100).unwrap();
    let b = simulate(factors(4), BisectOptions::default(), &truth, 42, 100).unwrap();
    assert_eq!(a, b);
}

/// The search people do by hand: each factor flipped to bad alone, from the
/// good configuration, `reps` runs each; the culprit is the one factor whose
/// runs failed. Returns (correct, hours).
fn naive(k: usize, truth: &Truth, reps: usize, seed: u64) -> (bool, f64) {
    let mut rng = Rng::new(seed);
    let mut seconds = 0.0;
    let mut flagged = Vec::new();
    for i in 0..k {
        let mut bad = vec![false; k];
        bad[i] = true;
        let mut failures = 0;
        for _ in 0..reps {
            let o = truth.run(&bad, HOUR, &mut rng);
            seconds += o.time_s;
            failures += usize::from(o.failed);
        }
        if failures > 0 {
            flagged.push(i);
        }
    }
    (flagged == truth.culprits, seconds / HOUR)
}

#[test]
fn bisect_beats_one_factor_at_a_time() {
    for k in [3, 6] {
        let truth = Truth {
            culprits: vec![1],
            mttf_s: 600.0,
            background: 0.0,
        };
        let seeds = 30;
        let (correct, hours, runs) = score(k, &truth, seeds);
        let mut naive_correct = 0;
        let mut naive_hours = 0.0;
        for seed in 0..seeds {
            let (c, h) = naive(k, &truth, 3, seed);
            naive_correct += usize::from(c);
            naive_hours += h;
        }
        naive_hours /= seeds as f64;
        println!(
            "k={k}: planner {correct}/{seeds} correct, {hours:.2} h, {runs:.1} runs; \
             one-at-a-time x3 {naive_correct}/{seeds} correct, {naive_hours:.2} h, {} runs",
            3 * k
        );
        assert!(hours < naive_hours, "{hours} vs {naive_hours}");
    }
}
