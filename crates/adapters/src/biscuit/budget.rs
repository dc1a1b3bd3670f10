//! What deciding a token's checks may cost, bounded before any Datalog runs.
//!
//! biscuit-auth checks its run limits (facts, iterations, time) only between two rounds of
//! rule evaluation, and a round applies every rule to every combination of the facts its body
//! names: one rule joining `k` copies of `n` facts enumerates `n^k` combinations before any
//! limit is looked at. So the limits alone bound nothing a token's holder can append. This
//! module reads the token's blocks (never running them) and computes an upper bound on the
//! work biscuit-auth's evaluation can do with them, in units of roughly one fact scanned or
//! one expression operation; a token whose bound exceeds [`MAX_COST`] is refused undecided.
//!
//! The bound follows biscuit-auth 6's evaluation (naive rounds, nested-loop joins):
//! - facts per predicate (name and arity): those stated, plus for each rule deriving it the
//!   product of its body's; never more than [`MAX_FACTS`], the run limit on all facts;
//! - a rule, check or policy whose body names `p1 … pk` scans every fact once per partial
//!   combination (`F · (1 + m1 + m1·m2 + …)`, `F` all facts, `mi` those of `pi`), and
//!   evaluates its expressions and builds its head once per whole combination (`m1 · … · mk`);
//! - an expression costs its operations, each up to the size of the largest value it can
//!   build, and a closure's body once per element a collection can have; a regular
//!   expression is never evaluated (its cost cannot be bounded from its text);
//! - stated facts, queries and derived facts add the fixed costs measured for them;
//! - rules run once per round: as many rounds as the longest chain of rules feeding each
//!   other, plus one; [`MAX_ITERATIONS`] when rules feed themselves;
//! - scopes are ignored (every fact counts as visible everywhere), which only over-counts.
//!
//! docs/performance.md ("Hostile tokens") has the measurements behind the constants: the
//! costliest token the budget admits decides in a few milliseconds, within the contract's 10.

use std::collections::HashMap;

use biscuit_auth::format::schema::{self, op, op_binary, term};

use super::blocks::Block;

/// The most work deciding a token may cost, in the units above.
pub const MAX_COST: u64 = 50_000;
/// The run limit on facts (stated and derived), checked by biscuit-auth between rounds.
pub const MAX_FACTS: u64 = 256;
/// The run limit on rounds.
pub const MAX_ITERATIONS: u64 = 32;
/// Fixed costs, measured: loading a stated fact; preparing a rule, check query or policy;
/// building and storing a derived fact, before its terms.
const FACT_COST: u64 = 32;
const QUERY_COST: u64 = 100;
const DERIVED_COST: u64 = 40;

/// What the authorizer adds to every token's program (`evaluate` in the parent module): the
/// facts `time(now)` and `operation(op)`, and the policy `allow if user($u)`.
const AUTHORIZER_FACTS: [(&str, usize); 2] = [("time", 1), ("operation", 1)];
const AUTHORIZER_POLICY: (&str, usize) = ("user", 1);

/// Why a token's checks are not decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    /// Their bound is beyond [`MAX_COST`].
    Cost(u64),
    /// A regular expression: compiling one costs what its text says, not its length (a
    /// 19-character pattern took 100 ms to be refused as too large), so none is evaluated.
    Regex,
    /// A name or string not in the block's symbol table (biscuit-auth would refuse it too).
    Symbol,
}

/// The bound on deciding a token with these blocks (the authority block first).
pub fn cost(blocks: &[Block]) -> Result<u64, OverBudget> {
    let mut program = Program::new(Sizes::of(blocks));
    for block in blocks {
        program.add(block)?;
    }
    let total = program.cost();
    if total > MAX_COST {
        Err(OverBudget::Cost(total))
    } else {
        Ok(total)
    }
}

/// Bounds on the values a token's program can handle.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    /// The largest value any block holds: 1 per scalar or element, 1 per 32 bytes of text.
    largest: u64,
    /// The most elements a collection can have: all those of every collection written in the
    /// token (a union may join them).
    elements: u64,
}

