//! Token verification with biscuit-auth: what is accepted, what is refused, and how.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::time::Duration;

use admin_adapters::testing::{BusyLoops, hostile};
use admin_adapters::{BiscuitAuthority, PreviousKey, RootKey};
use admin_domain::*;
use biscuit_auth::builder::BlockBuilder;
use biscuit_auth::macros::{biscuit, block};
use biscuit_auth::{Biscuit, KeyPair, UnverifiedBiscuit};

fn authority() -> (BiscuitAuthority, RootKey) {
    let key = RootKey::generate();
    (BiscuitAuthority::new(&key), key)
}

fn claims(expires_in: Duration, organization: Option<OrganizationId>) -> TokenClaims {
    TokenClaims {
        token_id: TokenId::generate(),
        user_id: UserId::generate(),
        organization_id: organization,
        expires_at: Timestamp::now()
            .saturating_add(expires_in)
            .truncated_to_seconds(),
    }
}

fn bearer(text: &str) -> BearerToken {
    BearerToken::parse(text).expect("well formed")
}

/// The claims verification reads, or why it refused.
async fn verify(authority: &BiscuitAuthority, token: &str) -> Result<VerifiedToken, AuthFailure> {
    match authority.verify(&bearer(token)).await {
        Ok(verified) => Ok(verified),
        Err(AuthorityError::Refused(failure)) => Err(failure),
        Err(busy) => panic!("{busy}"),
    }
}

/// Whether the token's own checks accept `operation` now.
async fn allows(authority: &BiscuitAuthority, token: &str, operation: Permission) -> bool {
    allows_at(authority, &bearer(token), operation, Timestamp::now()).await
}

async fn allows_at(
    authority: &BiscuitAuthority,
    token: &BearerToken,
    operation: Permission,
    now: Timestamp,
) -> bool {
    authority
        .authorize(token, operation, now)
        .await
        .expect("decided")
}

/// `token` with a block appended by its holder, offline.
fn attenuate(
    authority_key: &RootKey,
    token: &str,
    block: biscuit_auth::builder::BlockBuilder,
) -> String {
    let parsed = Biscuit::from_base64(token, public_key(authority_key)).unwrap();
    parsed.append(block).unwrap().to_base64().unwrap()
}

#[tokio::test]
async fn an_issued_token_verifies_with_its_claims_and_revocation_id() {
    let (authority, _) = authority();
    let organization = OrganizationId::generate();
    let claims = claims(Duration::from_secs(900), Some(organization));
    let issued = authority.issue(&claims).expect("issues");

    let verified = verify(&authority, &issued.token).await.expect("verifies");

    assert_eq!(verified.token_id, claims.token_id);
    assert_eq!(verified.user_id, claims.user_id);
    assert_eq!(verified.organization_id, Some(organization));
    assert_eq!(verified.revocation_id, issued.revocation_id);
    assert!(allows(&authority, &issued.token, Permission::UsersList).await);
    assert_eq!(
        authority.evaluations(),
        0,
        "a token as issued runs no Datalog"
    );
}

#[tokio::test]
async fn an_unscoped_token_has_no_organization() {
    let (authority, _) = authority();
    let issued = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues");
    let verified = verify(&authority, &issued.token).await.expect("verifies");
    assert_eq!(verified.organization_id, None);
}

#[tokio::test]
async fn an_expired_tokens_own_check_rejects_every_operation() {
    let (authority, _) = authority();
    let mut claims = claims(Duration::ZERO, None);
    claims.expires_at = Timestamp::now()
        .saturating_sub(Duration::from_secs(5))
        .truncated_to_seconds();
    let issued = authority.issue(&claims).expect("issues");

    verify(&authority, &issued.token)
        .await
        .expect("still a valid signature");

    for operation in Permission::ALL {
        assert!(!allows(&authority, &issued.token, operation).await);
    }
}

#[tokio::test]
async fn a_token_signed_by_another_key_has_a_bad_signature() {
    let (ours, _) = authority();
    let (theirs, _) = authority();
    let issued = theirs
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues");

    assert_eq!(
        verify(&ours, &issued.token).await,
        Err(AuthFailure::BadSignature)
    );
}

