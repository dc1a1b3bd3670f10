//! Hostile attenuations: blocks a token's holder can append offline, with nothing but the
//! token, to make deciding a request as costly as they can. Each stays within the 4,096
//! characters a bearer token may have. The tests and `make bench` (through the
//! `hostile-tokens` example) use the same variants.

use biscuit_auth::builder::BlockBuilder;
use biscuit_auth::{KeyPair, UnverifiedBiscuit};

/// One way of attacking the decision, by name.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// A short stable name, for test messages and the benchmark's table.
    pub name: &'static str,
    /// What the appended block does.
    pub what: &'static str,
    /// Whether the budget admits it, so that deciding it evaluates its blocks (their checks
    /// still refuse every operation).
    pub decided: bool,
    blocks: fn() -> Vec<Appended>,
}

/// A block to append: by the holder, or signed by a third party's key.
enum Appended {
    Holder(String),
    ThirdParty(String),
}

impl Variant {
    /// `token` (base64, as issued) with this variant's blocks appended.
    pub fn attenuate(&self, token: &str) -> String {
        let mut biscuit = UnverifiedBiscuit::from_base64(token).expect("an issued token parses");
        for block in (self.blocks)() {
            biscuit = match block {
                Appended::Holder(code) => biscuit
                    .append(BlockBuilder::new().code(&code).expect("the variant parses"))
                    .expect("the block appends"),
                Appended::ThirdParty(code) => {
                    let third_party = KeyPair::new();
                    let request = biscuit.third_party_request().expect("a request");
                    let block = request
                        .create_block(
                            &third_party.private(),
                            BlockBuilder::new().code(&code).expect("the variant parses"),
                        )
                        .expect("the third party signs");
                    biscuit
                        .append_third_party(block.serialize().expect("serializes").as_slice())
                        .expect("the block appends")
                }
            };
        }
        biscuit.to_base64().expect("the token serializes")
    }
}

/// `n` facts `f(0)` … `f(n-1)`.
fn facts(n: usize) -> String {
    (0..n).map(|i| format!("f({i});\n")).collect()
}

/// `f($v0), f($v1), …` for `k` variables, and their sum.
fn join(k: usize) -> (String, String) {
    let body: Vec<String> = (0..k).map(|i| format!("f($v{i})")).collect();
    let sum: Vec<String> = (0..k).map(|i| format!("$v{i}")).collect();
    (body.join(", "), sum.join(" + "))
}

/// A rule joining `k` copies of `n` facts, whose expression never holds: every combination
/// is enumerated and nothing derived.
fn rule_join(n: usize, k: usize) -> String {
    let (body, sum) = join(k);
    format!("{}j($v0) <- {body}, {sum} == -1;\n", facts(n))
}

/// A check joining `k` copies of `n` facts that never matches.
fn check_join(n: usize, k: usize) -> String {
    let (body, sum) = join(k);
    format!("{}check if {body}, {sum} == -1;\n", facts(n))
}

/// The variants, worst known first.
pub fn variants() -> Vec<Variant> {
    vec![
        Variant {
            name: "rule-join-6",
            what: "a rule joining 6 copies of 20 facts (64 million combinations)",
            decided: false,
            blocks: || vec![Appended::Holder(rule_join(20, 6))],
        },
        Variant {
            name: "rule-join-5",
            what: "a rule joining 5 copies of 40 facts (102 million combinations)",
            decided: false,
            blocks: || vec![Appended::Holder(rule_join(40, 5))],
        },
        Variant {
            name: "rule-join-4",
            what: "a rule joining 4 copies of 60 facts (13 million combinations)",
            decided: false,
            blocks: || vec![Appended::Holder(rule_join(60, 4))],
        },
        Variant {
            name: "rule-join-3",
            what: "a rule joining 3 copies of 200 facts (8 million combinations)",
            decided: false,
            blocks: || vec![Appended::Holder(rule_join(200, 3))],
        },
        Variant {
            name: "check-join-5",
            what: "a check joining 5 copies of 40 facts that never matches",
            decided: false,
            blocks: || vec![Appended::Holder(check_join(40, 5))],
        },
        Variant {
            name: "derive-many",
            what: "a rule deriving a fact for each of 30^4 combinations",
            decided: false,
            blocks: || {
                vec![Appended::Holder(format!(
                    "{}g($a, $b, $c, $d) <- f($a), f($b), f($c), f($d);\n",
                    facts(30)
                ))]
            },
        },
        Variant {
            name: "recursive",
            what: "rules deriving pairs from pairs, round after round",
            decided: false,
            blocks: || {
                vec![Appended::Holder(format!(
                    "{}p($a, $b) <- f($a), f($b);\np($a, $c) <- p($a, $b), p($b, $c);\n",
                    facts(30)
                ))]
            },
        },
        Variant {
            name: "expression",
            what: "three nested closures over a 150-element array in a check",
            decided: false,
            blocks: || {
                let array: Vec<String> = (0..150).map(|i| i.to_string()).collect();
                let array = format!("[{}]", array.join(","));
                vec![Appended::Holder(format!(
                    "check if {array}.any($x -> {array}.any($y -> {array}.any($z -> $x + $y + $z == -1)));\n"
                ))]
            },
        },
        Variant {
            name: "regex",
            what: "a regular expression built to be slow to compile, matched per combination",
            decided: false,
            blocks: || {
                vec![Appended::Holder(format!(
                    "{}check if f($a), f($b), \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\".matches(\"((a|b|ab)*(a{{1,30}}){{1,30}})*c\");\n",
                    facts(30)
                ))]
            },
        },
        Variant {
            name: "third-party-join-5",
            what: "a third-party block whose rule joins 5 copies of 40 facts",
            decided: false,
            blocks: || vec![Appended::ThirdParty(rule_join(40, 5))],
        },
        Variant {
            name: "stacked",
            what: "8 stacked blocks, each with a 3-way join of its own 6 facts",
            decided: false,
            blocks: || (0..8).map(|_| Appended::Holder(rule_join(6, 3))).collect(),
        },
        Variant {
            name: "many-blocks",
            what: "as many blocks as fit, each a signature to check and a check to run",
            decided: true,
            blocks: || {
                (0..18)
                    .map(|i| Appended::Holder(format!("check if {i} > 100;")))
                    .collect()
            },
        },
    ]
}

/// The variant called `name`.
pub fn variant(name: &str) -> Variant {
    variants()
        .into_iter()
        .find(|variant| variant.name == name)
        .unwrap_or_else(|| panic!("no hostile variant {name}"))
}