impl Sizes {
    fn of(blocks: &[Block]) -> Self {
        let mut sizes = Self {
            largest: 2, // the authorizer's own values: ids and operation names
            elements: 1,
        };
        for block in blocks {
            for term in terms(&block.block) {
                sizes.largest = sizes.largest.max(size(block, term));
                sizes.elements = sizes.elements.saturating_add(elements(term));
            }
        }
        sizes
    }
}

/// A rule, check query or policy query: what it derives, what its body joins, and what one
/// whole combination of its body costs (its expressions, and its head's fact).
struct Query {
    head: Option<usize>,
    body: Vec<usize>,
    per_combination: u64,
}

/// The program a token is decided with: predicates numbered in order of appearance, by name
/// and arity (as the engine matches them), how many facts each has stated, and the queries.
struct Program {
    sizes: Sizes,
    predicates: HashMap<(String, usize), usize>,
    stated: Vec<u64>,
    rules: Vec<Query>,
    checks: Vec<Query>,
}

impl Program {
    fn new(sizes: Sizes) -> Self {
        let mut program = Self {
            sizes,
            predicates: HashMap::new(),
            stated: Vec::new(),
            rules: Vec::new(),
            checks: Vec::new(),
        };
        for (name, arity) in AUTHORIZER_FACTS {
            let fact = program.predicate(name, arity);
            program.stated[fact] += 1;
        }
        let (name, arity) = AUTHORIZER_POLICY;
        let policy = program.predicate(name, arity);
        program.checks.push(Query {
            head: None,
            body: vec![policy],
            per_combination: 1,
        });
        program
    }

    fn predicate(&mut self, name: &str, arity: usize) -> usize {
        let next = self.predicates.len();
        let index = *self
            .predicates
            .entry((name.to_owned(), arity))
            .or_insert(next);
        if self.stated.len() <= index {
            self.stated.push(0);
        }
        index
    }

    fn resolve(
        &mut self,
        block: &Block,
        predicate: &schema::Predicate,
    ) -> Result<usize, OverBudget> {
        let name = block.symbol(predicate.name).ok_or(OverBudget::Symbol)?;
        Ok(self.predicate(name, predicate.terms.len()))
    }

    fn add(&mut self, block: &Block) -> Result<(), OverBudget> {
        for fact in &block.block.facts {
            let index = self.resolve(block, &fact.predicate)?;
            self.stated[index] += 1;
        }
        for rule in &block.block.rules {
            let query = self.query(block, rule, true)?;
            self.rules.push(query);
        }
        for check in &block.block.checks {
            for rule in &check.queries {
                let query = self.query(block, rule, false)?;
                self.checks.push(query);
            }
        }
        Ok(())
    }

    fn query(
        &mut self,
        block: &Block,
        rule: &schema::Rule,
        derives: bool,
    ) -> Result<Query, OverBudget> {
        let body = rule
            .body
            .iter()
            .map(|p| self.resolve(block, p))
            .collect::<Result<Vec<_>, _>>()?;
        let head = match derives {
            true => Some(self.resolve(block, &rule.head)?),
            false => None,
        };
        let mut per_combination = match derives {
            true => {
                DERIVED_COST + (rule.head.terms.len() as u64).saturating_mul(self.sizes.largest)
            }
            false => 1,
        };
        for expression in &rule.expressions {
            let widest = leaves(&expression.ops).saturating_mul(self.sizes.largest);
            let cost = ops_cost(&expression.ops, self.sizes, widest)?;
            per_combination = per_combination.saturating_add(cost);
        }
        Ok(Query {
            head,
            body,
            per_combination,
        })
    }

