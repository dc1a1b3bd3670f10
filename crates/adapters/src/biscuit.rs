//! The token verification port with biscuit-auth: Ed25519-signed Biscuits whose authority
//! block names the user, the token id and optionally the organization, with an expiry check.
//!
//! ```text
//! user("<user id>");
//! token_id("<token id>");
//! organization("<organization id>");          // only for a scoped token
//! check if time($time), $time < <expiry>;
//! ```
//!
//! Verification authorizes with `time(<now>)`, `operation("<permission>")` and the policy
//! `allow if user($u)`, so every check a holder appended (attenuation) applies too, within a
//! budget that bounds what evaluating them may cost (`budget`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use admin_domain::{
    AuthFailure, AuthorityError, BearerToken, BoxError, IssuedToken, Permission, RevocationId,
    Timestamp, TokenAuthority, TokenClaims, VerifiedToken,
};
use biscuit_auth::builder::Algorithm;
use biscuit_auth::datalog::RunLimits;
use biscuit_auth::error::{Format, Token as TokenError};
use biscuit_auth::macros::{authorizer, biscuit, biscuit_merge};
use biscuit_auth::{Biscuit, KeyPair, PrivateKey, PublicKey};
use thiserror::Error;

mod authority;
mod blocks;
pub mod budget;
mod claims;
mod decider;
mod verified;

use authority::Container;
use claims::Claims;
use decider::{Decider, Undone};
use quick_cache::sync::Cache;
use verified::{Decidable, Holders, VerifiedBiscuit, VerifiedTokens};

/// The service's root private key. It never prints.
#[derive(Clone)]
pub struct RootKey(PrivateKey);

/// A root key that does not parse.
#[derive(Debug, Error)]
#[error(
    "the root key must be 64 hex digits (an Ed25519 private key, as `admin-api keygen` prints)"
)]
pub struct RootKeyError;

impl RootKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(KeyPair::new().private())
    }

    /// Reads the hex form `keygen` prints, also accepted with biscuit's `ed25519-private/`
    /// prefix; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, RootKeyError> {
        let hex = text.trim();
        let hex = hex.strip_prefix("ed25519-private/").unwrap_or(hex);
        if hex.len() != 64 {
            return Err(RootKeyError);
        }
        PrivateKey::from_bytes_hex(hex, Algorithm::Ed25519)
            .map(Self)
            .map_err(|_| RootKeyError)
    }

    /// The hex form, for `keygen` and key files only.
    pub fn to_hex(&self) -> String {
        self.0.to_bytes_hex()
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

/// A key tokens may still be verified with after a key rotation: a previous root key.
#[derive(Clone, PartialEq, Eq)]
pub struct PreviousKey(PublicKey);

impl PreviousKey {
    /// Reads a previous root key: its private form as `keygen` printed it (64 hex digits; only
    /// its public half is kept), or its public form `ed25519/<hex>`.
    pub fn parse(text: &str) -> Result<Self, RootKeyError> {
        let text = text.trim();
        match text.strip_prefix("ed25519/") {
            Some(hex) => PublicKey::from_bytes_hex(hex, Algorithm::Ed25519)
                .map(Self)
                .map_err(|_| RootKeyError),
            None => RootKey::parse(text).map(|root| Self(root.0.public())),
        }
    }

    /// The public form, `ed25519/<hex>`.
    pub fn to_public_string(&self) -> String {
        format!("ed25519/{}", self.0.to_bytes_hex())
    }
}

impl fmt::Debug for PreviousKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PreviousKey")
            .field(&self.to_public_string())
            .finish()
    }
}

/// Signs and verifies the service's Biscuits, remembering the tokens it verified (the
/// `verified` module says what is remembered, and why that is safe).
///
/// A presented token is decided in two steps, so that nothing its holders appended is even
/// looked at before its record is read: [`TokenAuthority::verify`] checks the authority
/// block's signature alone and reads its claims (`authority`, `claims`): one signature, at
/// the same cost whatever was appended, on the request's own thread; a token as issued is
/// checked whole there. [`TokenAuthority::authorize`] then, for a token whose holders
/// appended blocks, checks their signatures and runs its checks, but only those of a token
/// whose appended blocks fit the `budget`, on the `decider`'s threads, never on the ones
/// serving requests.
///
/// Clones share what was verified, so every HTTP worker benefits from every other's work.
#[derive(Clone)]
pub struct BiscuitAuthority {
    keys: Arc<KeyPair>,
    verifying: VerifyingKeys,
    verified: Arc<VerifiedTokens>,
    /// Authority blocks whose signature was checked, by [`Container::authority_key`]: a
    /// holder's fresh attenuations of one token cost no signature check each.
    authorities: Arc<Cache<[u8; 32], (Claims, RevocationId)>>,
    decider: Decider,
    evaluations: Arc<AtomicU64>,
}

