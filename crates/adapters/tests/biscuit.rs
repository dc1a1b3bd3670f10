//! Token verification with biscuit-auth: what is accepted, what is refused, and how.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::time::Duration;

use admin_adapters::{BiscuitAuthority, PreviousKey, RootKey};
use admin_domain::*;
use biscuit_auth::macros::block;
use biscuit_auth::{Biscuit, KeyPair};

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

fn verify(
    authority: &BiscuitAuthority,
    token: &str,
    operation: Permission,
) -> Result<VerifiedToken, AuthFailure> {
    authority.verify(&bearer(token), operation, Timestamp::now())
}

/// `token` with a block appended by its holder, offline.
fn attenuate(
    authority_key: &RootKey,
    token: &str,
    block: biscuit_auth::builder::BlockBuilder,
) -> String {
    let public = KeyPair::from(
        &biscuit_auth::PrivateKey::from_bytes_hex(
            &authority_key.to_hex(),
            biscuit_auth::builder::Algorithm::Ed25519,
        )
        .unwrap(),
    )
    .public();
    let parsed = Biscuit::from_base64(token, public).unwrap();
    parsed.append(block).unwrap().to_base64().unwrap()
}

#[test]
fn an_issued_token_verifies_with_its_claims_and_revocation_id() {
    let (authority, _) = authority();
    let organization = OrganizationId::generate();
    let claims = claims(Duration::from_secs(900), Some(organization));
    let issued = authority.issue(&claims).expect("issues");

    let verified = verify(&authority, &issued.token, Permission::UsersList).expect("verifies");

    assert_eq!(verified.token_id, claims.token_id);
    assert_eq!(verified.user_id, claims.user_id);
    assert_eq!(verified.organization_id, Some(organization));
    assert_eq!(verified.revocation_id, issued.revocation_id);
    assert!(verified.allows_operation);
    assert_eq!(
        authority.revocation_id(&bearer(&issued.token)),
        Ok(issued.revocation_id)
    );
}

#[test]
fn an_unscoped_token_has_no_organization() {
    let (authority, _) = authority();
    let issued = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues");
    let verified = verify(&authority, &issued.token, Permission::PlatformStatus).expect("verifies");
    assert_eq!(verified.organization_id, None);
}

#[test]
fn an_expired_tokens_own_check_rejects_every_operation() {
    let (authority, _) = authority();
    let mut claims = claims(Duration::ZERO, None);
    claims.expires_at = Timestamp::now()
        .saturating_sub(Duration::from_secs(5))
        .truncated_to_seconds();
    let issued = authority.issue(&claims).expect("issues");

    let verified = verify(&authority, &issued.token, Permission::AccessCheck)
        .expect("still a valid signature");

    assert!(!verified.allows_operation);
}

#[test]
fn a_token_signed_by_another_key_has_a_bad_signature() {
    let (ours, _) = authority();
    let (theirs, _) = authority();
    let issued = theirs
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues");

    assert_eq!(
        verify(&ours, &issued.token, Permission::AccessCheck),
        Err(AuthFailure::BadSignature)
    );
}

#[test]
fn every_single_flipped_character_is_refused() {
    let (authority, _) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues")
        .token;
    for position in (0..token.len()).step_by(7) {
        let mut bytes = token.clone().into_bytes();
        bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let outcome = verify(&authority, &tampered, Permission::AccessCheck);
        assert!(
            matches!(
                outcome,
                Err(AuthFailure::BadSignature | AuthFailure::Malformed)
            ),
            "position {position}: {outcome:?}"
        );
    }
}

#[test]
fn a_truncated_token_is_refused() {
    let (authority, _) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues")
        .token;
    for keep in [1, 10, token.len() / 2, token.len() - 1] {
        let outcome = verify(&authority, &token[..keep], Permission::AccessCheck);
        assert!(outcome.is_err(), "kept {keep}: {outcome:?}");
    }
}

#[test]
fn text_that_is_not_a_biscuit_is_malformed() {
    let (authority, _) = authority();
    for text in ["a", "aGVsbG8gd29ybGQ", "AAAAAAAAAAAAAAAAAAAAAAAA", "____"] {
        assert_eq!(
            verify(&authority, text, Permission::AccessCheck),
            Err(AuthFailure::Malformed),
            "{text}"
        );
    }
}

