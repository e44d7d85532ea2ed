//! Streaming secret masking: replaces every secret value, and simple encodings of it, by
//! `[secure]` in a byte stream that arrives in arbitrary chunks (Travis's `filter.rb`
//! does the same on the VM). A chunk boundary may split a value: the masker holds back
//! only a tail that could still become a secret, so ordinary output is not delayed.
//!
//! Encodings covered, for each value of at least 3 characters: the value itself (so also
//! quoted forms), backslash shell escaping (`printf %q`, `set -x` style), JSON string
//! escaping, URL percent-encoding (upper/lower-case hex, `+` or `%20` for space), and
//! base64 (standard and URL-safe alphabets, at each of the three byte alignments, so a
//! value inside e.g. `user:password` encoded for HTTP basic auth is caught too).

/// What replaces a secret.
pub const MASK: &[u8] = b"[secure]";

/// Streaming masker. Feed it with [`Masker::push`], end with [`Masker::finish`].
#[derive(Debug, Clone)]
pub struct Masker {
    patterns: Vec<Vec<u8>>,
    by_first: Vec<Vec<usize>>,
    pending: Vec<u8>,
}

impl Masker {
    /// A masker for these secret values (values shorter than 3 characters are ignored).
    pub fn new<S: AsRef<str>>(values: &[S]) -> Self {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for v in values {
            let v = v.as_ref();
            if v.chars().count() < 3 {
                continue;
            }
            for p in encodings(v) {
                if p.len() >= 3 && !patterns.contains(&p) {
                    patterns.push(p);
                }
            }
        }
        // Longest first, so the longest match at a position wins.
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let mut by_first = vec![Vec::new(); 256];
        for (i, p) in patterns.iter().enumerate() {
            by_first[p[0] as usize].push(i);
        }
        Masker {
            patterns,
            by_first,
            pending: Vec::new(),
        }
    }

    /// True when there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Number of byte patterns searched for (values times encodings).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Mask a chunk; returns what can be shown now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.patterns.is_empty() {
            return chunk.to_vec();
        }
        self.pending.extend_from_slice(chunk);
        self.drain(false)
    }

    /// End of stream: returns the rest.
    pub fn finish(&mut self) -> Vec<u8> {
        self.drain(true)
    }

    /// Mask a whole buffer at once.
    pub fn mask_all(&self, data: &[u8]) -> Vec<u8> {
        let mut m = self.clone();
        m.pending.clear();
        let mut out = m.push(data);
        out.extend(m.finish());
        out
    }

    fn drain(&mut self, at_end: bool) -> Vec<u8> {
        let buf = std::mem::take(&mut self.pending);
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        'outer: while i < buf.len() {
            let rest = &buf[i..];
            let candidates = &self.by_first[rest[0] as usize];
            if candidates.is_empty() {
                // Fast path: copy up to the next byte that can start a pattern.
                let next = rest
                    .iter()
                    .position(|b| !self.by_first[*b as usize].is_empty())
                    .unwrap_or(rest.len());
                out.extend_from_slice(&rest[..next]);
                i += next;
                continue;
            }
            if !at_end {
                for &c in candidates {
                    let p = &self.patterns[c];
                    if rest.len() < p.len() && p.starts_with(rest) {
                        // Could still become a secret: hold back from here.
                        self.pending = rest.to_vec();
                        break 'outer;
                    }
                }
            }
            for &c in candidates {
                let p = &self.patterns[c];
                if rest.starts_with(p) {
                    out.extend_from_slice(MASK);
                    i += p.len();
                    continue 'outer;
                }
            }
            out.push(rest[0]);
            i += 1;
        }
        out
    }
}

