//! Lays out the release monitor's code so that what it runs sits together (BENCHMARKS.md,
//! "Resident code"): the functions a run of the process list executes, listed in
//! assets/hot-functions.txt by scripts/hot-functions.sh, are put first in .text. The kernel maps
//! a binary's code in 64 KiB blocks around each page touched, and these ~900 KB of hot code
//! spread over 5 MB of .text touched nearly every block: 3.5 MiB resident instead of ~1 MiB.
//!
//! Only where the linker is LLD (rustc's default on x86_64-unknown-linux-gnu since 1.90) and
//! nobody chose another: GNU ld has no --symbol-ordering-file. A name that is not in the binary
//! (another toolchain mangles with other hashes) is skipped without a word, so a stale list costs
//! memory, never a build.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/hot-functions.txt");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    if !wanted() {
        return;
    }
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else { return };
    let list = std::path::Path::new(&dir).join("assets/hot-functions.txt");
    if !list.is_file() {
        return;
    }
    println!("cargo:rustc-link-arg-bin=threadtop=-Wl,--symbol-ordering-file={}", list.display());
    println!("cargo:rustc-link-arg-bin=threadtop=-Wl,--no-warn-symbol-ordering");
    // The loader reads all of .rela.dyn at start and it stays mapped: ~10,000 relative
    // relocations at 24 bytes each (280 KB) packed into a bitmap of a few KB (DT_RELR).
    if glibc_has_relr() {
        println!("cargo:rustc-link-arg-bin=threadtop=-Wl,-z,pack-relative-relocs");
    }
}

/// glibc 2.36 and later apply packed relocations; an older one would not start the binary.
fn glibc_has_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else { return false };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(v) = text.split_whitespace().nth(1) else { return false };
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}

fn wanted() -> bool {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("PROFILE") != "release" || var("TARGET") != "x86_64-unknown-linux-gnu" {
        return false;
    }
    // A linker of one's own choosing (flags, config or environment): leave it alone.
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if flags.contains("linker") || flags.contains("link-self-contained") || flags.contains("link-arg") {
        return false;
    }
    if std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some() {
        return false;
    }
    rustc_minor().is_some_and(|m| m >= 90)
}

/// The minor version of the rustc that builds us: 1.90 made rust-lld the default linker here.
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(rustc).arg("-V").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}
