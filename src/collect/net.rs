//! What a socket inode is, from a process's network namespace tables (`/proc/PID/net/{tcp,tcp6,
//! udp,udp6,unix}`, through the procfs crate): shared by `control`'s open-files view and the
//! threads view's WAITING column. Cold path: read at most once per sample, and only when a socket
//! not seen before is waited on. Imports only the procfs crate; no `app`, `ui`, `lab`, the lab's
//! data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use procfs::net::TcpState;
use procfs::process::Process;

/// One socket of the tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketInfo {
    /// `TCP`, `TCP6`, `UDP`, `UDP6` or `UNIX`.
    pub proto: &'static str,
    /// `127.0.0.1:8080`; a UNIX socket's path, or `(unnamed)`.
    pub local: String,
    /// The peer for TCP and UDP (`0.0.0.0:0` when none); None for UNIX.
    pub remote: Option<String>,
    /// TCP only, as `ss` names it.
    pub state: Option<&'static str>,
}

impl SocketInfo {
    /// `TCP 127.0.0.1:8080 -> 0.0.0.0:0 LISTEN`: everything, as the open-files view shows it.
    pub fn long(&self) -> String {
        let mut s = format!("{} {}", self.proto, self.local);
        if let Some(r) = &self.remote {
            s.push_str(" -> ");
            s.push_str(r);
        }
        if let Some(st) = self.state {
            s.push(' ');
            s.push_str(st);
        }
        s
    }

    /// `TCP 127.0.0.1:8080`, or `TCP 10.0.0.1:5000 -> 10.0.0.2:443` when connected: short enough
    /// for a column.
    pub fn short(&self) -> String {
        match &self.remote {
            Some(r) if !is_unset(r) => format!("{} {} -> {r}", self.proto, self.local),
            _ => format!("{} {}", self.proto, self.local),
        }
    }
}

/// `0.0.0.0:0` or `[::]:0`: no peer.
fn is_unset(addr: &str) -> bool {
    addr.ends_with(":0") && (addr.starts_with("0.0.0.0") || addr.starts_with("[::]"))
}

/// Socket inode -> description, from the process's network namespace. A table that can't be
/// read or parsed names none of its sockets.
pub fn socket_table(process: &Process) -> Vec<(u64, SocketInfo)> {
    let mut out = Vec::new();
    for (proto, table) in [("TCP", process.tcp()), ("TCP6", process.tcp6())] {
        for e in table.into_iter().flatten() {
            let info = SocketInfo {
                proto,
                local: e.local_address.to_string(),
                remote: Some(e.remote_address.to_string()),
                state: Some(tcp_state(&e.state)),
            };
            out.push((e.inode, info));
        }
    }
    for (proto, table) in [("UDP", process.udp()), ("UDP6", process.udp6())] {
        for e in table.into_iter().flatten() {
            let info = SocketInfo {
                proto,
                local: e.local_address.to_string(),
                remote: Some(e.remote_address.to_string()),
                state: None,
            };
            out.push((e.inode, info));
        }
    }
    for e in process.unix().into_iter().flatten() {
        let path = e.path.as_deref().map_or_else(|| "(unnamed)".into(), |p| p.to_string_lossy().into_owned());
        out.push((e.inode, SocketInfo { proto: "UNIX", local: path, remote: None, state: None }));
    }
    out
}

/// The kernel's names for TCP states (include/net/tcp_states.h), as `ss` prints them.
fn tcp_state(state: &TcpState) -> &'static str {
    match state {
        TcpState::Established => "ESTABLISHED",
        TcpState::SynSent => "SYN_SENT",
        TcpState::SynRecv => "SYN_RECV",
        TcpState::FinWait1 => "FIN_WAIT1",
        TcpState::FinWait2 => "FIN_WAIT2",
        TcpState::TimeWait => "TIME_WAIT",
        TcpState::Close => "CLOSE",
        TcpState::CloseWait => "CLOSE_WAIT",
        TcpState::LastAck => "LAST_ACK",
        TcpState::Listen => "LISTEN",
        TcpState::Closing => "CLOSING",
        TcpState::NewSynRecv => "NEW_SYN_RECV",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_leaves_out_an_unset_peer() {
        let listen = SocketInfo {
            proto: "TCP",
            local: "127.0.0.1:8080".into(),
            remote: Some("0.0.0.0:0".into()),
            state: Some("LISTEN"),
        };
        assert_eq!(listen.short(), "TCP 127.0.0.1:8080");
        assert_eq!(listen.long(), "TCP 127.0.0.1:8080 -> 0.0.0.0:0 LISTEN");
        let conn = SocketInfo { remote: Some("127.0.0.1:5000".into()), state: Some("ESTABLISHED"), ..listen };
        assert_eq!(conn.short(), "TCP 127.0.0.1:8080 -> 127.0.0.1:5000");
        let v6 = SocketInfo { proto: "TCP6", local: "[::1]:22".into(), remote: Some("[::]:0".into()), state: None };
        assert_eq!(v6.short(), "TCP6 [::1]:22");
        let unix = SocketInfo { proto: "UNIX", local: "/run/x.sock".into(), remote: None, state: None };
        assert_eq!((unix.short(), unix.long()), ("UNIX /run/x.sock".to_string(), "UNIX /run/x.sock".to_string()));
    }
}