#[test]
fn an_attenuated_token_works_for_its_operation_alone() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues")
        .token;
    let attenuated = attenuate(&key, &token, block!(r#"check if operation("users:list");"#));

    let allowed = verify(&authority, &attenuated, Permission::UsersList).expect("verifies");
    let refused = verify(&authority, &attenuated, Permission::OrganizationsList).expect("verifies");

    assert!(allowed.allows_operation);
    assert!(!refused.allows_operation);
    let original = verify(&authority, &token, Permission::OrganizationsList).expect("verifies");
    assert_eq!(
        allowed.revocation_id, original.revocation_id,
        "the record is found by the authority block"
    );
}

#[test]
fn a_block_appended_by_the_holder_cannot_change_who_the_token_names() {
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

    let verified = verify(&authority, &forged, Permission::AccessCheck).expect("verifies");

    assert_eq!(verified.user_id, claims.user_id);
    assert_eq!(verified.organization_id, None);
}

#[test]
fn root_keys_parse_from_hex_with_or_without_prefix_and_never_print() {
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

#[test]
fn after_a_rotation_tokens_signed_with_a_previous_key_still_verify_until_it_is_dropped() {
    let (old, old_key) = authority();
    let issued = old
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues");
    let new_key = RootKey::generate();
    let previous = [PreviousKey::parse(&old_key.to_hex()).expect("the private form")];
    let rotated = BiscuitAuthority::with_previous_keys(&new_key, &previous);
    let unrotated = BiscuitAuthority::new(&new_key);

    let verified =
        verify(&rotated, &issued.token, Permission::AccessCheck).expect("still verifies");
    assert_eq!(verified.revocation_id, issued.revocation_id);
    assert_eq!(
        verify(&unrotated, &issued.token, Permission::AccessCheck),
        Err(AuthFailure::BadSignature)
    );

    let fresh = rotated
        .issue(&claims(Duration::from_secs(600), None))
        .expect("issues");
    assert!(
        verify(&unrotated, &fresh.token, Permission::AccessCheck).is_ok(),
        "new tokens use the new key"
    );
    assert_eq!(
        verify(&old, &fresh.token, Permission::AccessCheck),
        Err(AuthFailure::BadSignature)
    );
}

#[test]
fn previous_keys_are_accepted_in_private_or_public_form() {
    let key = RootKey::generate();
    let from_private = PreviousKey::parse(&key.to_hex()).expect("private form");
    let public = from_private.to_public_string();
    assert!(public.starts_with("ed25519/") && public.len() == 8 + 64);
    assert_eq!(PreviousKey::parse(&public).ok(), Some(from_private));
    assert!(PreviousKey::parse("ed25519/zz").is_err());
    assert!(!format!("{:?}", PreviousKey::parse(&key.to_hex()).unwrap()).contains(&key.to_hex()));
}

#[test]
fn a_remembered_token_is_still_decided_at_the_time_asked() {
    let (authority, key) = authority();
    let token = authority
        .issue(&claims(Duration::from_secs(60), None))
        .expect("issues")
        .token;
    let bearer = bearer(&token);
    let now = Timestamp::now();
    let later = now.saturating_add(Duration::from_secs(120));

    for _ in 0..3 {
        assert!(
            authority
                .verify(&bearer, Permission::UsersList, now)
                .expect("verifies")
                .allows_operation
        );
        assert!(
            !authority
                .verify(&bearer, Permission::UsersList, later)
                .expect("verifies")
                .allows_operation,
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
    assert!(
        authority
            .verify(&short, Permission::UsersList, now)
            .expect("verifies")
            .allows_operation
    );
    let after = deadline.saturating_add(Duration::from_secs(1));
    assert!(
        !authority
            .verify(&short, Permission::UsersList, after)
            .expect("verifies")
            .allows_operation
    );
    assert!(
        authority
            .verify(&short, Permission::UsersList, now)
            .expect("verifies")
            .allows_operation
    );
}

#[test]
fn remembered_decisions_are_per_operation() {
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
        assert!(
            authority
                .verify(&attenuated, Permission::UsersList, now)
                .expect("verifies")
                .allows_operation
        );
        assert!(
            !authority
                .verify(&attenuated, Permission::WorkspacesList, now)
                .expect("verifies")
                .allows_operation
        );
    }
}

fn bearer_owned(text: String) -> BearerToken {
    BearerToken::parse(&text).expect("well formed")
}