#[tokio::test]
async fn every_single_flipped_character_is_refused() {
    let (authority, _) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues")
        .token;
    for position in (0..token.len()).step_by(7) {
        let mut bytes = token.clone().into_bytes();
        bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let outcome = verify(&authority, &tampered).await;
        assert!(
            matches!(
                outcome,
                Err(AuthFailure::BadSignature | AuthFailure::Malformed)
            ),
            "position {position}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_truncated_token_is_refused() {
    let (authority, _) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues")
        .token;
    for keep in [1, 10, token.len() / 2, token.len() - 1] {
        let outcome = verify(&authority, &token[..keep]).await;
        assert!(outcome.is_err(), "kept {keep}: {outcome:?}");
    }
}

#[tokio::test]
async fn text_that_is_not_a_biscuit_is_malformed() {
    let (authority, _) = authority();
    for text in ["a", "aGVsbG8gd29ybGQ", "AAAAAAAAAAAAAAAAAAAAAAAA", "____"] {
        assert_eq!(
            verify(&authority, text).await,
            Err(AuthFailure::Malformed),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_attenuated_token_works_for_its_operation_alone() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    let attenuated = attenuate(&key, &token, block!(r#"check if operation("users:list");"#));

    assert!(allows(&authority, &attenuated, Permission::UsersList).await);
    assert!(!allows(&authority, &attenuated, Permission::OrganizationsList).await);
    let original = verify(&authority, &token).await.expect("verifies");
    let verified = verify(&authority, &attenuated).await.expect("verifies");
    assert_eq!(
        verified.revocation_id, original.revocation_id,
        "the record is found by the authority block"
    );
}

#[tokio::test]
async fn a_block_appended_by_the_holder_cannot_change_who_the_token_names() {
    let (authority, key) = authority();
    let claims = claims(Duration::from_secs(600), None);
    let token = authority.issue(&claims).expect("issues").token;
    let other = UserId::generate().to_string();
    let forged = attenuate(
        &key,
        &token,
        block!(
            r#"user({other}); organization({other});"#,
            other = other.as_str()
        ),
    );

    let verified = verify(&authority, &forged).await.expect("verifies");

    assert_eq!(verified.user_id, claims.user_id);
    assert_eq!(verified.organization_id, None);
}

#[tokio::test]
async fn root_keys_parse_from_hex_with_or_without_prefix_and_never_print() {
    let key = RootKey::generate();
    let hex = key.to_hex();
    assert_eq!(hex.len(), 64);
    assert_eq!(
        RootKey::parse(&format!("  {hex}\n"))
            .map(|k| k.to_hex())
            .ok(),
        Some(hex.clone())
    );
    assert_eq!(
        RootKey::parse(&format!("ed25519-private/{hex}"))
            .map(|k| k.to_hex())
            .ok(),
        Some(hex.clone())
    );
    for bad in ["", "zz", &hex[..63], &format!("{hex}00")] {
        assert!(RootKey::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(format!("{key:?}"), "RootKey(<redacted>)");
    assert!(!format!("{authority:?}", authority = BiscuitAuthority::new(&key)).contains(&hex));
}

#[tokio::test]
async fn after_a_rotation_tokens_signed_with_a_previous_key_still_verify_until_it_is_dropped() {
    let (old, old_key) = authority();
    let issued = old
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues");
    let new_key = RootKey::generate();
    let previous = [PreviousKey::parse(&old_key.to_hex()).expect("the private form")];
    let rotated = BiscuitAuthority::with_previous_keys(&new_key, &previous);
    let unrotated = BiscuitAuthority::new(&new_key);

    let verified = verify(&rotated, &issued.token)
        .await
        .expect("still verifies");
    assert_eq!(verified.revocation_id, issued.revocation_id);
    assert_eq!(
        verify(&unrotated, &issued.token).await,
        Err(AuthFailure::BadSignature)
    );

    let fresh = rotated
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues");
    assert!(
        verify(&unrotated, &fresh.token).await.is_ok(),
        "new tokens use the new key"
    );
    assert_eq!(
        verify(&old, &fresh.token).await,
        Err(AuthFailure::BadSignature)
    );
}

#[tokio::test]
async fn previous_keys_are_accepted_in_private_or_public_form() {
    let key = RootKey::generate();
    let from_private = PreviousKey::parse(&key.to_hex()).expect("private form");
    let public = from_private.to_public_string();
    assert!(public.starts_with("ed25519/") && public.len() == 8 + 64);
    assert_eq!(PreviousKey::parse(&public).ok(), Some(from_private));
    assert!(PreviousKey::parse("ed25519/zz").is_err());
    assert!(!format!("{:?}", PreviousKey::parse(&key.to_hex()).unwrap()).contains(&key.to_hex()));
}

#[tokio::test]
async fn a_remembered_token_is_still_decided_at_the_time_asked() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues")
        .token;
    let bearer = bearer(&token);
    let now = Timestamp::now();
    let later = now.saturating_add(Duration::from_secs(120));

    for _ in 0..3 {
        assert!(allows_at(&authority, &bearer, Permission::UsersList, now).await);
        assert!(
            !allows_at(&authority, &bearer, Permission::UsersList, later).await,
            "expired by then"
        );
    }

    let deadline = Timestamp::now()
        .saturating_add(Duration::from_secs(5))
        .truncated_to_seconds();
    let short = attenuate(
        &key,
        &token,
        block!(
            "check if time($t), $t < {deadline};",
            deadline = std::time::SystemTime::UNIX_EPOCH
                + Duration::from_secs(deadline.unix_seconds() as u64)
        ),
    );
    let short = bearer_owned(short);
    assert!(allows_at(&authority, &short, Permission::UsersList, now).await);
    let after = deadline.saturating_add(Duration::from_secs(1));
    assert!(!allows_at(&authority, &short, Permission::UsersList, after).await);
    assert!(allows_at(&authority, &short, Permission::UsersList, now).await);
}

#[tokio::test]
async fn remembered_decisions_are_per_operation() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    let attenuated = bearer_owned(attenuate(
        &key,
        &token,
        block!(r#"check if operation("users:list");"#),
    ));
    let now = Timestamp::now();
    for _ in 0..3 {
        assert!(allows_at(&authority, &attenuated, Permission::UsersList, now).await);
        assert!(!allows_at(&authority, &attenuated, Permission::WorkspacesList, now).await);
    }
    assert_eq!(
        authority.evaluations(),
        2,
        "each operation decided once in its second"
    );
}

fn bearer_owned(text: String) -> BearerToken {
    BearerToken::parse(&text).expect("well formed")
}

#[tokio::test]
async fn verifying_a_hostile_token_reads_its_claims_and_evaluates_nothing() {
    let (authority, _) = authority();
    let claims = claims(Duration::from_secs(600), None);
    let token = authority.issue(&claims).expect("issues").token;
    for variant in hostile::variants() {
        let hostile = variant.attenuate(&token);
        assert!(hostile.len() <= BearerToken::MAX_LEN, "{}", variant.name);

        let verified = verify(&authority, &hostile).await.expect("verifies");

        assert_eq!(verified.user_id, claims.user_id, "{}", variant.name);
        assert_eq!(authority.evaluations(), 0, "{}", variant.name);
    }
}

#[tokio::test]
async fn every_hostile_variant_is_refused_and_only_those_within_the_budget_are_evaluated() {
    let (authority, _) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    for variant in hostile::variants() {
        let hostile = variant.attenuate(&token);
        let before = authority.evaluations();
        for operation in Permission::ALL {
            assert!(
                !allows(&authority, &hostile, operation).await,
                "{} {operation}",
                variant.name
            );
        }
        let evaluated = authority.evaluations() - before;
        let expected = if variant.decided {
            Permission::ALL.len() as u64
        } else {
            0
        };
        assert_eq!(evaluated, expected, "{}", variant.name);
    }
}

#[tokio::test]
async fn honest_attenuations_keep_working() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    let in_an_hour = std::time::SystemTime::now() + Duration::from_secs(3_600);
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3_600);
    let listing = |operation: &str| {
        let code = format!("check if operation(\"{operation}\");");
        attenuate(&key, &token, BlockBuilder::new().code(&code).unwrap())
    };

    let time_bounded = attenuate(
        &key,
        &token,
        block!("check if time($t), $t < {at};", at = in_an_hour),
    );
    assert!(allows(&authority, &time_bounded, Permission::UsersList).await);
    let past = attenuate(
        &key,
        &token,
        block!("check if time($t), $t < {at};", at = an_hour_ago),
    );
    assert!(!allows(&authority, &past, Permission::UsersList).await);

    let either = attenuate(
        &key,
        &token,
        block!(r#"check if operation($op), ["users:list", "workspaces:list"].contains($op);"#),
    );
    assert!(allows(&authority, &either, Permission::WorkspacesList).await);
    assert!(!allows(&authority, &either, Permission::TokensCleanup).await);

    let joined = attenuate(
        &key,
        &token,
        block!(
            r#"right("users:list"); right("organizations:list");
               allowed($op) <- operation($op), right($op);
               check if allowed($op);"#
        ),
    );
    assert!(allows(&authority, &joined, Permission::OrganizationsList).await);
    assert!(!allows(&authority, &joined, Permission::WorkspacesList).await);

    let stacked = UnverifiedBiscuit::from_base64(listing("users:list"))
        .unwrap()
        .append(block!("check if time($t), $t < {at};", at = in_an_hour))
        .unwrap()
        .append(block!(
            r#"check if operation($op), $op.starts_with("users:");"#
        ))
        .unwrap()
        .to_base64()
        .unwrap();
    assert!(allows(&authority, &stacked, Permission::UsersList).await);
    assert!(!allows(&authority, &stacked, Permission::WorkspacesList).await);

    let sealed = Biscuit::from_base64(listing("users:list"), public_key(&key))
        .unwrap()
        .seal()
        .unwrap()
        .to_base64()
        .unwrap();
    assert!(allows(&authority, &sealed, Permission::UsersList).await);
    assert!(!allows(&authority, &sealed, Permission::WorkspacesList).await);

    let third_party = KeyPair::new();
    let unverified = UnverifiedBiscuit::from_base64(listing("users:list")).unwrap();
    let signed = unverified
        .third_party_request()
        .unwrap()
        .create_block(
            &third_party.private(),
            block!(
                r#"email_verified(true); group("support"); check if time($t), $t < {at};"#,
                at = in_an_hour
            ),
        )
        .unwrap();
    let vouched = unverified
        .append_third_party(signed.serialize().unwrap().as_slice())
        .unwrap()
        .to_base64()
        .unwrap();
    assert!(allows(&authority, &vouched, Permission::UsersList).await);
    assert!(!allows(&authority, &vouched, Permission::WorkspacesList).await);

    assert!(authority.evaluations() > 0, "honest blocks are evaluated");
}

#[tokio::test]
async fn a_regular_expression_in_an_appended_block_is_refused_undecided() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    let matching = attenuate(
        &key,
        &token,
        block!(r#"check if operation($op), $op.matches("^users:");"#),
    );

    assert!(!allows(&authority, &matching, Permission::UsersList).await);
    assert_eq!(authority.evaluations(), 0);
}

#[tokio::test]
async fn a_token_signed_with_the_root_key_but_not_as_issued_is_malformed() {
    let key = RootKey::generate();
    let authority = BiscuitAuthority::new(&key);
    let keys = KeyPair::from(
        &biscuit_auth::PrivateKey::from_bytes_hex(
            &key.to_hex(),
            biscuit_auth::builder::Algorithm::Ed25519,
        )
        .unwrap(),
    );
    let user = UserId::generate().to_string();
    let token_id = TokenId::generate().to_string();
    let expiry = std::time::SystemTime::now() + Duration::from_secs(600);
    let shapes = [
        // no expiry check
        biscuit!(
            r#"user({user}); token_id({token_id});"#,
            user = user.as_str(),
            token_id = token_id.as_str()
        ),
        // a rule in the authority block
        biscuit!(
            r#"user({user}); token_id({token_id}); check if time($t), $t < {expiry}; r($x) <- user($x);"#,
            user = user.as_str(),
            token_id = token_id.as_str(),
            expiry = expiry
        ),
        // two users
        biscuit!(
            r#"user({user}); user("other"); token_id({token_id}); check if time($t), $t < {expiry};"#,
            user = user.as_str(),
            token_id = token_id.as_str(),
            expiry = expiry
        ),
        // a fact the service never writes
        biscuit!(
            r#"user({user}); token_id({token_id}); admin(true); check if time($t), $t < {expiry};"#,
            user = user.as_str(),
            token_id = token_id.as_str(),
            expiry = expiry
        ),
        // an id that is not one
        biscuit!(
            r#"user("nope"); token_id({token_id}); check if time($t), $t < {expiry};"#,
            token_id = token_id.as_str(),
            expiry = expiry
        ),
    ];
    for (i, shape) in shapes.into_iter().enumerate() {
        let token = shape.build(&keys).unwrap().to_base64().unwrap();
        assert_eq!(
            verify(&authority, &token).await,
            Err(AuthFailure::Malformed),
            "shape {i}"
        );
    }
    let as_issued = biscuit!(
        r#"user({user}); token_id({token_id}); check if time($t), $t < {expiry};"#,
        user = user.as_str(),
        token_id = token_id.as_str(),
        expiry = expiry
    )
    .build(&keys)
    .unwrap()
    .to_base64()
    .unwrap();
    assert!(verify(&authority, &as_issued).await.is_ok());
}

fn public_key(key: &RootKey) -> biscuit_auth::PublicKey {
    KeyPair::from(
        &biscuit_auth::PrivateKey::from_bytes_hex(
            &key.to_hex(),
            biscuit_auth::builder::Algorithm::Ed25519,
        )
        .unwrap(),
    )
    .public()
}

/// `token` with the signature of its first appended block broken: its authority block, and
/// so its claims, still verify.
fn with_a_broken_appended_signature(token: &str) -> String {
    use biscuit_auth::format::schema;
    use prost::Message;
    let bytes = base64::decode_config(token, base64::URL_SAFE).unwrap();
    let mut container = schema::Biscuit::decode(bytes.as_slice()).unwrap();
    container.blocks[0].signature[0] ^= 1;
    base64::encode_config(container.encode_to_vec(), base64::URL_SAFE)
}

/// Verifying reads the authority block alone: a token whose appended blocks do not verify
/// still names its user (so that its record is read, and a revoked one refused, before any of
/// them is checked), and is refused, unevaluated, once its checks are asked for.
#[tokio::test]
async fn verifying_checks_the_authority_block_alone_and_authorizing_the_rest() {
    let (authority, key) = authority();
    let claims = claims(Duration::from_secs(600), None);
    let issued = authority.issue(&claims).expect("issues");
    let attenuated = attenuate(
        &key,
        &issued.token,
        BlockBuilder::new()
            .code("check if operation(\"users:list\");")
            .unwrap(),
    );
    let broken = with_a_broken_appended_signature(&attenuated);

    let verified = verify(&authority, &broken)
        .await
        .expect("its authority verifies");
    assert_eq!(verified.user_id, claims.user_id);
    assert_eq!(verified.token_id, claims.token_id);
    assert_eq!(verified.revocation_id, issued.revocation_id);
    let decided = authority
        .authorize(&bearer(&broken), Permission::UsersList, Timestamp::now())
        .await;
    assert!(
        matches!(
            decided,
            Err(AuthorityError::Refused(AuthFailure::BadSignature))
        ),
        "{decided:?}"
    );
    assert_eq!(authority.evaluations(), 0);
    assert!(allows(&authority, &attenuated, Permission::UsersList).await);
}

/// A busy machine stretches the wall time of a decision, never its work: honest attenuated
/// tokens (each with a rule joining two copies of its facts) decided while other processes keep twice
/// as many cores busy as there are are all allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_attenuations_are_allowed_while_other_processes_keep_the_cores_busy() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let _busy = BusyLoops::start(2 * cores).expect("sh runs");
    const N: usize = 12;
    let mut refused = Vec::new();
    for i in 0..150 {
        let code = format!(
            "f(-{i});\n{}g($a) <- f($a), f($b), $a + $b >= -1000;\n\
             check if g(-{i}), operation(\"users:list\");",
            (1..N).map(|n| format!("f({n});")).collect::<String>()
        );
        let honest = attenuate(&key, &token, BlockBuilder::new().code(&code).unwrap());
        if !allows(&authority, &honest, Permission::UsersList).await {
            refused.push(i);
        }
    }
    assert_eq!(
        refused,
        Vec::<usize>::new(),
        "refused while the cores were busy"
    );
}
