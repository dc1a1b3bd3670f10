//! A verified token's blocks in their wire form, decoded but never evaluated: what the claims
//! and the budget read, before any Datalog runs.

use admin_domain::AuthFailure;
use biscuit_auth::Biscuit;
use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::format::schema;
use prost::Message;

/// One block, with the symbol table its names and strings resolve in.
#[derive(Debug)]
pub struct Block {
    /// The block as signed.
    pub block: schema::Block,
    /// Its symbols: the default ones, then those of the authority block and of every
    /// first-party block up to this one; a third-party block has the default ones and its own.
    pub symbols: SymbolTable,
}

impl Block {
    /// The text of symbol `index`, if the block's table has it.
    pub fn symbol(&self, index: u64) -> Option<&str> {
        self.symbols.get_symbol(index)
    }
}

/// The authority block, then every block appended by holders, in order. Refuses (as
/// malformed) a block that does not decode: biscuit-auth decoded them all already, so that
/// never happens for a token it accepted.
pub fn decode(biscuit: &Biscuit) -> Result<Vec<Block>, AuthFailure> {
    let proto = biscuit.container().to_proto();
    let mut first_party: Vec<String> = Vec::new();
    std::iter::once(&proto.authority)
        .chain(&proto.blocks)
        .map(|signed| {
            let block = schema::Block::decode(signed.block.as_slice())
                .map_err(|_| AuthFailure::Malformed)?;
            let own = if signed.external_signature.is_some() {
                block.symbols.clone()
            } else {
                first_party.extend(block.symbols.iter().cloned());
                first_party.clone()
            };
            let symbols = SymbolTable::from(own).map_err(|_| AuthFailure::Malformed)?;
            Ok(Block { block, symbols })
        })
        .collect()
}
