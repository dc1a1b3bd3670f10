//! A token's authority block, checked alone: its one signature and its claims, before
//! anything its holders appended is even looked at. What a request with a revoked, expired,
//! unknown or foreign token costs is this and one record read, however many blocks it
//! carries; the appended blocks' signatures are checked only for a token whose record admits
//! it (`BiscuitAuthority::authorize`).
//!
//! The signed payload is biscuit-auth 6's (`crypto::verify_authority_block_signature`, which
//! it does not export): version 0 signs the block, the next key's algorithm and the next key;
//! version 1 the same fields, each behind a label.

use admin_domain::{AuthFailure, RevocationId};
use biscuit_auth::PublicKey;
use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::format::schema;
use ed25519_dalek::{Signature, VerifyingKey};
use prost::Message;
use sha2::{Digest, Sha256};

use super::blocks::Block;

/// A token's wire form, decoded but not verified: its signed blocks as bytes.
pub struct Container(schema::Biscuit);

impl Container {
    /// Decodes `token` (base64url, as biscuit-auth reads it); nothing is verified yet.
    pub fn decode(token: &str) -> Result<Self, AuthFailure> {
        let bytes =
            base64::decode_config(token, base64::URL_SAFE).map_err(|_| AuthFailure::Malformed)?;
        schema::Biscuit::decode(bytes.as_slice())
            .map(Self)
            .map_err(|_| AuthFailure::Malformed)
    }

    /// What identifies its authority block, signature included: the SHA-256 of its wire form.
    /// Tokens attenuated from one token share it, however their appended blocks differ.
    pub fn authority_key(&self) -> [u8; 32] {
        Sha256::digest(self.0.authority.encode_to_vec()).into()
    }

    /// How many blocks its holders appended.
    pub fn appended(&self) -> usize {
        self.0.blocks.len()
    }

    /// The authority block, once its signature is checked with the first of `keys` it
    /// verifies with, and the revocation id it gives every token attenuated from it.
    pub fn authority(&self, keys: &[PublicKey]) -> Result<(Block, RevocationId), AuthFailure> {
        let signed = &self.0.authority;
        if signed.external_signature.is_some() {
            return Err(AuthFailure::Malformed);
        }
        let payload = payload(signed)?;
        let signature = <[u8; 64]>::try_from(signed.signature.as_slice())
            .map(|bytes| Signature::from_bytes(&bytes))
            .map_err(|_| AuthFailure::BadSignature)?;
        let signed_by = |key: &PublicKey| {
            <[u8; 32]>::try_from(key.to_bytes().as_slice())
                .ok()
                .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
                .is_some_and(|key| key.verify_strict(&payload, &signature).is_ok())
        };
        if !keys.iter().any(signed_by) {
            return Err(AuthFailure::BadSignature);
        }
        let block =
            schema::Block::decode(signed.block.as_slice()).map_err(|_| AuthFailure::Malformed)?;
        let symbols =
            SymbolTable::from(block.symbols.clone()).map_err(|_| AuthFailure::Malformed)?;
        let revocation_id = RevocationId::parse(&hex::encode(&signed.signature))
            .map_err(|_| AuthFailure::Malformed)?;
        Ok((Block { block, symbols }, revocation_id))
    }
}

/// What the authority block's signature covers, by its version.
fn payload(signed: &schema::SignedBlock) -> Result<Vec<u8>, AuthFailure> {
    let next_key = PublicKey::from_proto(&signed.next_key).map_err(|_| AuthFailure::Malformed)?;
    let algorithm = (next_key.algorithm() as i32).to_le_bytes();
    let next_key = next_key.to_bytes();
    let data = signed.block.as_slice();
    match signed.version.unwrap_or_default() {
        0 => Ok([data, &algorithm, &next_key].concat()),
        1 => Ok([
            b"\0BLOCK\0\0VERSION\0".as_slice(),
            &1u32.to_le_bytes(),
            b"\0PAYLOAD\0",
            data,
            b"\0ALGORITHM\0",
            &algorithm,
            b"\0NEXTKEY\0",
            &next_key,
        ]
        .concat()),
        _ => Err(AuthFailure::Malformed),
    }
}
