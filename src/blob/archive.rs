//! Archives are content too: a packaged Helm chart (`helm package` makes `.tgz` files, and
//! chart repositories commit them), a saved container image (`docker save`: a tar of layer
//! tars), a Java `.jar` with its `application.properties`, a Python wheel. Their bytes are
//! binary, so without this every secret in them went unseen, counted as "binary".
//!
//! An archive is recognised by its magic bytes, never by its name: a compressed stream (gzip,
//! bzip2, xz or zstd: a compressed tar is listed as a tar; any other compressed file is one
//! member), tar (POSIX and GNU) and zip (deflate, deflate64, bzip2, LZMA and xz members). Each
//! regular member is handed to the caller, which scans it as a file of its own and may find
//! another archive in it; directories are passed over and other entries (links, devices) are
//! counted as not regular.
//!
//! Archives are hostile input: a zip bomb unpacks a kilobyte into gigabytes, and a member
//! can claim any size. What is unpacked is therefore read through a [`Budget`] shared by an
//! archive and everything nested in it: a member over the per-file limit is skipped (and
//! counted) without being held, and once the archive's total is spent the rest of it is not
//! read. Memory holds one member at a time, never a whole unpacked archive.

use std::cell::Cell;
use std::io::{self, Cursor, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

use crate::blob::Skip;

/// What an archive is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A compressed stream of one file, which may be a tar.
    Compressed(Codec),
    Tar,
    Zip,
}

/// The compressed streams read: what source tarballs, image layers and rotated logs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
        }
    }

    /// The file name suffix this codec is known by, as `gzip -d` and its kin strip it.
    fn suffix(self) -> &'static str {
        match self {
            Codec::Gzip => ".gz",
            Codec::Bzip2 => ".bz2",
            Codec::Xz => ".xz",
            Codec::Zstd => ".zst",
        }
    }

    /// A reader of the decompressed bytes. xz and zstd let a stream ask for a window (the
    /// memory a decoder holds) of gigabytes: both are held to [`MAX_WINDOW`] and a stream
    /// that asks for more is an error, never an allocation.
    fn decoder<'a>(self, bytes: &'a [u8]) -> Box<dyn Read + 'a> {
        match self {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
            Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
            Codec::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
                bytes,
                true,
                // The limit counts the decoder's own tables as well as its dictionary.
                u32::try_from(MAX_WINDOW >> 10).unwrap_or(u32::MAX) + 1024,
            )),
            Codec::Zstd => Box::new(ZstdFrames {
                rest: bytes,
                frame: None,
            }),
        }
    }
}

/// The largest window a decompressor may hold: what `xz -9` (64 MiB) needs, and above
/// every ordinary zstd level (`zstd -19` uses 8 MiB; only `--long` and `--ultra` go past).
const MAX_WINDOW: u64 = 64 << 20;

/// How deep archives may nest (an image's tar holds layer tars, which may be gzipped): the
/// top archive is level 1. Deeper archives are counted as binary.
pub const MAX_DEPTH: u32 = 3;

/// The archive kind `bytes` start as, if any.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        Some(Kind::Compressed(Codec::Gzip))
    } else if is_bzip2(bytes) {
        Some(Kind::Compressed(Codec::Bzip2))
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some(Kind::Compressed(Codec::Xz))
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Kind::Compressed(Codec::Zstd))
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if is_tar(bytes) {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// `BZh`, a block size digit, then a block's magic (the digits of pi) or the end of an empty
/// stream (those of the square root of pi): three letters alone start too many text files.
fn is_bzip2(bytes: &[u8]) -> bool {
    bytes.len() >= 10
        && bytes.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&bytes[3])
        && matches!(
            &bytes[4..10],
            [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] | [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]
        )
}

/// A tar header: `ustar` at offset 257 (POSIX `ustar\0`, GNU `ustar  \0`).
fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && &bytes[257..262] == b"ustar"
}