    fn cost(&self) -> u64 {
        let counts = self.counts();
        let all_facts = counts
            .iter()
            .fold(0u64, |a, &n| a.saturating_add(n))
            .min(MAX_FACTS);
        let join = |query: &Query| join_cost(query, &counts, all_facts);
        let per_round = self.rules.iter().map(join).fold(0, u64::saturating_add);
        let stated: u64 = self.stated.iter().sum();
        let queries = (self.rules.len() + self.checks.len()) as u64;
        self.rounds()
            .saturating_mul(per_round)
            .saturating_add(self.checks.iter().map(join).fold(0, u64::saturating_add))
            .saturating_add(stated.saturating_mul(FACT_COST))
            .saturating_add(queries.saturating_mul(QUERY_COST))
    }

    /// The most facts each predicate can have: those stated, plus what rules derive, never
    /// more than [`MAX_FACTS`] (the run stops once there are that many).
    fn counts(&self) -> Vec<u64> {
        let mut counts = self.stated.clone();
        // Monotone and capped, so it settles, nearly always within a few passes; a program
        // still climbing after as many passes as the cap and its rules make up is put at
        // the cap.
        for _ in 0..2 * MAX_FACTS as usize + self.rules.len() {
            let mut next = self.stated.clone();
            for rule in &self.rules {
                if let Some(head) = rule.head {
                    next[head] = next[head]
                        .saturating_add(combinations(rule, &counts))
                        .min(MAX_FACTS);
                }
            }
            if next == counts {
                return counts;
            }
            counts = next;
        }
        for head in self.rules.iter().filter_map(|rule| rule.head) {
            counts[head] = MAX_FACTS;
        }
        counts
    }

    /// Rounds of rule evaluation: one per link of the longest chain of rules feeding each
    /// other, plus the round that finds nothing new; the run limit when rules feed
    /// themselves.
    fn rounds(&self) -> u64 {
        let mut deriving: Vec<Vec<usize>> = vec![Vec::new(); self.predicates.len()];
        for (i, rule) in self.rules.iter().enumerate() {
            if let Some(head) = rule.head {
                deriving[head].push(i);
            }
        }
        let mut chains = Chains {
            rules: &self.rules,
            deriving: &deriving,
            depth: vec![Depth::Unknown; self.rules.len()],
        };
        let mut longest = 0;
        for rule in 0..self.rules.len() {
            match chains.measure(rule) {
                Some(depth) => longest = longest.max(depth),
                None => return MAX_ITERATIONS,
            }
        }
        (longest + 1).min(MAX_ITERATIONS)
    }
}

#[derive(Debug, Clone, Copy)]
enum Depth {
    Unknown,
    Measuring,
    Known(u64),
}

/// The longest chain of rules ending in each rule, by depth-first search: a rule met again
/// while its own chain is being measured is a cycle.
struct Chains<'a> {
    rules: &'a [Query],
    deriving: &'a [Vec<usize>],
    depth: Vec<Depth>,
}

impl Chains<'_> {
    fn measure(&mut self, rule: usize) -> Option<u64> {
        match self.depth[rule] {
            Depth::Known(depth) => return Some(depth),
            Depth::Measuring => return None,
            Depth::Unknown => self.depth[rule] = Depth::Measuring,
        }
        let mut longest = 0;
        for &predicate in &self.rules[rule].body {
            for &feeder in &self.deriving[predicate] {
                longest = longest.max(self.measure(feeder)?);
            }
        }
        self.depth[rule] = Depth::Known(longest + 1);
        Some(longest + 1)
    }
}

fn combinations(query: &Query, counts: &[u64]) -> u64 {
    query
        .body
        .iter()
        .fold(1u64, |product, &p| product.saturating_mul(counts[p]))
}

/// Scanning every fact once per partial combination, then the expressions and head once per
/// whole one.
fn join_cost(query: &Query, counts: &[u64], all_facts: u64) -> u64 {
    let mut partial = 1u64;
    let mut scans = 0u64;
    for &p in &query.body {
        scans = scans.saturating_add(partial);
        partial = partial.saturating_mul(counts[p]);
    }
    scans
        .saturating_mul(all_facts.max(1))
        .saturating_add(partial.saturating_mul(query.per_combination))
}