/// The byte patterns for one value.
fn encodings(v: &str) -> Vec<Vec<u8>> {
    let mut out = vec![v.as_bytes().to_vec()];
    // Shell backslash escaping (bash `printf %q`, `declare -p`, xtrace of escaped words).
    let mut sh = String::new();
    for c in v.chars() {
        if c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c) || !c.is_ascii() {
            sh.push(c);
        } else {
            sh.push('\\');
            sh.push(c);
        }
    }
    out.push(sh.into_bytes());
    // Inside double quotes only these are escaped.
    let mut dq = String::new();
    for c in v.chars() {
        if "\"\\$`".contains(c) {
            dq.push('\\');
        }
        dq.push(c);
    }
    out.push(dq.into_bytes());
    // JSON string escaping.
    if let Ok(j) = serde_json::to_string(v) {
        out.push(j.as_bytes()[1..j.len() - 1].to_vec());
    }
    // URL encoding.
    for (upper, plus) in [(true, false), (false, false), (true, true)] {
        let mut u = String::new();
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                u.push(b as char);
            } else if b == b' ' && plus {
                u.push('+');
            } else if upper {
                u.push_str(&format!("%{b:02X}"));
            } else {
                u.push_str(&format!("%{b:02x}"));
            }
        }
        out.push(u.into_bytes());
    }
    // base64 at the three alignments, standard and URL-safe alphabets.
    let bytes = v.as_bytes();
    for k in 0..3usize {
        let mut input = vec![0u8; k];
        input.extend_from_slice(bytes);
        let enc = base64(&input);
        let skip = match k {
            0 => 0,
            1 => 2,
            _ => 3,
        };
        let end = (input.len() * 8) / 6; // chars fully determined by the input bytes
        if end > skip && end - skip >= 4 {
            let core = &enc[skip..end];
            out.push(core.as_bytes().to_vec());
            out.push(core.replace('+', "-").replace('/', "_").into_bytes());
        }
    }
    out
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(m: &mut Masker, chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        for c in chunks {
            out.extend(m.push(c));
        }
        out.extend(m.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"user:s3cr3t"), "dXNlcjpzM2NyM3Q=");
    }

    #[test]
    fn masks_plain_and_split_values() {
        let mut m = Masker::new(&["s3cr3t"]);
        assert_eq!(
            run(&mut m, &[b"token=s3cr3t end\n"]),
            "token=[secure] end\n"
        );
        let mut m = Masker::new(&["s3cr3t"]);
        assert_eq!(run(&mut m, &[b"a s3", b"c", b"r3t b"]), "a [secure] b");
        // Every split point.
        let text = b"x s3cr3t y s3cr3t";
        for cut in 0..text.len() {
            let mut m = Masker::new(&["s3cr3t"]);
            assert_eq!(
                run(&mut m, &[&text[..cut], &text[cut..]]),
                "x [secure] y [secure]"
            );
        }
    }

    #[test]
    fn does_not_hold_ordinary_output() {
        let mut m = Masker::new(&["s3cr3t"]);
        assert_eq!(m.push(b"Still running\r"), b"Still running\r");
        assert_eq!(m.push(b"abc s3c"), b"abc ");
        assert_eq!(m.push(b"ret"), b"s3cret");
    }

    #[test]
    fn masks_encodings() {
        let v = "p@ss w0rd$";
        let m = Masker::new(&[v]);
        for shown in [
            "\"p@ss w0rd$\"",
            "'p@ss w0rd$'",
            "p@ss\\ w0rd\\$",
            "p%40ss%20w0rd%24",
            "p%40ss+w0rd%24",
            &base64(v.as_bytes()),
            &base64(format!("user:{v}").as_bytes()),
            &base64(format!("u:{v}").as_bytes()),
            &base64(v.as_bytes()).replace('=', ""),
        ] {
            let out = String::from_utf8(m.mask_all(shown.as_bytes())).unwrap();
            assert!(out.contains("[secure]"), "{shown} → {out}");
            assert!(!out.contains("w0rd"), "{shown} → {out}");
        }
    }

    #[test]
    fn short_values_are_ignored_and_longest_wins() {
        let mut m = Masker::new(&["ab", "abc", "abcdef"]);
        assert_eq!(
            run(&mut m, &[b"ab abc abcdef abcd"]),
            "ab [secure] [secure] [secure]d"
        );
    }

    #[test]
    fn random_chunking_never_leaks() {
        // Deterministic pseudo-random chunk sizes over a text full of near-misses.
        let secrets = ["hunter2-xyz", "AKIAEXAMPLE", "a b$c"];
        let text =
            "hunter2-xy hunter2-xyz hhunter2-xyzz AKIA AKIAEXAMPLEAKIAEXAMPLE 'a b$c' a\\ b\\$c \
                    aHVudGVyMi14eXo= dXNlcjpodW50ZXIyLXh5eg== end";
        let expected = String::from_utf8(Masker::new(&secrets).mask_all(text.as_bytes())).unwrap();
        for s in secrets {
            assert!(!expected.contains(s), "{expected}");
        }
        assert!(!expected.contains("aHVudGVyMi14eX"));
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..500 {
            let mut m = Masker::new(&secrets);
            let mut out = Vec::new();
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let n = 1 + (seed % 7) as usize;
                let end = (i + n).min(bytes.len());
                out.extend(m.push(&bytes[i..end]));
                i = end;
            }
            out.extend(m.finish());
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    #[test]
    fn empty_masker_passes_through() {
        let mut m = Masker::new::<&str>(&[]);
        assert!(m.is_empty());
        assert_eq!(m.push(b"abc"), b"abc");
        assert!(m.finish().is_empty());
    }
}
