//! A minimal tar reader (ustar, PAX `path`, GNU long names): enough for chart archives,
//! with links refused and sizes bounded by the caller.

/// One regular-file entry.
pub(crate) struct Entry {
    pub name: String,
    pub data: Vec<u8>,
}

/// Reads every regular file of a tar stream held in memory. Directories and PAX/global
/// headers are skipped; links and devices are an error naming the entry.
pub(crate) fn read_entries(buf: &[u8]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut long_name: Option<String> = None;
    let mut pax_path: Option<String> = None;
    while pos + 512 <= buf.len() {
        let h = &buf[pos..pos + 512];
        if h.iter().all(|b| *b == 0) {
            break;
        }
        verify_checksum(h)?;
        let size = parse_size(&h[124..136])?;
        let kind = h[156];
        let data_start = pos + 512;
        let data_end = data_start
            .checked_add(usize::try_from(size).map_err(|_| "entry too large")?)
            .ok_or("entry too large")?;
        if data_end > buf.len() {
            return Err("unexpected end of archive".into());
        }
        let data = &buf[data_start..data_end];
        pos = data_start + (size as usize).div_ceil(512) * 512;
        let mut name = cstr(&h[0..100]);
        if &h[257..262] == b"ustar" {
            let prefix = cstr(&h[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        if let Some(n) = pax_path.take() {
            name = n;
        }
        if let Some(n) = long_name.take() {
            name = n;
        }
        match kind {
            b'0' | 0 | b'7' => out.push(Entry {
                name,
                data: data.to_vec(),
            }),
            b'5' => {}
            b'x' => pax_path = parse_pax_path(data),
            b'g' => {}
            b'L' => long_name = Some(cstr(data)),
            b'1' | b'2' => return Err(format!("{name}: links are not allowed in a chart archive")),
            b'3' | b'4' | b'6' => {
                return Err(format!(
                    "{name}: special files are not allowed in a chart archive"
                ))
            }
            _ => {
                return Err(format!(
                    "{name}: unsupported tar entry type {:?}",
                    kind as char
                ))
            }
        }
    }
    Ok(out)
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn parse_size(f: &[u8]) -> Result<u64, String> {
    if f[0] & 0x80 != 0 {
        // base-256
        let mut v: u64 = (f[0] & 0x7f) as u64;
        for b in &f[1..] {
            v = v.checked_mul(256).ok_or("entry size overflows")? + *b as u64;
        }
        return Ok(v);
    }
    parse_octal(f)
}

fn parse_octal(f: &[u8]) -> Result<u64, String> {
    let s = cstr(f);
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(s, 8).map_err(|_| format!("invalid octal number {s:?} in tar header"))
}

fn verify_checksum(h: &[u8]) -> Result<(), String> {
    let want = parse_octal(&h[148..156])?;
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                *b as u64
            }
        })
        .sum();
    if sum != want {
        return Err("invalid tar header checksum".into());
    }
    Ok(())
}

fn parse_pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let mut rest: &str = &text;
    let mut found = None;
    while !rest.is_empty() {
        let (len, _) = rest.split_once(' ')?;
        let n: usize = len.parse().ok()?;
        let rec = rest.get(..n)?;
        rest = &rest[n..];
        let kv = rec.split_once(' ')?.1.trim_end_matches('\n');
        if let Some(p) = kv.strip_prefix("path=") {
            found = Some(p.to_owned());
        }
    }
    found
}

#[cfg(test)]
pub(crate) fn write_entries(entries: &[(&str, &[u8], u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data, kind) in entries {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        let size = format!("{:011o}", data.len());
        h[124..135].copy_from_slice(size.as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = *kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| *b as u32).sum();
        let cs = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(cs.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}
