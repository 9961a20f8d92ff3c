//! Wall-clock times of a recording: milliseconds since the Unix epoch, shown in local time (the
//! offset of the recording's first moment: a DST change inside a recording shows an hour off).

/// Seconds east of UTC at `unix_s` in this machine's time zone (0 when it cannot be told).
pub fn utc_offset_s(unix_s: i64) -> i64 {
    let t: libc::time_t = unix_s as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which lives for the call; both pointers are valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if ok { tm.tm_gmtoff } else { 0 }
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Local (y, mo, d, h, mi, s) of `ms`.
pub fn parts(ms: u64, offset_s: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = (ms / 1000) as i64 + offset_s;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    (y, mo, d, (sod / 3600) as u32, (sod / 60 % 60) as u32, (sod % 60) as u32)
}

/// `2026-12-01 23:40:12`.
pub fn fmt_datetime(ms: u64, offset_s: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(ms, offset_s);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `23:40:12`.
pub fn fmt_time(ms: u64, offset_s: i64) -> String {
    let (_, _, _, h, mi, s) = parts(ms, offset_s);
    format!("{h:02}:{mi:02}:{s:02}")
}

/// `20261201-234012`, for rotated file names.
pub fn fmt_file_stamp(ms: u64, offset_s: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(ms, offset_s);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
}

/// The local day number of `ms`, to rotate at midnight.
pub fn day_of(ms: u64, offset_s: i64) -> i64 {
    ((ms / 1000) as i64 + offset_s).div_euclid(86_400)
}

fn hms(text: &str) -> Option<u64> {
    let mut it = text.split(':');
    let h: u64 = it.next()?.parse().ok()?;
    let m: u64 = it.next()?.parse().ok()?;
    let s: f64 = match it.next() {
        Some(s) => s.parse().ok()?,
        None => 0.0,
    };
    if it.next().is_some() || h > 23 || m > 59 || !(0.0..60.0).contains(&s) {
        return None;
    }
    Some((h * 3600 + m * 60) * 1000 + (s * 1000.0) as u64)
}

/// A moment in a recording spanning `start..=end` (ms): `HH:MM[:SS]` (the first such moment at or
/// after the start), `YYYY-MM-DD HH:MM[:SS]` (or with a `T`), `@UNIXSECONDS`, `+DURATION` from the
/// start, `-DURATION` before the end, `start`, `end`.
pub fn parse_moment(text: &str, start: u64, end: u64, offset_s: i64) -> Result<u64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{t}' is not a time: use HH:MM[:SS], YYYY-MM-DD HH:MM[:SS], @UNIX, +5m from the start, -30s before the end"
        )
    };
    match t {
        "start" => return Ok(start),
        "end" => return Ok(end),
        _ => {}
    }
    if let Some(rel) = t.strip_prefix('+') {
        let d = crate::cli::parse_any_duration(rel).map_err(|_| bad())?;
        return Ok(start.saturating_add(d.as_millis() as u64));
    }
    if let Some(rel) = t.strip_prefix('-') {
        let d = crate::cli::parse_any_duration(rel).map_err(|_| bad())?;
        return Ok(end.saturating_sub(d.as_millis() as u64));
    }
    if let Some(unix) = t.strip_prefix('@') {
        let s: f64 = unix.parse().map_err(|_| bad())?;
        if !s.is_finite() || s < 0.0 {
            return Err(bad());
        }
        return Ok((s * 1000.0) as u64);
    }
    if let Some((date, time)) = t.split_once([' ', 'T']) {
        let mut d = date.split('-');
        let (Some(y), Some(m), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else { return Err(bad()) };
        let (y, m, dd): (i64, u32, u32) =
            (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, dd.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
            return Err(bad());
        }
        let tod = hms(time).ok_or_else(bad)?;
        let local_ms = days_from_civil(y, m, dd) * 86_400_000 + tod as i64;
        return u64::try_from(local_ms - offset_s * 1000).map_err(|_| bad());
    }
    let tod = hms(t).ok_or_else(bad)?;
    // That time of day on the start's day, else on the next day (a recording over midnight).
    let day = day_of(start, offset_s);
    for k in 0..=1 {
        let local_ms = (day + k) * 86_400_000 + tod as i64;
        let at = u64::try_from(local_ms - offset_s * 1000).unwrap_or(0);
        if at + 999 >= start {
            return Ok(at);
        }
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-1000i64, 0, 1, 365, 19_000, 20_788, 100_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // 2026-12-01 23:40:12 UTC
        assert_eq!(fmt_datetime(1_796_168_412_000, 0), "2026-12-01 23:40:12");
        assert_eq!(fmt_file_stamp(1_796_168_412_000, 3600), "20261202-004012");
    }

    #[test]
    fn moments_parse_in_every_form() {
        let start = 1_796_168_412_000; // 23:40:12 UTC
        let end = start + 3_600_000; // 00:40:12 the next day
        assert_eq!(parse_moment("23:45", start, end, 0), Ok(start + 288_000));
        // After midnight: the next day.
        assert_eq!(parse_moment("00:10:12", start, end, 0), Ok(start + 1_800_000));
        assert_eq!(parse_moment("2026-12-01 23:40:13", start, end, 0), Ok(start + 1000));
        assert_eq!(parse_moment("2026-12-01T23:40:13", start, end, 0), Ok(start + 1000));
        assert_eq!(parse_moment("+90s", start, end, 0), Ok(start + 90_000));
        assert_eq!(parse_moment("-1m", start, end, 0), Ok(end - 60_000));
        assert_eq!(parse_moment("@1796168413", start, end, 0), Ok(start + 1000));
        assert_eq!(parse_moment("end", start, end, 0), Ok(end));
        // One hour east: 00:45 local is 23:45 UTC.
        assert_eq!(parse_moment("00:45", start, end, 3600), Ok(start + 288_000));
        for bad in ["", "25:00", "12:61", "soon", "2026-13-01 10:00", "+fast", "1:2:3:4"] {
            assert!(parse_moment(bad, start, end, 0).is_err(), "{bad}");
        }
    }
}