/// How much an archive may unpack: `member` bytes at most per member, and `left` bytes out of
/// the decompressors for the archive and everything nested in it, members passed over
/// included (a tar's members are skipped by inflating them). Shared, so cells: a nested
/// archive is read while its parent's members are being visited. `spent` is set once a read
/// ran into `left`.
#[derive(Debug)]
pub struct Budget {
    pub member: u64,
    pub total: u64,
    pub left: Cell<u64>,
    pub spent: Cell<bool>,
}

impl Budget {
    /// An archive may unpack to 16 times `member` (the per-file limit) in all: far beyond
    /// any chart, wheel or jar, and a bound on a bomb's cost.
    pub fn new(member: u64) -> Budget {
        Budget::with_total(member, member.saturating_mul(16))
    }

    pub fn with_total(member: u64, total: u64) -> Budget {
        Budget {
            member,
            total,
            left: Cell::new(total),
            spent: Cell::new(false),
        }
    }
}

/// One member of an archive, as the caller receives it.
pub enum Member {
    /// A regular file's bytes.
    File(Vec<u8>),
    /// A member that was not read, and why.
    Skipped(Skip),
}

/// Calls `visit(name, member)` for every member of the archive in `bytes`, in archive order.
/// `name` is the member's path in the archive (`/`-separated; a gzipped file that is no tar
/// is named after the archive, less its `.gz`). An error is a damaged or unsupported archive;
/// the members visited before it stand.
pub fn members(
    kind: Kind,
    archive_name: &str,
    bytes: &[u8],
    budget: &Budget,
    visit: &mut dyn FnMut(String, Member),
) -> Result<(), String> {
    let result = match kind {
        Kind::Tar => tar_members(bytes, budget, visit),
        Kind::Zip => zip_members(bytes, budget, visit),
        Kind::Compressed(codec) => {
            let unreadable = |e: io::Error| format!("not a readable {} stream: {e}", codec.name());
            let mut unpacked = Metered::new(codec.decoder(bytes), budget);
            let mut head = Vec::with_capacity(512);
            (&mut unpacked)
                .take(512)
                .read_to_end(&mut head)
                .map_err(unreadable)?;
            let tar = is_tar(&head);
            let rest = Cursor::new(head).chain(unpacked);
            if tar {
                tar_members(rest, budget, visit)
            } else {
                let name = unpacked_name(archive_name, codec);
                let member = read_member(rest, None, budget).map_err(unreadable)?;
                visit(name, member);
                Ok(())
            }
        }
    };
    // Running out of budget is no damage: the caller says what was left unread.
    if budget.spent.get() { Ok(()) } else { result }
}

/// `chart.yaml.gz` → `chart.yaml` (`.bz2`, `.xz`, `.zst` alike); a name without the
/// codec's suffix keeps its last segment.
fn unpacked_name(archive_name: &str, codec: Codec) -> String {
    let last = archive_name
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(archive_name);
    let lower = last.to_ascii_lowercase();
    match lower.strip_suffix(codec.suffix()) {
        Some(stem) if !stem.is_empty() => last[..stem.len()].to_string(),
        _ => last.to_string(),
    }
}

/// The most a tar's own metadata (a GNU long name, a PAX record) may hold. The tar crate
/// reads such an entry whole into memory: a gzipped long name of 400 MB is a 2 MB file.
/// Longer metadata is passed over unread and the member keeps its header's name.
const MAX_META: u64 = 64 << 10;