/// How many values an expression pushes, closures' included.
fn leaves(ops: &[schema::Op]) -> u64 {
    ops.iter()
        .map(|o| match &o.content {
            Some(op::Content::Value(_)) => 1,
            Some(op::Content::Closure(closure)) => leaves(&closure.ops),
            _ => 0,
        })
        .sum()
}

/// One evaluation of `ops`: a value pushed up to the largest one the token holds, every
/// other operation up to the widest value the expression can build (`widest`), a closure's
/// body once per element a collection can have.
fn ops_cost(ops: &[schema::Op], sizes: Sizes, widest: u64) -> Result<u64, OverBudget> {
    let mut cost = 0u64;
    for o in ops {
        let step = match &o.content {
            Some(op::Content::Value(_)) => 1 + sizes.largest,
            Some(op::Content::Binary(binary)) if binary.kind == op_binary::Kind::Regex as i32 => {
                return Err(OverBudget::Regex);
            }
            Some(op::Content::Closure(closure)) => ops_cost(&closure.ops, sizes, widest)?
                .saturating_add(closure.ops.len() as u64)
                .saturating_mul(sizes.elements)
                .saturating_add(1),
            Some(op::Content::Unary(_) | op::Content::Binary(_)) | None => 1 + widest,
        };
        cost = cost.saturating_add(step);
    }
    Ok(cost)
}

/// Every term a block writes: in facts, rule and check heads and bodies, and expressions.
fn terms(block: &schema::Block) -> Vec<&schema::Term> {
    let queries = block
        .rules
        .iter()
        .chain(block.checks.iter().flat_map(|check| &check.queries));
    let mut found: Vec<&schema::Term> = block
        .facts
        .iter()
        .flat_map(|fact| &fact.predicate.terms)
        .collect();
    for query in queries {
        found.extend(&query.head.terms);
        found.extend(query.body.iter().flat_map(|p| &p.terms));
        for expression in &query.expressions {
            values(&expression.ops, &mut found);
        }
    }
    found
}

fn values<'a>(ops: &'a [schema::Op], found: &mut Vec<&'a schema::Term>) {
    for o in ops {
        match &o.content {
            Some(op::Content::Value(term)) => found.push(term),
            Some(op::Content::Closure(closure)) => values(&closure.ops, found),
            _ => {}
        }
    }
}

/// A term's size: 1 per scalar or element, 1 per 32 bytes of text.
fn size(block: &Block, t: &schema::Term) -> u64 {
    let sum = |terms: &mut dyn Iterator<Item = &schema::Term>| {
        terms.fold(1u64, |total, t| total.saturating_add(size(block, t)))
    };
    match &t.content {
        Some(term::Content::String(symbol)) => {
            1 + block
                .symbol(*symbol)
                .map_or(0, |text| text.len() as u64 / 32)
        }
        Some(term::Content::Bytes(bytes)) => 1 + bytes.len() as u64 / 32,
        Some(term::Content::Set(set)) => sum(&mut set.set.iter()),
        Some(term::Content::Array(array)) => sum(&mut array.array.iter()),
        Some(term::Content::Map(map)) => {
            sum(&mut map.entries.iter().map(|e| &e.value)).saturating_add(map.entries.len() as u64)
        }
        _ => 1,
    }
}

/// How many elements a term's collections have, nested ones included.
fn elements(t: &schema::Term) -> u64 {
    let nested = |terms: &mut dyn Iterator<Item = &schema::Term>| {
        terms.fold(0u64, |total, t| total.saturating_add(1 + elements(t)))
    };
    match &t.content {
        Some(term::Content::Set(set)) => nested(&mut set.set.iter()),
        Some(term::Content::Array(array)) => nested(&mut array.array.iter()),
        Some(term::Content::Map(map)) => nested(&mut map.entries.iter().map(|e| &e.value)),
        _ => 0,
    }
}
