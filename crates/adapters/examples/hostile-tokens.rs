//! `hostile-tokens TOKEN COUNT [VARIANT]`: for `make bench`, COUNT fresh attenuations of TOKEN
//! (an issued token, base64) for each hostile variant of `admin_adapters::testing::hostile`
//! and for an honest one, `honest` (`check if operation("users:list")`), or for VARIANT
//! alone: one `name<TAB>token` line each. Each attenuation is signed with a key of its own,
//! so no two are the same bytes. `hostile-tokens --describe`: `name<TAB>what` per variant.

use std::io::Write;

use admin_adapters::testing::hostile;
use biscuit_auth::UnverifiedBiscuit;
use biscuit_auth::macros::block;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--describe") {
        let mut out = std::io::stdout().lock();
        for variant in hostile::variants() {
            writeln!(out, "{}\t{}", variant.name, variant.what)?;
        }
        return Ok(());
    }
    let (Some(token), Some(count)) = (args.next(), args.next().and_then(|n| n.parse().ok())) else {
        eprintln!("usage: hostile-tokens TOKEN COUNT [VARIANT]");
        std::process::exit(2);
    };
    let count: usize = count;
    let only = args.next();
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for variant in hostile::variants().into_iter().filter(|v| wanted(v.name)) {
        for _ in 0..count {
            writeln!(out, "{}\t{}", variant.name, variant.attenuate(&token))?;
        }
    }
    let issued = UnverifiedBiscuit::from_base64(&token)?;
    for _ in 0..count * usize::from(wanted("honest")) {
        let honest = issued
            .append(block!(r#"check if operation("users:list");"#))?
            .to_base64()?;
        writeln!(out, "honest\t{honest}")?;
    }
    Ok(out.flush()?)
}