/// Raw entries, so that metadata entries come here and are read within [`MAX_META`]; the
/// crate's own handling reads them whole. A PAX `size` for a member over 8 GiB is not applied:
/// such a member is far over any limit, and what follows it reads as damage.
fn tar_members(
    reader: impl Read,
    budget: &Budget,
    visit: &mut dyn FnMut(String, Member),
) -> Result<(), String> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a readable tar: {e}"))?
        .raw(true);
    // The name a GNU long-name entry or a PAX `path` record gives the next member.
    let mut long_name: Option<Vec<u8>> = None;
    for entry in entries {
        if budget.spent.get() {
            break;
        }
        let mut entry = entry.map_err(|e| format!("a damaged tar entry: {e}"))?;
        let kind = entry.header().entry_type();
        if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
            let meta = read_meta(&mut entry).map_err(|e| format!("a damaged tar entry: {e}"))?;
            long_name = meta.and_then(|meta| {
                if kind.is_gnu_longname() {
                    Some(meta.split(|&b| b == 0).next().unwrap_or_default().to_vec())
                } else {
                    (tar::PaxExtensions::new(&meta).flatten())
                        .find(|e| e.key_bytes() == b"path")
                        .map(|e| e.value_bytes().to_vec())
                }
            });
            continue;
        }
        if kind.is_pax_global_extensions() || kind.is_gnu_longlink() {
            continue;
        }
        let name = match long_name.take() {
            Some(name) => String::from_utf8_lossy(&name).into_owned(),
            None => String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
        };
        if kind.is_dir() {
            continue;
        }
        let member = if !(kind.is_file() || kind.is_contiguous()) {
            Member::Skipped(Skip::NotRegular)
        } else {
            let size = entry.header().size().ok();
            read_member(entry, size, budget).map_err(|e| format!("{name}: {e}"))?
        };
        visit(name, member);
    }
    Ok(())
}

/// A metadata entry's bytes, or `None` when it is over [`MAX_META`] (its rest is skipped
/// by the archive as it moves on, never held).
fn read_meta(entry: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut meta = Vec::new();
    entry.take(MAX_META + 1).read_to_end(&mut meta)?;
    Ok((meta.len() as u64 <= MAX_META).then_some(meta))
}

fn zip_members(
    bytes: &[u8],
    budget: &Budget,
    visit: &mut dyn FnMut(String, Member),
) -> Result<(), String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable zip: {e}"))?;
    for i in 0..archive.len() {
        if budget.spent.get() {
            break;
        }
        let listed = match archive.name_for_index(i) {
            Some(Ok(name)) => name.into_owned(),
            _ => format!("#{i}"),
        };
        let file = match archive.by_index(i) {
            Ok(file) => file,
            Err(e) => {
                // An encrypted member, or a compression method not built in (zstd, PPMd):
                // counted as unreadable under its name, and the rest is read.
                visit(listed, Member::Skipped(Skip::Unreadable(e.to_string())));
                continue;
            }
        };
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        if file.is_dir() {
            continue;
        }
        let member = if file.is_symlink() || !file.is_file() {
            Member::Skipped(Skip::NotRegular)
        } else {
            let size = Some(file.size());
            read_member(Metered::new(file, budget), size, budget)
                .map_err(|e| format!("{name}: {e}"))?
        };
        visit(name, member);
    }
    Ok(())
}

/// A member's bytes, or why they were not kept: over the per-member limit (by the size the
/// archive claims, or by what it really unpacks to) or cut off by the archive's budget.
fn read_member(reader: impl Read, claimed: Option<u64>, budget: &Budget) -> io::Result<Member> {
    if let Some(size) = claimed.filter(|&s| s > budget.member) {
        return Ok(Member::Skipped(Skip::TooLarge(size)));
    }
    let mut bytes = Vec::new();
    let read = reader
        .take(budget.member.saturating_add(1))
        .read_to_end(&mut bytes);
    match read {
        Err(_) if budget.spent.get() => {
            let size = claimed.unwrap_or(bytes.len() as u64);
            Ok(Member::Skipped(Skip::TooLarge(size)))
        }
        Err(e) => Err(e),
        Ok(n) if n as u64 > budget.member => Ok(Member::Skipped(Skip::TooLarge(n as u64))),
        Ok(_) => Ok(Member::File(bytes)),
    }
}

/// A zstd stream's frames one after another (`zstd` writes one, `pzstd` and seekable files
/// many, with skippable frames between), each decoded with at most [`MAX_WINDOW`].
struct ZstdFrames<'a> {
    rest: &'a [u8],
    frame: Option<StreamingDecoder<&'a [u8], FrameDecoder>>,
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(frame) = &mut self.frame {
                let n = frame.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if let Some(done) = self.frame.take() {
                    self.rest = done.into_inner();
                }
            }
            if self.rest.is_empty() {
                return Ok(0);
            }
            // Each frame header takes bytes from `rest`: the loop always moves on.
            match StreamingDecoder::new_with_max_window_size(self.rest, MAX_WINDOW) {
                Ok(frame) => self.frame = Some(frame),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skip = 8usize.saturating_add(length as usize);
                    self.rest = self.rest.get(skip..).unwrap_or_default();
                }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
    }
}