/// The keys a signature may be made with: the root key's public half, then previous ones.
#[derive(Clone)]
struct VerifyingKeys(Arc<[PublicKey]>);

impl fmt::Debug for BiscuitAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BiscuitAuthority")
            .field("public", &self.keys.public().to_bytes_hex())
            .field("decider", &self.decider)
            .finish_non_exhaustive()
    }
}

impl BiscuitAuthority {
    /// An authority signing with `root`.
    pub fn new(root: &RootKey) -> Self {
        Self::with_previous_keys(root, &[])
    }

    /// An authority signing with `root` that also accepts tokens signed with `previous` keys,
    /// for a key rotation: tokens issued before it keep working until they expire.
    pub fn with_previous_keys(root: &RootKey, previous: &[PreviousKey]) -> Self {
        let keys = KeyPair::from(&root.0);
        Self {
            verifying: VerifyingKeys(
                std::iter::once(keys.public())
                    .chain(previous.iter().map(|key| key.0))
                    .collect(),
            ),
            keys: Arc::new(keys),
            verified: Arc::new(VerifiedTokens::new()),
            authorities: Arc::new(Cache::new(verified::CAPACITY)),
            decider: Decider::for_this_machine(),
            evaluations: Arc::default(),
        }
    }

    /// How many times this authority (and its clones) ran the Datalog of a token's holders'
    /// blocks: what tests read to see that a refused token was never evaluated.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    /// How many verifications and decisions run at once, on threads of their own.
    pub fn decider_threads(&self) -> usize {
        self.decider.size()
    }

    /// The token with its authority block verified: remembered, or done now. A token as
    /// issued is verified whole (its proof too), at the cost of one more signature.
    fn verified(&self, token: &BearerToken) -> Result<Arc<VerifiedBiscuit>, AuthFailure> {
        let key = VerifiedTokens::key(token.expose());
        if let Some(verified) = self.verified.get(&key) {
            return Ok(verified);
        }
        let container = Container::decode(token.expose())?;
        let read = if container.appended() == 0 {
            let (authority, revocation_id) = container.authority(&self.verifying.0)?;
            let claims = Claims::read(&authority)?;
            self.verifying.parse(token.expose())?;
            VerifiedBiscuit::issued(claims, revocation_id)
        } else {
            let (claims, revocation_id) =
                self.authorities
                    .get_or_insert_with(&container.authority_key(), || {
                        let (authority, revocation_id) = container.authority(&self.verifying.0)?;
                        Ok::<_, AuthFailure>((Claims::read(&authority)?, revocation_id))
                    })?;
            VerifiedBiscuit::attenuated(claims, revocation_id)
        };
        Ok(self.verified.insert(key, read))
    }
}

impl VerifyingKeys {
    /// Parses the token and checks all its signatures: with the root key, else with each
    /// previous key in turn (only tokens whose signature fails the root key cost the extra
    /// checks).
    fn parse(&self, token: &str) -> Result<Biscuit, AuthFailure> {
        let mut outcome = Err(AuthFailure::BadSignature);
        for key in self.0.iter() {
            if !matches!(outcome, Err(AuthFailure::BadSignature)) {
                break;
            }
            outcome = Biscuit::from_base64(token, *key).map_err(rejection);
        }
        outcome
    }
}

impl TokenAuthority for BiscuitAuthority {
    fn issue(&self, claims: &TokenClaims) -> Result<IssuedToken, BoxError> {
        let mut builder = biscuit!(
            r#"
            user({user});
            token_id({token_id});
            check if time($time), $time < {expiry};
            "#,
            user = claims.user_id.to_string(),
            token_id = claims.token_id.to_string(),
            expiry = system_time(claims.expires_at),
        );
        if let Some(organization) = claims.organization_id {
            builder = biscuit_merge!(
                builder,
                r#"organization({organization});"#,
                organization = organization.to_string(),
            );
        }
        let token = builder.build(&self.keys)?;
        let revocation_id = token
            .revocation_identifiers()
            .into_iter()
            .next()
            .and_then(|id| RevocationId::parse(&hex::encode(id)).ok())
            .ok_or("a built token has no block")?;
        Ok(IssuedToken {
            token: token.to_base64()?,
            revocation_id,
        })
    }

