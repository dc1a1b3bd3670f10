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
//! `allow if user($u)`, so every check a holder appended (attenuation) applies too.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use admin_domain::{
    AuthFailure, BearerToken, BoxError, IssuedToken, OrganizationId, Permission, RevocationId,
    Timestamp, TokenAuthority, TokenClaims, TokenId, UserId, VerifiedToken,
};
use biscuit_auth::builder::Algorithm;
use biscuit_auth::datalog::RunLimits;
use biscuit_auth::error::{Format, Token as TokenError};
use biscuit_auth::macros::{authorizer, biscuit, biscuit_merge, rule};
use biscuit_auth::{AuthorizerBuilder, Biscuit, KeyPair, PrivateKey, PublicKey};
use thiserror::Error;

mod verified;

use verified::{VerifiedBiscuit, VerifiedTokens};

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
/// Clones share what was verified, so every HTTP worker benefits from every other's work.
#[derive(Clone)]
pub struct BiscuitAuthority {
    keys: Arc<KeyPair>,
    public: PublicKey,
    previous: Vec<PublicKey>,
    limits: RunLimits,
    verified: Arc<VerifiedTokens>,
}

impl fmt::Debug for BiscuitAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BiscuitAuthority")
            .field("public", &self.public.to_bytes_hex())
            .finish_non_exhaustive()
    }
}

impl BiscuitAuthority {
    /// An authority signing with `root`.
    ///
    /// Datalog runs are bounded explicitly (biscuit's default 1 ms trips under load): 1,000
    /// facts, 100 iterations, 20 ms.
    pub fn new(root: &RootKey) -> Self {
        Self::with_previous_keys(root, &[])
    }

    /// An authority signing with `root` that also accepts tokens signed with `previous` keys,
    /// for a key rotation: tokens issued before it keep working until they expire.
    pub fn with_previous_keys(root: &RootKey, previous: &[PreviousKey]) -> Self {
        let keys = KeyPair::from(&root.0);
        Self {
            public: keys.public(),
            previous: previous.iter().map(|key| key.0).collect(),
            keys: Arc::new(keys),
            limits: RunLimits {
                max_facts: 1_000,
                max_iterations: 100,
                max_time: Duration::from_millis(20),
            },
            verified: Arc::new(VerifiedTokens::new()),
        }
    }

    /// The token, verified and its claims read: remembered, or done now.
    fn verified(&self, token: &BearerToken) -> Result<Arc<VerifiedBiscuit>, AuthFailure> {
        self.verified.get_or_verify(token.expose(), || {
            let biscuit = self.parse(token)?;
            let revocation_id = authority_revocation_id(&biscuit).ok_or(AuthFailure::Malformed)?;
            let (token_id, user_id, organization_id) = claims(&biscuit, &self.limits)?;
            Ok(VerifiedBiscuit::new(
                biscuit,
                token_id,
                user_id,
                organization_id,
                revocation_id,
            ))
        })
    }

    /// Whether the token's own checks accept `operation` at `now`.
    fn authorize(&self, biscuit: &Biscuit, operation: Permission, now: Timestamp) -> bool {
        let authorizer = authorizer!(
            r#"
            time({now});
            operation({operation});
            allow if user($u);
            "#,
            now = system_time(now),
            operation = operation.as_str(),
        )
        .set_limits(self.limits.clone())
        .build(biscuit);
        match authorizer.map(|mut authorizer| authorizer.authorize()) {
            Ok(Ok(_)) => true,
            Ok(Err(TokenError::RunLimit(limit))) => {
                tracing::warn!(?limit, "a token's checks exceeded the run limits");
                false
            }
            _ => false,
        }
    }

    /// Parses the token and checks its signature: with the root key, else with each previous
    /// key in turn (only tokens whose signature fails the root key cost the extra checks).
    fn parse(&self, token: &BearerToken) -> Result<Biscuit, AuthFailure> {
        let mut outcome = Biscuit::from_base64(token.expose(), self.public).map_err(rejection);
        for key in &self.previous {
            if !matches!(outcome, Err(AuthFailure::BadSignature)) {
                break;
            }
            outcome = Biscuit::from_base64(token.expose(), *key).map_err(rejection);
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
        let revocation_id = authority_revocation_id(&token).ok_or("a built token has no block")?;
        Ok(IssuedToken {
            token: token.to_base64()?,
            revocation_id,
        })
    }

    fn verify(
        &self,
        token: &BearerToken,
        operation: Permission,
        now: Timestamp,
    ) -> Result<VerifiedToken, AuthFailure> {
        let verified = self.verified(token)?;
        let second = u64::try_from(now.unix_seconds()).unwrap_or(0);
        let allows_operation = verified.allows(operation, second, || {
            self.authorize(&verified.biscuit, operation, now)
        });
        Ok(VerifiedToken {
            token_id: verified.token_id,
            user_id: verified.user_id,
            organization_id: verified.organization_id,
            revocation_id: verified.revocation_id.clone(),
            allows_operation,
        })
    }

    fn revocation_id(&self, token: &BearerToken) -> Result<RevocationId, AuthFailure> {
        Ok(self.verified(token)?.revocation_id.clone())
    }
}

/// The authority block's facts: exactly one user and token id, at most one organization.
/// (Facts of blocks appended by holders are not visible to these queries.)
fn claims(
    biscuit: &Biscuit,
    limits: &RunLimits,
) -> Result<(TokenId, UserId, Option<OrganizationId>), AuthFailure> {
    let mut authorizer = AuthorizerBuilder::new()
        .set_limits(limits.clone())
        .build(biscuit)
        .map_err(|_| AuthFailure::Malformed)?;
    let ids: Vec<(String, String)> = authorizer
        .query(rule!(
            "claims($user, $token) <- user($user), token_id($token)"
        ))
        .map_err(|_| AuthFailure::Malformed)?;
    let organizations: Vec<(String,)> = authorizer
        .query(rule!("scope($organization) <- organization($organization)"))
        .map_err(|_| AuthFailure::Malformed)?;
    let ([(user, token)], organizations) = (ids.as_slice(), organizations.as_slice()) else {
        return Err(AuthFailure::Malformed);
    };
    let organization = match organizations {
        [] => None,
        [(organization,)] => Some(organization.parse().map_err(|_| AuthFailure::Malformed)?),
        _ => return Err(AuthFailure::Malformed),
    };
    Ok((
        token.parse().map_err(|_| AuthFailure::Malformed)?,
        user.parse().map_err(|_| AuthFailure::Malformed)?,
        organization,
    ))
}

fn authority_revocation_id(token: &Biscuit) -> Option<RevocationId> {
    let first = token.revocation_identifiers().into_iter().next()?;
    RevocationId::parse(&hex::encode(first)).ok()
}

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