/// A decompressor's output, drawn from the budget: once it is spent, reads fail (and
/// `spent` says why), unless the stream has really ended.
struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<'b, R: Read> Metered<'b, R> {
    fn new(inner: R, budget: &'b Budget) -> Self {
        Metered { inner, budget }
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.left.get();
        if buf.is_empty() {
            return Ok(0);
        }
        if left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.budget.spent.set(true);
            return Err(io::Error::other("the archive's unpacking budget is spent"));
        }
        let room = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.budget.left.set(left - n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn list(bytes: &[u8], name: &str, budget: &Budget) -> (Vec<String>, Result<(), String>) {
        let mut seen = Vec::new();
        let kind = sniff(bytes).expect("an archive");
        let result = members(kind, name, bytes, budget, &mut |name, m| {
            seen.push(match m {
                Member::File(b) => format!("{name}={}", String::from_utf8_lossy(&b)),
                Member::Skipped(s) => format!("{name}:{s:?}"),
            })
        });
        (seen, result)
    }

    #[test]
    fn tar_gzip_and_zip_members_are_listed() {
        let files: &[(&str, &[u8])] = &[("chart/values.yaml", b"a: 1\n"), ("chart/b", b"x")];
        let want = vec!["chart/values.yaml=a: 1\n", "chart/b=x"];
        for (bytes, kind) in [
            (tar_of(files), Kind::Tar),
            (gzip(&tar_of(files)), Kind::Compressed(Codec::Gzip)),
            (zip_of(files), Kind::Zip),
        ] {
            assert_eq!(sniff(&bytes), Some(kind));
            let (seen, result) = list(&bytes, "c.tgz", &Budget::new(1 << 20));
            assert_eq!(result, Ok(()));
            assert_eq!(seen, want, "{kind:?}");
        }
        let (seen, _) = list(&gzip(b"k: v\n"), "dir/app.yaml.GZ", &Budget::new(100));
        assert_eq!(seen, vec!["app.yaml=k: v\n"]);
    }

    #[test]
    fn bombs_stop_at_the_budget() {
        let zeros = vec![0u8; 4 << 20];
        let bytes = gzip(&tar_of(&[("a", &zeros), ("b", b"small"), ("c", &zeros)]));
        // Each member may be 5 MiB, the whole 6 MiB: `a` fits, `b` too, `c` is cut off.
        let budget = Budget::with_total(5 << 20, 6 << 20);
        let (seen, result) = list(&bytes, "x.tgz", &budget);
        assert!(budget.spent.get());
        assert_eq!(result, Ok(()));
        assert_eq!(seen.len(), 3);
        assert!(seen[1].starts_with("b=small"));
        assert_eq!(seen[2], format!("c:TooLarge({})", 4 << 20));
        // A member over the per-member limit is skipped by its size, never held.
        let budget = Budget::new(1 << 20);
        let (seen, _) = list(&zip_of(&[("big", &zeros), ("s", b"ok")]), "x.zip", &budget);
        assert_eq!(
            seen,
            vec![format!("big:TooLarge({})", 4 << 20), "s=ok".into()]
        );
        assert!(!budget.spent.get());
    }

    #[test]
    fn damaged_archives_are_errors_after_what_could_be_read() {
        let mut bytes = gzip(&tar_of(&[("a", b"one")]));
        bytes.truncate(bytes.len() / 2);
        let (_, result) = list(&bytes, "x.tgz", &Budget::new(1 << 20));
        assert!(result.is_err());
        let (seen, result) = list(b"PK\x03\x04garbage", "x.zip", &Budget::new(100));
        assert!(seen.is_empty() && result.is_err());
    }
}