    async fn verify(&self, token: &BearerToken) -> Result<VerifiedToken, AuthorityError> {
        Ok(self.verified(token)?.token())
    }

    async fn authorize(
        &self,
        token: &BearerToken,
        operation: Permission,
        now: Timestamp,
    ) -> Result<bool, AuthorityError> {
        let verified = self.verified(token)?;
        let second = u64::try_from(now.unix_seconds()).unwrap_or(0);
        if !verified.is_attenuated() {
            return Ok(second < verified.claims.expires_at);
        }
        if let Some(allowed) = verified.decision(operation, second) {
            return Ok(allowed);
        }
        let (evaluated, evaluations) = (Arc::clone(&verified), Arc::clone(&self.evaluations));
        let (text, keys) = (token.expose().to_owned(), self.verifying.clone());
        let decided = self
            .decider
            .run(verified.claims.token_id, move || {
                let Some(holders) = evaluated.holders(|| keys.parse(&text)) else {
                    return Ok(false);
                };
                match holders {
                    Err(failure) => Err(*failure),
                    Ok(Decidable {
                        holders: Holders::Over(over),
                        ..
                    }) => {
                        tracing::debug!(
                            ?over,
                            "a token's appended blocks exceed the budget: refused"
                        );
                        Ok(false)
                    }
                    Ok(Decidable { biscuit, .. }) => {
                        evaluations.fetch_add(1, Ordering::Relaxed);
                        Ok(evaluate(biscuit, operation, now))
                    }
                }
            })
            .await;
        let allowed = match decided {
            Ok(decided) => decided?,
            Err(Undone::Busy) => return Err(AuthorityError::Busy),
            Err(Undone::Panicked) => {
                tracing::error!(%operation, "deciding a token's checks panicked: refused");
                false
            }
        };
        verified.remember(operation, second, allowed);
        Ok(allowed)
    }
}

/// Whether the token's checks, its holders' included, accept `operation` at `now`: the
/// authorizer adds `time(now)`, `operation(op)` and `allow if user($u)` (what the budget
/// counts it for), and biscuit-auth's run limits stay on as a second line.
fn evaluate(biscuit: &Biscuit, operation: Permission, now: Timestamp) -> bool {
    let authorizer = authorizer!(
        r#"
        time({now});
        operation({operation});
        allow if user($u);
        "#,
        now = system_time(now),
        operation = operation.as_str(),
    )
    .set_limits(RunLimits {
        max_facts: budget::MAX_FACTS,
        max_iterations: budget::MAX_ITERATIONS,
        max_time: RUNAWAY,
    })
    .build(biscuit);
    match authorizer.map(|mut authorizer| authorizer.authorize()) {
        Ok(Ok(_)) => true,
        Ok(Err(TokenError::RunLimit(limit))) => {
            tracing::warn!(?limit, "a token within the budget exceeded the run limits");
            false
        }
        _ => false,
    }
}

/// biscuit-auth's own time limit, checked between rounds. It is wall time, which a busy
/// machine stretches: what bounds a decision is the budget (the work the token's blocks can
/// cause) and the run limits on facts and rounds, so this only stops a runaway (a fault in the
/// budget), far beyond anything contention makes of a decision within the budget.
const RUNAWAY: Duration = Duration::from_secs(60);

/// A failure to read a token: signature problems are [`AuthFailure::BadSignature`], anything
/// else (not base64, truncated, not a Biscuit) [`AuthFailure::Malformed`].
fn rejection(error: TokenError) -> AuthFailure {
    match error {
        TokenError::Format(
            Format::Signature(_)
            | Format::SealedSignature
            | Format::UnknownPublicKey
            | Format::InvalidSignatureSize(_)
            | Format::SignatureDeserializationError(_)
            | Format::BlockSignatureDeserializationError(_),
        ) => AuthFailure::BadSignature,
        _ => AuthFailure::Malformed,
    }
}

fn system_time(at: Timestamp) -> SystemTime {
    let micros = u64::try_from(at.unix_micros()).unwrap_or(0);
    UNIX_EPOCH + Duration::from_micros(micros)
}
